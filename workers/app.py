"""The Celery application: `celery -A workers worker -Q scoring` (or `-Q inference`).

Reliability settings, and why:
- `task_acks_late` + `task_reject_on_worker_lost`: a task is acknowledged only
  after it finishes, so a worker killed mid-task leaves the message in Redis
  and another worker gets it.
- `visibility_timeout` exceeds the hard time limit: Redis redelivers an
  unacknowledged task only after it could no longer be running.
- `worker_prefetch_multiplier = 1`: a busy worker does not hoard tasks that an
  idle one could run.
"""
from __future__ import annotations

import inspect
import os
import sys
from contextvars import Token
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "platform", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

from celery import Celery  # noqa: E402
from celery.signals import task_postrun, task_prerun  # noqa: E402
from django.conf import settings  # noqa: E402

from core.logs import bind_submission, unbind_submission  # noqa: E402
from workers import names  # noqa: E402
from workers.config import WorkerConfig, configure  # noqa: E402

# The one module of workers/ that reads Django's settings: the rest gets what it needs from here.
configure(WorkerConfig(media_root=Path(settings.MEDIA_ROOT), var_dir=Path(settings.VAR_DIR),
                       unsandboxed_models=settings.PODIUM_UNSANDBOXED_MODELS, storage=settings.PODIUM_STORAGE,
                       s3=dict(settings.PODIUM_S3)))

app = Celery("podium")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        "visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT,
        # kombu scans every interval × throttle seconds (100 by default): scan every interval.
        "unacked_restore_interval": settings.PODIUM_UNACKED_RESTORE_INTERVAL,
        "unacked_restore_throttle": 1,
    },
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_acks_on_failure_or_timeout=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
    task_ignore_result=True,
    task_default_queue=names.SCORING,
    task_routes={
        names.RUN_INFERENCE: {"queue": names.INFERENCE},
        names.PROGRAM_DRY_RUN: {"queue": names.PROGRAMS},
        "workers.tasks.*": {"queue": names.SCORING},
    },
    task_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    beat_schedule={
        "requeue-stale-submissions": {
            "task": names.REQUEUE_STALE_SUBMISSIONS,
            "schedule": float(settings.PODIUM_SWEEP_INTERVAL),
            "options": {"queue": names.SCORING, "expires": max(settings.PODIUM_SWEEP_INTERVAL - 1, 1)},
        },
        "carry-phase-selections": {
            "task": names.CARRY_PHASE_SELECTIONS,
            "schedule": float(settings.PODIUM_SWEEP_INTERVAL),
            "options": {"queue": names.SCORING, "expires": max(settings.PODIUM_SWEEP_INTERVAL - 1, 1)},
        },
        "organizer-daily-summaries": {
            "task": names.SEND_DAILY_SUMMARIES,
            "schedule": float(settings.PODIUM_DAILY_SUMMARY_INTERVAL),
            "options": {"queue": names.SCORING, "expires": 3600},
        },
        "purge-failed-uploads": {
            "task": names.PURGE_FAILED_UPLOADS,
            "schedule": 3600.0,
            "options": {"queue": names.SCORING, "expires": 3000},
        },
        "notify-ending-competitions": {
            "task": names.NOTIFY_ENDING_COMPETITIONS,
            "schedule": float(settings.PODIUM_ENDING_SWEEP_INTERVAL),
            "options": {"queue": names.SCORING, "expires": max(settings.PODIUM_ENDING_SWEEP_INTERVAL - 1, 1)},
        },
    },
    # Each app's tasks live beside its services; workers.tasks holds the model runner's.
    imports=["workers.tasks", "submissions.tasks", "notifications.tasks", "competitions.tasks"],
)

from workers.gate import SandboxGate  # noqa: E402
from workers.heartbeat import Heartbeat  # noqa: E402

app.steps["worker"].add(Heartbeat)
app.steps["consumer"].add(SandboxGate)

# Every log line written while a task runs names its submission (core/logs.py).
_log_tokens: dict[str, Token[int | None]] = {}


@task_prerun.connect
def _bind_submission(task_id: str, task: object, args: tuple = (), kwargs: dict | None = None, **_: object) -> None:
    _log_tokens[task_id] = bind_submission(submission_of(task, args, kwargs or {}))


def submission_of(task: object, args: tuple, kwargs: dict) -> int | None:
    """The submission a task works on: its `submission_id` argument, or a job's; None for any other task
    (a webhook delivery's or an email's id is not a submission's)."""
    first = args[0] if args else None
    if isinstance(first, dict):
        found = first.get("submission_id")
    elif "submission_id" in kwargs:
        found = kwargs["submission_id"]
    else:
        found = first if _first_parameter(task) == "submission_id" else None
    return found if isinstance(found, int) else None


def _first_parameter(task: object) -> str | None:
    run = getattr(task, "run", None)
    try:
        parameters = [name for name in inspect.signature(run).parameters if name != "self"] if run else []
    except (TypeError, ValueError):
        return None
    return parameters[0] if parameters else None


@task_postrun.connect
def _unbind_submission(task_id: str, **_: object) -> None:
    token = _log_tokens.pop(task_id, None)
    if token is not None:
        unbind_submission(token)
