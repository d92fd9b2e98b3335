"""What every task type provides to the platform: parser, metrics and ordering."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# {"public": {metric: value}, "private": {metric: value}}, and for some tasks PER_CLASS:
# {"public": {class: {name: value}}}, numbers per class (or category) of the public subset, for the team's eyes.
Scores = dict[str, dict[str, Any]]
PER_CLASS = "per_class"


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
    # The metrics an organizer may rank by (the primary first); each ranks in its own direction.
    ranking_metrics: tuple[str, ...] = ()
    lower_is_better: frozenset[str] = frozenset()

    def rankable(self) -> tuple[str, ...]:
        return self.ranking_metrics or (self.primary_metric,)

    def higher_is_better_for(self, metric: str) -> bool:
        return metric not in self.lower_is_better
