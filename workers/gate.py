"""Fail closed: a worker that cannot build the sandbox runs no models and no organizers' scoring programs.

At start (a consumer step, before any message is taken) a worker that serves `inference` or `programs` checks the
sandbox; if it fails, the worker stops consuming those queues and says why in its log and, through its heartbeat,
on `/health/`. Their submissions then wait in the queue for a worker that can, while built-in scoring (`scoring`)
goes on. `PODIUM_UNSANDBOXED_MODELS=1` lets a developer's own laptop run both without it, loudly.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from celery import bootsteps

from workers.inference_settings import InferenceSettingsError, inference_settings
from workers.config import worker_config
from workers.names import INFERENCE, PROGRAMS, SANDBOXED
from workers.sandbox import SandboxStatus, sandbox_check
from workers.sandbox.contract import PROGRAM_LAYOUT

KEY = "podium:sandbox"
TTL_SECONDS = 60

logger = logging.getLogger(__name__)


def hidden_paths() -> list[Path]:
    """Folders no model may see even by accident: local state and stored files."""
    config = worker_config()
    return [config.media_root, config.var_dir]


@lru_cache(maxsize=1)
def worker_sandbox() -> SandboxStatus:
    """This process's verdict, checked once."""
    status = sandbox_check(hidden=hidden_paths(), allow_unsandboxed=worker_config().unsandboxed_models)
    if status.mode == "unsandboxed":
        logger.warning("UNSANDBOXED MODELS: %s. Never do this where anyone else can submit.", status.detail)
    elif not status.ok:
        logger.error("this worker cannot sandbox models and will run none: %s", status.detail)
    return status


@lru_cache(maxsize=1)
def program_sandbox() -> SandboxStatus:
    """Whether this process can run organizers' scoring programs: the sandbox with their own uid pool, never
    unsandboxed (their contract, /scoring, /input and /output, exists only in the sandbox)."""
    status = sandbox_check(hidden=hidden_paths(), layout=PROGRAM_LAYOUT)
    if not status.ok:
        logger.error("this worker cannot sandbox scoring programs and will run none: %s", status.detail)
    return status


class SandboxGate(bootsteps.StartStopStep):
    """A consumer step after the task consumer starts and before the event loop takes a message."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer: Any) -> None:
        served = {queue.name for queue in consumer.task_consumer.queues}
        gated = [name for name in SANDBOXED if name in served]
        if not gated:
            return
        if INFERENCE in gated:
            try:
                inference_settings()
            except InferenceSettingsError as exc:
                # Every model would fail, charged to its team: refuse to start instead, saying what to fix.
                logger.critical("this inference worker will not start: %s", exc)
                raise SystemExit(f"podium inference worker: {exc}") from None
        statuses = {name: worker_sandbox() if name == INFERENCE else program_sandbox() for name in gated}
        status = statuses.get(INFERENCE) or statuses[PROGRAMS]
        consumer.app.podium_sandbox = status
        verdicts = {name: checked.ok for name, checked in statuses.items()}
        consumer.app.podium_sandboxed_queues = verdicts
        for name, checked in statuses.items():
            if not checked.ok:
                logger.error("this worker will not serve the %s queue: %s", name, checked.detail)
                consumer.cancel_task_queue(name)
        if verdicts.get(INFERENCE):
            consumer.app.podium_runtime = worker_runtime()


def worker_runtime() -> str:
    """What this worker runs models on, logged once at start; what a GPU worker lacks, as warnings."""
    from workers.inference import choose_device
    from workers.selfcheck import describe_runtime

    try:
        summary, problems = describe_runtime(choose_device())
    except Exception as exc:  # noqa: BLE001 - a broken runtime shows in each model's log; the worker still starts
        logger.warning("could not describe the model runtime: %s", exc)
        return f"unknown ({type(exc).__name__})"
    logger.info("models run on %s", summary)
    for problem in problems:
        logger.warning("model runtime: %s", problem)
    return "; ".join([summary, *problems])


def record_sandbox(client: Any, worker: str, status: SandboxStatus, runtime: str = "",
                   queues: dict[str, bool] | None = None) -> None:
    """`queues`: each sandboxed queue the worker was started for, and whether it serves it."""
    report = {"ok": status.ok, "mode": status.mode, "detail": status.detail, "runtime": runtime,
              "queues": queues if queues is not None else {INFERENCE: status.ok}}
    client.set(f"{KEY}:{worker}", json.dumps(report), ex=TTL_SECONDS)


def sandbox_reports(client: Any) -> dict[str, dict[str, Any]]:
    """{worker: {ok, mode, detail, runtime, queues}} of the sandboxed workers seen in the last minute (`queues`:
    each of `inference` and `programs` it was started for, and whether it serves it)."""
    reports = {}
    for key in client.scan_iter(f"{KEY}:*"):
        value = client.get(key)
        if value is not None:
            reports[key.decode().split(":", 2)[2]] = json.loads(value)
    return reports
