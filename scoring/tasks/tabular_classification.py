"""The tabular-classification task type (SPEC section 2): a probability per class for each id of a table.

Kaggle's multi-class log loss ranks (lower is better); ROC AUC and argmax accuracy are reported and may rank.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scoring.demos.tabular import classification_bundle
from scoring.errors import BAD_TRUTH, TruthError
from scoring.formats import tabular
from scoring.formats.csvfile import write_csv
from scoring.metrics import probabilities
from scoring.tasktype import Demo, Metric, Scores, ScoringOptions, TaskType, score_subsets

METRICS = (
    Metric("log_loss", higher_is_better=False, label="Log loss", function=probabilities.log_loss,
           bounds=(0.0, math.inf),
           description="the **multi-class log loss**, Kaggle's way: probabilities clipped to [1e-15, 1 − 1e-15] and "
                       "each row divided by its sum"),
    Metric("roc_auc", label="ROC AUC", function=probabilities.roc_auc,
           description="the **area under the ROC curve** (two classes: of the second class's column; more: the mean "
                       "over classes of one-vs-rest)"),
    Metric("accuracy", label="Accuracy", function=probabilities.accuracy,
           description="**accuracy**: the share of ids whose most probable class is the true one"),
)


def load_truth(path: Path, options: ScoringOptions) -> tabular.TabularTruth:
    truth = tabular.read_classification_truth(path, options.classes)
    if options.ranking_metric == "roc_auc":
        for board, mask in (("public", truth.is_public), ("private", ~truth.is_public)):
            present = set(np.unique(truth.values[mask]).tolist())
            if len(truth.classes) > 2 and len(present) < len(truth.classes) or len(present) < 2:
                raise TruthError(BAD_TRUTH, f"ROC AUC ranks this competition, but the {board} part of truth.csv "
                                            "lacks a class: give every class rows in both parts, or rank by log loss.")
    return truth


def score(truth: tabular.TabularTruth, submission: Path, options: ScoringOptions) -> Scores:
    return score_subsets(METRICS, truth.values, tabular.read_probabilities(submission, truth), truth.is_public)


def sample_submission(truth: tabular.TabularTruth) -> str:
    """Every test id with equal probabilities: a valid file to start from."""
    share = f"{1 / len(truth.classes):.6f}"
    return write_csv(["id", *truth.classes], ((row_id, *[share] * len(truth.classes)) for row_id in truth.ids))


TASK = TaskType(
    name="tabular-classification",
    label="Tabular classification",
    declared_metrics=METRICS,
    ranking_metrics=("log_loss", "roc_auc", "accuracy"),
    primary_metric="log_loss",
    truth_filename="truth.csv",
    submission_suffix=".csv",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
    test_inputs="test.csv",
    check_inputs=tabular.check_test_inputs,
    truth_example="id,label,Usage\nc0001,plus,Public\nc0002,basic,Private\n",
    evaluation=(
        "Log loss, ROC AUC and accuracy are all reported.\n\n"
        "Submit a CSV with the header `id` then one column per class, named and ordered as the competition's "
        "classes, and one row per id of `test.csv`: each cell the probability of that class, in [0, 1] (a row "
        "need not sum to 1)."
    ),
    adapter="workers.runtime.adapters.tabular:run_classification",
    model_probe="workers.runtime.adapters.tabular:probe_classification",
    example="examples.tabular_gbm",
    model_contract=("`Tensor[N, F]` float32, the feature columns of `test.csv` in order (missing values NaN) → "
                    "`[N, C]` probabilities in the competition's class order (or logits, where `podium.yaml` says "
                    "`output: logits`). ONNX classifiers from skl2onnx and onnxmltools run as they are exported: "
                    "their probability output is found by name."),
    demo=Demo(classification_bundle, "plan-picker", {"n_train": 60, "n_test": 40}),
)
