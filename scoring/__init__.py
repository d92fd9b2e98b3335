"""Formats, validation and metrics for Podium's task types.

Pure Python: no Django, no Celery, no settings. The platform and the workers
call it; `python -m scoring score` runs it from the command line.
"""
from __future__ import annotations

from scoring.errors import ScoringError, SubmissionError, TruthError
from scoring.registry import TASKS, get_task, score_file
from scoring.tasktype import Metric, Scores, ScoringOptions, TaskType

__all__ = [
    "TASKS",
    "Metric",
    "Scores",
    "ScoringError",
    "ScoringOptions",
    "SubmissionError",
    "TaskType",
    "TruthError",
    "get_task",
    "score_file",
]
