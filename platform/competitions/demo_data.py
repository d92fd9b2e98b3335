"""The demo competitions: one per registered task type, as each task type declares it (`TaskType.demo`).

The builders live beside their task types, in `scoring/demos/`; this module gathers them for
`seed_demo`, the tests and the admin's example bundles.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import yaml

from scoring import TASKS
from scoring.demos import Bundle
from scoring.demos.detection import detection_bundle
from scoring.demos.segmentation import segmentation_bundle
from scoring.demos.text import text_classification_bundle

# The demo's logins (role, username, password): seed_demo creates them, runstack prints them.
ADMIN = ("admin", "podium-admin")
PARTICIPANT = ("alice", "podium-alice")
DEMO_LOGINS = (("Admin", *ADMIN), ("Participant", *PARTICIPANT))

__all__ = ["Bundle", "all_bundles", "detection_bundle", "example_bundle_zip", "example_tasks", "segmentation_bundle",
           "text_classification_bundle"]


def all_bundles(folder: Path) -> list[Bundle]:
    """The demo competitions, one per task type that declares one, in registry order."""
    folder = Path(folder)
    return [task.demo.build(folder / task.demo.folder) for task in TASKS.values() if task.demo is not None]


def example_tasks() -> list[str]:
    """The task types an organizer can download a small example bundle of."""
    return [name for name, task in TASKS.items() if task.demo is not None]


def example_bundle_zip(task: str, target: Path) -> Path:
    """A small, valid bundle of this task type as a .zip (a draft: `published` is left out), for organizers to copy."""
    demo = TASKS[task].demo
    if demo is None:
        raise KeyError(f"{task} declares no demo competition")
    with tempfile.TemporaryDirectory() as tmp:
        bundle = demo.build(Path(tmp) / f"example-{task}", slug=f"example-{task}", **demo.example_sizes)
        meta_path = bundle.path / "competition.yaml"
        meta = yaml.safe_load(meta_path.read_text())
        meta.pop("published", None)
        meta_path.write_text(yaml.safe_dump(meta, sort_keys=False))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(bundle.path.rglob("*")):
                if path.is_file() and "baselines" not in path.relative_to(bundle.path).parts:
                    archive.write(path, Path(bundle.path.name) / path.relative_to(bundle.path))
    return target
