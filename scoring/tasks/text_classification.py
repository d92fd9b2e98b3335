"""The text-classification task type: accuracy (primary), macro-, micro- and weighted-F1 on each subset;
per-class precision, recall and F1 on the public subset for the team."""
from __future__ import annotations

from pathlib import Path

from scoring.demos.text import text_classification_bundle
from scoring.formats import classification
from scoring.formats.csvfile import write_csv
from scoring.metrics.classification import accuracy, macro_f1, micro_f1, per_class, weighted_f1
from scoring.inputs import check_text_inputs
from scoring.tasktype import PER_CLASS, Demo, Metric, Scores, ScoringOptions, TaskType


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
    declared_metrics=(
        Metric("accuracy", label="Accuracy",
               description="**accuracy**: the share of test ids whose predicted label equals the true label"),
        Metric("macro_f1", label="Macro-F1",
               description="**macro-F1**: the unweighted mean of each class's F1 (every class counts the same)"),
        Metric("micro_f1", label="Micro-F1", description="**micro-F1**: F1 over all rows at once"),
        Metric("weighted_f1", label="Weighted-F1",
               description="**weighted-F1**: each class's F1 weighted by how many test rows have that class"),
    ),
    ranking_metrics=("accuracy", "macro_f1", "micro_f1", "weighted_f1"),
    primary_metric="accuracy",
    truth_filename="truth.csv",
    submission_suffix=".csv",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
    test_inputs="test.csv",
    check_inputs=check_text_inputs,
    truth_example="id,label,Usage\nt0001,sports,Public\nt0002,food,Private\n",
    evaluation=(
        "Accuracy, macro-, micro- and weighted-F1 are all reported; your submission's page also shows each class's "
        "precision, recall and F1 on the public part.\n\n"
        "Submit a CSV with the header `id,label` and one row per id of `test.csv`, in any order."
    ),
    adapter="workers.runtime.adapters.text",
    model_probe="workers.runtime.adapters.text:probe",
    example="examples.text_classification",
    demo=Demo(text_classification_bundle, "topic-detective", {"n_train": 40, "n_test": 60}),
)
