"""The names of Podium's Celery tasks and queues, in one place: the apps that send them and the app that routes
them import these.

The task names keep the `workers.tasks.` prefix they had when every task lived in `workers/tasks.py`, so
messages queued before an upgrade still find their task. Where a task lives now is beside its services:
`submissions/tasks.py`, `notifications/tasks.py`, and `workers/tasks.py` for the model runner.
"""
from __future__ import annotations

SCORING, INFERENCE = "scoring", "inference"
# Submissions scored by the organizers' own program (task `custom`): served by scoring workers that can build the
# sandbox (workers/gate.py); `-Q scoring,programs` serves both, and a worker of its own may take this one alone.
PROGRAMS = "programs"
SANDBOXED = (INFERENCE, PROGRAMS)  # the queues whose work runs only in the sandbox

# submissions/tasks.py
SCORE_SUBMISSION = "workers.tasks.score_submission"
REQUEUE_STALE_SUBMISSIONS = "workers.tasks.requeue_stale_submissions"
CARRY_PHASE_SELECTIONS = "workers.tasks.carry_phase_selections"
PURGE_FAILED_UPLOADS = "workers.tasks.purge_failed_uploads"
INFERENCE_PROGRESS = "workers.tasks.inference_progress"
INFERENCE_FINISHED = "workers.tasks.inference_finished"
# notifications/tasks.py
NOTIFY_ENDING_COMPETITIONS = "workers.tasks.notify_ending_competitions"
SEND_DAILY_SUMMARIES = "workers.tasks.send_daily_summaries"
DELIVER_WEBHOOK = "workers.tasks.deliver_webhook"
SEND_NOTIFICATION_EMAIL = "workers.tasks.send_notification_email"
# competitions/tasks.py (queue `programs`)
PROGRAM_DRY_RUN = "competitions.tasks.program_dry_run"
# workers/tasks.py: the only task an inference worker runs
RUN_INFERENCE = "workers.tasks.run_inference"

# Retried with backoff (1 s doubling to a minute, 8 times): platform faults, never the participant's.
RETRYING = {
    "autoretry_for": (Exception,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}
