"""The task types Podium can score, by name.

Everything the platform needs to know about a task type (how to read its
files, its metrics, which one ranks the leaderboard and in which direction,
its test inputs, its model adapter, its demo) comes from its declaration;
adding a task type is its module and one line here (docs/extending.md).
"""
from __future__ import annotations

import os
from pathlib import Path

from scoring.errors import TOO_LARGE, SubmissionError
from scoring.tasks import (custom, detection, segmentation, tabular_classification, tabular_regression,
                           text_classification)
from scoring.tasktype import Scores, ScoringOptions, TaskType

# One line per task type: each module declares everything the platform needs of it (scoring/tasktype.py).
TASKS: dict[str, TaskType] = {task.name: task for task in (
    text_classification.TASK,
    detection.TASK,
    segmentation.TASK,
    tabular_regression.TASK,
    tabular_classification.TASK,
    custom.TASK,  # scored by the organizers' own program (SPEC section 9)
)}


def get_task(name: str) -> TaskType:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task type {name!r}; known: {', '.join(sorted(TASKS))}") from None


def check_size(path: Path, max_bytes: int | None) -> None:
    """Refuse an oversize file before anything reads it."""
    if max_bytes is None:
        return
    size = os.path.getsize(path)
    if size > max_bytes:
        raise SubmissionError(
            TOO_LARGE,
            f"The file is {size / 1e6:.1f} MB; this competition accepts at most {max_bytes / 1e6:.1f} MB.",
        )


def score_file(task: TaskType, truth_path: Path, submission: Path, options: ScoringOptions = ScoringOptions()) -> Scores:
    """Validate and score one submission file against a truth file."""
    check_size(submission, options.max_bytes)
    truth = task.load_truth(truth_path, options)
    return task.score(truth, submission, options)
