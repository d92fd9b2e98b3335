"""What a worker needs of the platform's settings, handed over once by the Celery app (`workers/app.py`).

The model runner reads its settings from here, so nothing in `workers/` but the app itself imports Django.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WorkerConfig:
    media_root: Path
    var_dir: Path
    unsandboxed_models: bool = False  # PODIUM_UNSANDBOXED_MODELS: development only
    storage: str = "local"  # PODIUM_STORAGE: "local" or "s3"
    s3: dict[str, Any] = field(default_factory=dict)  # PODIUM_S3


_current: list[WorkerConfig] = []


def configure(config: WorkerConfig) -> None:
    _current[:] = [config]


def worker_config() -> WorkerConfig:
    if not _current:
        raise RuntimeError("the worker is not configured: workers/app.py hands the settings over at start")
    return _current[0]
