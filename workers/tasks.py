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
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery import Task
from celery.exceptions import Reject

from workers import leases
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

    with _holding(self, submission_id):
        return submission_score(submission_id=submission_id, task_id=self.request.id, worker=self.request.hostname or "")


@app.task(name="workers.tasks.requeue_stale_submissions")
def requeue_stale_submissions() -> int:
    from submissions.services import submissions_requeue_stale

    return submissions_requeue_stale()


@app.task(name="workers.tasks.notify_ending_competitions")
def notify_ending_competitions() -> int:
    from notifications.services import notify_ending_soon

    return notify_ending_soon()


@app.task(name="workers.tasks.carry_phase_selections")
def carry_phase_selections() -> int:
    from submissions.services import phases_carry

    return phases_carry()


@app.task(name="workers.tasks.purge_failed_uploads")
def purge_failed_uploads() -> int:
    from submissions.retention import failed_uploads_purge

    return failed_uploads_purge()


@app.task(name="workers.tasks.send_daily_summaries")
def send_daily_summaries() -> int:
    from notifications.organizers import daily_summaries

    return daily_summaries()


@app.task(name="workers.tasks.deliver_webhook", **RETRYING)
def deliver_webhook(delivery_id: int) -> bool:
    """Retried with backoff (1 s doubling to a minute, 8 times) while the endpoint refuses or cannot be reached."""
    from notifications.organizers import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)


@app.task(name="workers.tasks.send_notification_email", **RETRYING)
def send_notification_email(notification_id: int) -> bool:
    from notifications.services import notification_email_send

    return notification_email_send(notification_id=notification_id)


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
    job = dict(job)
    submission_id = int(job["submission_id"])  # type: ignore[arg-type]
    worker = self.request.hostname or ""
    if not leases.take(submission_id, worker, str(job.pop("token", "") or "")):
        logger.info("dropped a stale task: the submission was sent again or is done")
        return
    logger.info("running %s model (batch size %s, %s)", job.get("task"), job.get("batch_size"), sandbox.mode)
    if sandbox.mode == "unsandboxed":
        logger.warning("UNSANDBOXED: this model runs without a sandbox (PODIUM_UNSANDBOXED_MODELS=1)")
    handed_over = False
    try:
        with leases.held(submission_id, worker):
            report = _progress_sender(submission_id, worker)
            report(0, 1)
            result = run_job(InferenceJob(**job), files=job_files(), hidden=hidden_paths(),  # type: ignore[arg-type]
                             on_progress=report, unsandboxed=sandbox.mode == "unsandboxed")
        logger.info("model ran on %s for %.2f s: %s", result.device, result.seconds,
                    result.error["code"] if result.error else "predictions stored")
        leases.release(submission_id, handover=True)
        handed_over = True
        app.send_task("workers.tasks.inference_finished", args=[submission_id, result.as_dict()], queue="scoring")
    finally:
        if not handed_over:
            leases.release(submission_id)


def _progress_sender(submission_id: int, worker: str) -> Callable[[int, int], None]:
    """At most one progress message a second, whatever the model reports."""
    last_sent = [-1.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last_sent[0] >= 1.0:
            last_sent[0] = now
            app.send_task("workers.tasks.inference_progress", args=[submission_id, done, total, worker], queue="scoring")

    return report


@app.task(name="workers.tasks.inference_progress", ignore_result=True)
def inference_progress(submission_id: int, done: int, total: int, worker: str = "") -> None:
    from submissions.services import submission_inference_progress

    submission_inference_progress(submission_id=submission_id, done=done, total=total, worker=str(worker))


@app.task(bind=True, name="workers.tasks.inference_finished", **RETRYING)
def inference_finished(self: Task, submission_id: int, result: dict[str, object]) -> str | None:
    from submissions.services import submission_inference_finished

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
