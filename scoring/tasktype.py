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
class Metric:
    """One metric a task type reports, and the one place that says which way it ranks."""

    name: str
    higher_is_better: bool = True


@dataclass(frozen=True)
class TaskType:
    name: str
    label: str
    declared_metrics: tuple[Metric, ...]  # every metric, in display order, each with its own direction
    primary_metric: str
    truth_filename: str
    submission_suffix: str
    load_truth: Callable[[Path, ScoringOptions], Any]
    score: Callable[[Any, Path, ScoringOptions], Scores]
    sample_submission: Callable[[Any], str]
    # The metrics an organizer may rank by (the primary first); each ranks in its own declared direction.
    ranking_metrics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = self.metrics
        unknown = {self.primary_metric, *self.ranking_metrics} - set(names)
        if len(set(names)) != len(names) or unknown:
            raise ValueError(f"{self.name}: metrics must be declared once each; undeclared: {sorted(unknown)}")

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(metric.name for metric in self.declared_metrics)

    @property
    def higher_is_better(self) -> bool:
        """The primary metric's direction."""
        return self.higher_is_better_for(self.primary_metric)

    def rankable(self) -> tuple[str, ...]:
        return self.ranking_metrics or (self.primary_metric,)

    def higher_is_better_for(self, metric: str) -> bool:
        for declared in self.declared_metrics:
            if declared.name == metric:
                return declared.higher_is_better
        raise KeyError(f"{self.name} declares no metric {metric!r}")
