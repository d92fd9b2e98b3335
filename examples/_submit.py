"""Shared command line of the examples: download the data, build the model, save it, submit it.

Everything is written under `scratch/<slug>/` (git-ignored) unless `--data`/`--output` say otherwise.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCRATCH = Path("scratch")


def run(description: str, default_slug: str, build: Callable[[Path, dict], Any]) -> int:
    """A TorchScript baseline: `build` returns a scripted module, saved as model.pt."""
    import torch

    def package(data: Path, competition: dict, folder: Path) -> Path:
        path = folder / "model.pt"
        torch.jit.save(build(data, competition), str(path))
        return path

    return run_package(description, default_slug, package, "model.pt")


def run_package(description: str, default_slug: str, package: Callable[[Path, dict, Path], Path], name: str) -> int:
    """Any model: `package(data, competition, folder)` writes the upload into `folder` and returns its path."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--slug", default=default_slug, help="the competition")
    parser.add_argument("--data", type=Path, help="where the competition's files go (default: scratch/SLUG/data)")
    parser.add_argument("--output", type=Path, help=f"the folder the model is written to (default: scratch/SLUG; file {name})")
    parser.add_argument("--no-submit", action="store_true", help="only build and save the model")
    args = parser.parse_args()
    from podium.cli import Client, load_config, main as podium

    data = args.data or SCRATCH / args.slug / "data"
    folder = args.output or SCRATCH / args.slug
    folder.mkdir(parents=True, exist_ok=True)
    settings = load_config()
    competition = Client(settings["host"], settings["token"]).json("GET", f"/api/v1/competitions/{args.slug}/")
    if podium(["competitions", "download", args.slug, "-p", str(data)]) != 0:
        return 1
    path = package(data, competition, folder)
    print(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if args.no_submit:
        return 0
    return podium(["competitions", "submit", args.slug, "-f", str(path), "--model", "--wait",
                   "-m", f"{Path(sys.argv[0]).stem} baseline"])
