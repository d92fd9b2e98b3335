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

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "platform", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402

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
    task_default_queue="scoring",
    task_routes={
        "workers.tasks.run_inference": {"queue": "inference"},
        "workers.tasks.*": {"queue": "scoring"},
    },
    task_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    beat_schedule={
        "requeue-stale-submissions": {
            "task": "workers.tasks.requeue_stale_submissions",
            "schedule": float(settings.PODIUM_SWEEP_INTERVAL),
            "options": {"queue": "scoring", "expires": max(settings.PODIUM_SWEEP_INTERVAL - 1, 1)},
        }
    },
    imports=["workers.tasks"],
)

from workers.heartbeat import Heartbeat  # noqa: E402

app.steps["worker"].add(Heartbeat)
