"""What every task type provides to the platform: parser, metrics and ordering."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# {"public": {metric: value}, "private": {metric: value}}
Scores = dict[str, dict[str, float]]


@dataclass(frozen=True)
class ScoringOptions:
    """Per-competition settings that change how files are read."""

    classes: tuple[str, ...] = ()
    max_bytes: int | None = None


@dataclass(frozen=True)
class TaskType:
    name: str
    label: str
    metrics: tuple[str, ...]
    primary_metric: str
    higher_is_better: bool
    truth_filename: str
    submission_suffix: str
    load_truth: Callable[[Path, ScoringOptions], Any]
    score: Callable[[Any, Path, ScoringOptions], Scores]
    sample_submission: Callable[[Any], str]
