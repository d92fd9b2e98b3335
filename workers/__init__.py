"""Celery workers for Podium; `celery -A workers` finds the app here.

The app is loaded on first access, not on import, so that the sandboxed model
runner (`workers.inference_child`) imports neither Celery nor Django.
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from workers.app import app

        return app
    raise AttributeError(f"module 'workers' has no attribute {name!r}")
