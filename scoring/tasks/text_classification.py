"""The text-classification task type: accuracy (primary), macro-, micro- and weighted-F1 on each subset;
per-class precision, recall and F1 on the public subset for the team."""
from __future__ import annotations

from pathlib import Path

from scoring.formats import classification
from scoring.formats.csvfile import write_csv
from scoring.metrics.classification import accuracy, macro_f1, micro_f1, per_class, weighted_f1
from scoring.tasktype import PER_CLASS, Metric, Scores, ScoringOptions, TaskType


def load_truth(path: Path, options: ScoringOptions) -> classification.ClassificationTruth:
    return classification.read_truth(path, list(options.classes) or None)


def score(truth: classification.ClassificationTruth, submission: Path, options: ScoringOptions) -> Scores:
    predicted = classification.read_predictions(submission, truth)
    scores: Scores = {}
    for board, mask in (("public", truth.is_public), ("private", ~truth.is_public)):
        y_true, y_pred = truth.labels[mask], predicted[mask]
        scores[board] = {
            "accuracy": accuracy(y_true, y_pred),
            "macro_f1": macro_f1(y_true, y_pred, len(truth.classes)),
            "micro_f1": micro_f1(y_true, y_pred, len(truth.classes)),
            "weighted_f1": weighted_f1(y_true, y_pred, len(truth.classes)),
        }
    mask = truth.is_public
    scores[PER_CLASS] = {"public": per_class(truth.labels[mask], predicted[mask], list(truth.classes))}
    return scores


def sample_submission(truth: classification.ClassificationTruth) -> str:
    """Every test id with the first class: a valid file to start from."""
    return write_csv(["id", "label"], ((row_id, truth.classes[0]) for row_id in truth.ids))


TASK = TaskType(
    name="text-classification",
    label="Text classification",
    declared_metrics=tuple(Metric(name) for name in ("accuracy", "macro_f1", "micro_f1", "weighted_f1")),
    ranking_metrics=("accuracy", "macro_f1", "micro_f1", "weighted_f1"),
    primary_metric="accuracy",
    truth_filename="truth.csv",
    submission_suffix=".csv",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
)
