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
STAGE_CHOICES = [(INFERENCE, "Running the model"), (SCORING, "Scoring")]
