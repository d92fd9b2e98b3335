"""What a task type declares: everything the platform needs of it, in one place.

A task type is one module in `scoring/tasks/` that builds a `TaskType` and one line in
`scoring/registry.py`. The platform reads everything from the declaration — formats, metrics and
their directions, the test inputs and the checks a bundle's copy of them must pass, a truth example
for the admin, the evaluation text, the model adapter, the demo competition — and nothing else
names a task type (docs/extending.md walks through adding one).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# {"public": {metric: value}, "private": {metric: value}}, and for some tasks PER_CLASS:
# {"public": {class: {name: value}}}, numbers per class (or category) of the public subset, for the team's eyes.
Scores = dict[str, dict[str, Any]]
PER_CLASS = "per_class"

# check(truth, folder, problems, rewrites): compare a bundle's test inputs in `folder` with the truth, appending
# what is wrong to `problems`; a file that is right but laid out otherwise may be fixed by putting its new bytes
# in `rewrites`.
InputCheck = Callable[[Any, Path, list[str], dict[Path, bytes]], None]


@dataclass(frozen=True)
class ScoringOptions:
    """Per-competition settings that change how files are read."""

    classes: tuple[str, ...] = ()
    max_bytes: int | None = None
    ranking_metric: str = ""  # the metric that ranks the board ("": the primary): it must be defined on every file
    # What scores a file of a task type scored by a program (`TaskType.program`): `program(truth, submission)`
    # returns its Scores or raises SubmissionError. The platform gives it (it runs the organizers' program in the
    # sandbox); None elsewhere.
    program: Callable[[Any, Path], Scores] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Metric:
    """One metric a task type reports: its name, its label, what it means, how it is computed, which way it ranks.

    `function` computes it on one subset from the arrays the task's format reads (y_true, y_pred); it is None
    where the task computes its metrics together (COCOeval's twelve numbers come from one evaluation).
    """

    name: str
    higher_is_better: bool = True
    label: str = ""
    description: str = ""  # Markdown, in a participant's words: "the share of test ids whose label is right"
    function: Callable[[Any, Any], float | None] | None = None  # None from it: undefined on this subset
    bounds: tuple[float, float] = (0.0, 1.0)  # the values it can take (math.inf where unbounded): charts' axes
    per_class: bool = False  # a mean over the truth's classes: the plain metric again where it has none

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Demo:
    """The demo competition of a task type: `build(folder, slug=..., **sizes)` writes a bundle folder."""

    build: Callable[..., Any]
    folder: str  # the demo's folder and slug, e.g. "topic-detective"
    example_sizes: dict[str, int] = field(default_factory=dict)  # a small example bundle for organizers


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
    # The public file participants predict for ("test.csv"), and the check a bundle's test inputs must pass.
    test_inputs: str = ""
    check_inputs: InputCheck | None = None
    truth_example: str = ""  # a small truth file, shown beside the admin's truth field
    evaluation: str = ""  # Markdown: what is reported and what to submit, after the ranking metric's sentence
    # The model adapter, run inside the sandbox: a module path with `run(model, inputs, output, options, progress)`
    # (workers/runtime/adapters/). None: this task takes predictions files only.
    adapter: str | None = None
    # A participant's starting point and what the task-type contract test submits: a module of examples/ with
    # `package(data, competition, folder) -> upload path` or `build(data, competition) -> TorchScript module`.
    example: str = ""
    # "module:function" of `probe(inputs, classes) -> Probe` beside the adapter: a minimal model of the adapter's
    # contract, which the format × task contract test exports in every model format.
    model_probe: str = ""
    model_contract: str = ""  # Markdown: what a model takes and returns, for the Submit page and the docs
    images: bool = False  # test inputs are images: thumbnails, and an overlay of predictions on a submission's page
    demo: Demo | None = None
    # Scored by the organizers' own program (SPEC section 9): each competition declares its metrics and its
    # submission suffix, and `for_competition` makes the task type it is scored as.
    program: bool = False

    def __post_init__(self) -> None:
        names = self.metrics
        if self.program and not names:
            return  # the registry's entry: each competition declares its own metrics
        unknown = {self.primary_metric, *self.ranking_metrics} - set(names)
        if len(set(names)) != len(names) or unknown:
            raise ValueError(f"{self.name}: metrics must be declared once each; undeclared: {sorted(unknown)}")

    def for_competition(self, metrics: tuple[Metric, ...], submission_suffix: str) -> TaskType:
        """A program-scored task type with one competition's metrics (the first ranks by default, any may rank)
        and its participants' file suffix."""
        if not self.program:
            return self
        names = tuple(metric.name for metric in metrics)
        return replace(self, declared_metrics=metrics, primary_metric=names[0] if names else "",
                       ranking_metrics=names, submission_suffix=submission_suffix or self.submission_suffix)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(metric.name for metric in self.declared_metrics)

    @property
    def higher_is_better(self) -> bool:
        """The primary metric's direction."""
        return self.higher_is_better_for(self.primary_metric)

    @property
    def output_name(self) -> str:
        """The file a model's predictions are written to, in this task's submission format."""
        return f"predictions{self.submission_suffix}"

    @property
    def accepts_models(self) -> bool:
        return self.adapter is not None

    def rankable(self) -> tuple[str, ...]:
        """The metrics that may rank (none in a program-scored type's registry entry: its competitions declare them)."""
        return self.ranking_metrics or ((self.primary_metric,) if self.primary_metric else ())

    def metric(self, name: str) -> Metric:
        for declared in self.declared_metrics:
            if declared.name == name:
                return declared
        raise KeyError(f"{self.name} declares no metric {name!r}")

    def higher_is_better_for(self, metric: str) -> bool:
        return self.metric(metric).higher_is_better


def score_subsets(metrics: tuple[Metric, ...], y_true: Any, y_pred: Any, is_public: Any) -> Scores:
    """Each declared metric's function on the public and the private rows; one undefined there is left out."""
    scores: Scores = {}
    for board, mask in (("public", is_public), ("private", ~is_public)):
        values = {metric.name: metric.function(y_true[mask], y_pred[mask])
                  for metric in metrics if metric.function is not None}
        scores[board] = {name: float(value) for name, value in values.items() if value is not None}
    return scores
