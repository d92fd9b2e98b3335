"""The model runner's Celery task: `run_inference` (queue `inference`).

It never uses the database: it gets everything from its message and reports back by sending
`inference_progress` and `inference_finished` to the scoring queue (their tasks live beside the
submissions' services, `submissions/tasks.py`), so an inference worker needs only the broker and the
storage of models and test inputs. The apps' own tasks live in each app (`submissions/tasks.py`,
`notifications/tasks.py`); every task name is in `workers/names.py`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery import Task
from celery.exceptions import Reject

from workers import leases, names
from workers.app import app
from workers.gate import hidden_paths, worker_sandbox
from workers.inference import InferenceJob, run_job
from workers.storage import job_files

logger = logging.getLogger(__name__)


@app.task(bind=True, name=names.RUN_INFERENCE, **names.RETRYING)
def run_inference(self: Task, job: dict[str, object]) -> None:
    """Run a model over the test inputs in a sandbox and hand its predictions to the scoring queue."""
    sandbox = worker_sandbox()
    if not sandbox.ok:
        # Fail closed: back to the queue for a worker that can sandbox (this one stops consuming at start).
        time.sleep(5)
        raise Reject(f"no sandbox on this worker: {sandbox.detail}", requeue=True)
    job = dict(job)
    submission_id = int(str(job["submission_id"]))
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
            result = run_job(InferenceJob(**job), files=job_files(), hidden=hidden_paths(),  # type: ignore[arg-type]  # the message's fields, as submissions/dispatch.py wrote them
                             on_progress=report, unsandboxed=sandbox.mode == "unsandboxed")
        logger.info("model ran on %s for %.2f s: %s", result.device, result.seconds,
                    result.error["code"] if result.error else "predictions stored")
        leases.release(submission_id, handover=True)
        handed_over = True
        app.send_task(names.INFERENCE_FINISHED, args=[submission_id, result.as_dict()], queue=names.SCORING)
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
            app.send_task(names.INFERENCE_PROGRESS, args=[submission_id, done, total, worker],
                          queue=names.SCORING)

    return report
