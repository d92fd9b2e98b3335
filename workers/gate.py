"""Fail closed: an inference worker that cannot build the sandbox runs no models.

At start (a consumer step, before any message is taken) the worker checks the
sandbox; if it fails, the worker stops consuming the `inference` queue and says
why in its log and, through its heartbeat, on `/health/`. Model submissions then
wait in the queue for a worker that can. `PODIUM_UNSANDBOXED_MODELS=1` lets a
developer's own laptop run models without it, loudly.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from celery import bootsteps

from workers.sandbox import SandboxStatus, sandbox_check

QUEUE = "inference"
KEY = "podium:sandbox"
TTL_SECONDS = 60

logger = logging.getLogger(__name__)


def hidden_paths() -> list[Path]:
    """Folders no model may see even by accident: local state and stored files."""
    from django.conf import settings

    return [Path(settings.MEDIA_ROOT), Path(settings.VAR_DIR)]


@lru_cache(maxsize=1)
def worker_sandbox() -> SandboxStatus:
    """This process's verdict, checked once."""
    from django.conf import settings

    status = sandbox_check(hidden=hidden_paths(), allow_unsandboxed=settings.PODIUM_UNSANDBOXED_MODELS)
    if status.mode == "unsandboxed":
        logger.warning("UNSANDBOXED MODELS: %s. Never do this where anyone else can submit.", status.detail)
    elif not status.ok:
        logger.error("this worker cannot sandbox models and will run none: %s", status.detail)
    return status


class SandboxGate(bootsteps.StartStopStep):
    """A consumer step after the task consumer starts and before the event loop takes a message."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer: Any) -> None:
        if QUEUE not in {queue.name for queue in consumer.task_consumer.queues}:
            return
        status = worker_sandbox()
        consumer.app.podium_sandbox = status
        if not status.ok:
            consumer.cancel_task_queue(QUEUE)


def record_sandbox(client: Any, worker: str, status: SandboxStatus) -> None:
    client.set(f"{KEY}:{worker}", json.dumps({"ok": status.ok, "mode": status.mode, "detail": status.detail}),
               ex=TTL_SECONDS)


def sandbox_reports(client: Any) -> dict[str, dict[str, Any]]:
    """{worker: {ok, mode, detail}} of the inference workers seen in the last minute."""
    reports = {}
    for key in client.scan_iter(f"{KEY}:*"):
        value = client.get(key)
        if value is not None:
            reports[key.decode().split(":", 2)[2]] = json.loads(value)
    return reports
