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
from collections.abc import Callable

from celery import Task
from celery.exceptions import Reject

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
    from workers.gate import hidden_paths, worker_sandbox
    from workers.inference import InferenceJob, run_job
    from workers.storage import job_files

    sandbox = worker_sandbox()
    if not sandbox.ok:
        # Fail closed: back to the queue for a worker that can sandbox (this one stops consuming at start).
        time.sleep(5)
        raise Reject(f"no sandbox on this worker: {sandbox.detail}", requeue=True)
    submission_id = int(job["submission_id"])  # type: ignore[arg-type]
    logger.info("running %s model (batch size %s, %s)", job.get("task"), job.get("batch_size"), sandbox.mode)
    if sandbox.mode == "unsandboxed":
        logger.warning("UNSANDBOXED: this model runs without a sandbox (PODIUM_UNSANDBOXED_MODELS=1)")
    report = _progress_sender(submission_id)
    report(0, 1)
    result = run_job(InferenceJob(**job), files=job_files(), hidden=hidden_paths(),  # type: ignore[arg-type]
                     on_progress=report, unsandboxed=sandbox.mode == "unsandboxed")
    logger.info("model ran on %s for %.2f s: %s", result.device, result.seconds,
                result.error["code"] if result.error else "predictions stored")
    app.send_task("workers.tasks.inference_finished", args=[submission_id, result.as_dict()], queue="scoring")


def _progress_sender(submission_id: int) -> Callable[[int, int], None]:
    """At most one progress message a second, whatever the model reports."""
    last_sent = [-1.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last_sent[0] >= 1.0:
            last_sent[0] = now
            app.send_task("workers.tasks.inference_progress", args=[submission_id, done, total], queue="scoring")

    return report


@app.task(name="workers.tasks.inference_progress", ignore_result=True)
def inference_progress(submission_id: int, done: int, total: int) -> None:
    from submissions.services import submission_inference_progress

    submission_inference_progress(submission_id=submission_id, done=done, total=total)


@app.task(bind=True, name="workers.tasks.inference_finished", **RETRYING)
def inference_finished(self: Task, submission_id: int, result: dict[str, object]) -> str | None:
    from submissions.services import submission_inference_finished

    return submission_inference_finished(submission_id=submission_id, result=result, task_id=self.request.id)
