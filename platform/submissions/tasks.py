"""The submissions app's Celery tasks (queue `scoring`): each takes ids or a small message and calls one service.

Their names are in `workers/names.py`; `workers/app.py` routes them and runs the sweeps on a schedule.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task

from submissions.retention import failed_uploads_purge
from submissions.recovery import submissions_requeue_stale
from submissions.results import submission_inference_finished, submission_inference_progress, submission_score
from submissions.services import phases_carry
from workers import leases, names
from workers.app import app


@app.task(bind=True, name=names.SCORE_SUBMISSION, **names.RETRYING)
def score_submission(self: Task, submission_id: int) -> str | None:
    """Score one submission. Platform faults are retried with backoff; the participant is never charged."""
    with _holding(self, submission_id):
        return submission_score(submission_id=submission_id, task_id=self.request.id, worker=self.request.hostname or "")


@app.task(name=names.REQUEUE_STALE_SUBMISSIONS)
def requeue_stale_submissions() -> int:
    return submissions_requeue_stale()


@app.task(name=names.CARRY_PHASE_SELECTIONS)
def carry_phase_selections() -> int:
    return phases_carry()


@app.task(name=names.PURGE_FAILED_UPLOADS)
def purge_failed_uploads() -> int:
    return failed_uploads_purge()


@app.task(name=names.INFERENCE_PROGRESS, ignore_result=True)
def inference_progress(submission_id: int, done: int, total: int, worker: str = "") -> None:
    submission_inference_progress(submission_id=submission_id, done=done, total=total, worker=str(worker))


@app.task(bind=True, name=names.INFERENCE_FINISHED, **names.RETRYING)
def inference_finished(self: Task, submission_id: int, result: dict[str, object]) -> str | None:
    with _holding(self, submission_id):
        return submission_inference_finished(submission_id=submission_id, result=result, task_id=self.request.id)


@contextmanager
def _holding(task: Task, submission_id: int) -> Iterator[None]:
    """Hold the submission's lease while a scoring-queue task works on it, then let go."""
    worker = task.request.hostname or "unknown"
    leases.take(submission_id, worker)
    try:
        with leases.held(submission_id, worker):
            yield
    finally:
        leases.release(submission_id)
