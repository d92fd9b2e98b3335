"""A submission's life: queued → running → scored | failed."""
from __future__ import annotations

QUEUED = "queued"
RUNNING = "running"
SCORED = "scored"
FAILED = "failed"

CHOICES = [(QUEUED, "Queued"), (RUNNING, "Running"), (SCORED, "Scored"), (FAILED, "Failed")]
FINAL = frozenset({SCORED, FAILED})
PENDING = frozenset({QUEUED, RUNNING})

# Stages within RUNNING.
INFERENCE = "inference"
SCORING = "scoring"
# Within QUEUED: a model held back until its team's running model finishes (one at a time per team,
# so that the inference queue takes teams in turn).
WAITING = "waiting"
STAGE_CHOICES = [(INFERENCE, "Running the model"), (SCORING, "Scoring"), (WAITING, "Waiting for the team's running model")]
