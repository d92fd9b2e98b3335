"""Thin Celery tasks: take ids, call one service."""
from __future__ import annotations

import django

django.setup()

from celery import Task  # noqa: E402

from submissions.services import submission_score, submissions_requeue_stale  # noqa: E402
from workers.app import app  # noqa: E402


@app.task(
    bind=True,
    name="workers.tasks.score_submission",
    autoretry_for=(Exception,),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def score_submission(self: Task, submission_id: int) -> str | None:
    """Score one submission. Platform faults are retried with backoff; the participant is never charged."""
    return submission_score(submission_id=submission_id, task_id=self.request.id)


@app.task(name="workers.tasks.requeue_stale_submissions")
def requeue_stale_submissions() -> int:
    return submissions_requeue_stale()
