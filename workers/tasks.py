"""Thin Celery tasks: take ids (or a self-contained message), call one service.

Scoring tasks (queue `scoring`) use the database. `run_inference` (queue
`inference`) does not: it gets everything from its message and reports back by
sending `inference_progress` and `inference_finished` to the scoring queue, so
an inference worker needs only the broker and the storage of models and test
inputs. Database-backed services are imported inside the tasks for that reason.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from celery import Task

from workers.app import app

logger = logging.getLogger(__name__)

RETRYING = {
    "autoretry_for": (Exception,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@app.task(bind=True, name="workers.tasks.score_submission", **RETRYING)
def score_submission(self: Task, submission_id: int) -> str | None:
    """Score one submission. Platform faults are retried with backoff; the participant is never charged."""
    from submissions.services import submission_score

    return submission_score(submission_id=submission_id, task_id=self.request.id)


@app.task(name="workers.tasks.requeue_stale_submissions")
def requeue_stale_submissions() -> int:
    from submissions.services import submissions_requeue_stale

    return submissions_requeue_stale()


@app.task(bind=True, name="workers.tasks.run_inference", **RETRYING)
def run_inference(self: Task, job: dict[str, object]) -> None:
    """Run a model over the test inputs in a sandbox and hand its predictions to the scoring queue."""
    from django.conf import settings

    from workers.inference import InferenceJob, run_job
    from workers.storage import job_files

    submission_id = int(job["submission_id"])  # type: ignore[arg-type]
    last_sent = [0.0]

    def report(done: int, total: int) -> None:
        # At most one progress message a second, and always the first and the last.
        now = time.monotonic()
        if done in (0, total) or now - last_sent[0] >= 1.0:
            last_sent[0] = now
            app.send_task("workers.tasks.inference_progress", args=[submission_id, done, total], queue="scoring")

    logger.info("running %s model (batch size %s)", job.get("task"), job.get("batch_size"))
    report(0, 1)
    result = run_job(
        InferenceJob(**job),  # type: ignore[arg-type]
        files=job_files(),
        hidden=[Path(settings.MEDIA_ROOT), Path(settings.VAR_DIR)],
        on_progress=report,
    )
    logger.info("model ran on %s for %.2f s: %s", result.device, result.seconds,
                result.error["code"] if result.error else "predictions stored")
    app.send_task("workers.tasks.inference_finished", args=[submission_id, result.as_dict()], queue="scoring")


@app.task(name="workers.tasks.inference_progress", ignore_result=True)
def inference_progress(submission_id: int, done: int, total: int) -> None:
    from submissions.services import submission_inference_progress

    submission_inference_progress(submission_id=submission_id, done=done, total=total)


@app.task(bind=True, name="workers.tasks.inference_finished", **RETRYING)
def inference_finished(self: Task, submission_id: int, result: dict[str, object]) -> str | None:
    from submissions.services import submission_inference_finished

    return submission_inference_finished(submission_id=submission_id, result=result, task_id=self.request.id)
