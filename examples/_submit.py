"""Shared command line of the examples: download the data, build the model, save it, submit it."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import torch


def run(description: str, default_slug: str, build: Callable[[Path, dict], torch.jit.ScriptModule]) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--slug", default=default_slug, help="the competition")
    parser.add_argument("--data", type=Path, default=Path("data"), help="where the competition's files go")
    parser.add_argument("--output", type=Path, default=Path("model.pt"))
    parser.add_argument("--no-submit", action="store_true", help="only build and save the model")
    args = parser.parse_args()
    from podium.cli import Client, load_config, main as podium

    settings = load_config()
    competition = Client(settings["host"], settings["token"]).json("GET", f"/api/v1/competitions/{args.slug}/")
    if podium(["competitions", "download", args.slug, "-p", str(args.data)]) != 0:
        return 1
    model = build(args.data, competition)
    torch.jit.save(model, str(args.output))
    print(f"saved {args.output}")
    if args.no_submit:
        return 0
    return podium(["competitions", "submit", args.slug, "-f", str(args.output), "--model", "--wait",
                   "-m", f"{Path(sys.argv[0]).stem} baseline"])
