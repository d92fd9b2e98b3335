"""Celery workers for Podium; `celery -A workers` finds the app here."""
from __future__ import annotations

from workers.app import app

__all__ = ["app"]
