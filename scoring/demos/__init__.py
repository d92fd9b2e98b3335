"""The demo competitions, one per task type, each declared by its task type (`TaskType.demo`).

Synthetic but meaningful bundles (SPEC section 4), for `make demo`, the tests and the admin's example
bundles. Pure Python, numpy and Pillow: no Django. Each builder writes a folder in the bundle
layout — public files, the truth, `competition.yaml` — and a few baseline prediction files.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Bundle:
    path: Path
    baselines: dict[str, Path]  # team name -> predictions file


def write_rows(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)



def write_meta(folder: Path, *, slug: str, title: str, task: str, subtitle: str, overview: str, **extra: object) -> None:
    (folder / "competition.yaml").write_text(yaml.safe_dump({
        "slug": slug, "title": title, "subtitle": subtitle, "task": task,
        "daily_submission_limit": 10, "submission_kinds": ["predictions", "model"], "published": True, **extra,
    }, sort_keys=False))
    (folder / "overview.md").write_text(overview)
    (folder / "rules.md").write_text(
        "1. One account per person.\n2. No hand-labelling of the test set.\n"
        "3. Up to 10 submissions a day; select up to 2 for the final ranking."
    )
