"""The tabular-regression task type (SPEC section 2): a number per id of a table of features.

RMSE ranks (lower is better); MAE, RMSLE and R² are reported and may rank. Each equals scikit-learn's.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scoring.demos.tabular import regression_bundle
from scoring.errors import NEGATIVE_VALUE, SubmissionError, TruthError, quote
from scoring.formats import tabular
from scoring.formats.csvfile import write_csv
from scoring.metrics import regression
from scoring.tasktype import Demo, Metric, Scores, ScoringOptions, TaskType, score_subsets

METRICS = (
    Metric("rmse", higher_is_better=False, label="RMSE", function=regression.rmse, bounds=(0.0, math.inf),
           description="the **root mean squared error** between predicted and true targets"),
    Metric("mae", higher_is_better=False, label="MAE", function=regression.mae, bounds=(0.0, math.inf),
           description="the **mean absolute error** between predicted and true targets"),
    Metric("rmsle", higher_is_better=False, label="RMSLE", function=regression.rmsle, bounds=(0.0, math.inf),
           description="the **root mean squared logarithmic error**, RMSE of log(1 + value): relative errors count, "
                       "so a target of 1,000 missed by 100 counts as much as one of 10 missed by 1"),
    Metric("r2", label="R²", function=regression.r2, bounds=(-math.inf, 1.0),
           description="the **coefficient of determination R²**: 1 minus the squared error over the targets' variance"),
)


def load_truth(path: Path, options: ScoringOptions) -> tabular.TabularTruth:
    truth = tabular.read_regression_truth(path)
    if options.ranking_metric == "rmsle" and (truth.values < 0).any():
        raise TruthError(NEGATIVE_VALUE, "truth.csv has negative targets, which RMSLE cannot score: rank by another "
                                         "metric or shift the targets.")
    return truth


def score(truth: tabular.TabularTruth, submission: Path, options: ScoringOptions) -> Scores:
    predicted = tabular.read_regression_predictions(submission, truth)
    if options.ranking_metric == "rmsle" and (predicted < 0).any():
        row = int(np.argmax(predicted < 0))
        raise SubmissionError(NEGATIVE_VALUE, (
            f"The target of id {quote(truth.ids[row])} is {predicted[row]:g}; this competition ranks by RMSLE, "
            "which takes only values of 0 or more (clip the predictions at 0)."))
    return score_subsets(METRICS, truth.values, predicted, truth.is_public)


def sample_submission(truth: tabular.TabularTruth) -> str:
    """Every test id with 0: a valid file to start from."""
    return write_csv(["id", "target"], ((row_id, "0") for row_id in truth.ids))


TASK = TaskType(
    name="tabular-regression",
    label="Tabular regression",
    declared_metrics=METRICS,
    ranking_metrics=("rmse", "mae", "rmsle", "r2"),
    primary_metric="rmse",
    truth_filename="truth.csv",
    submission_suffix=".csv",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
    test_inputs="test.csv",
    check_inputs=tabular.check_test_inputs,
    truth_example="id,target,Usage\nh0001,212000,Public\nh0002,98500.5,Private\n",
    evaluation=(
        "RMSE, MAE, RMSLE and R² are all reported (RMSLE only where no target or prediction is negative).\n\n"
        "Submit a CSV with the header `id,target` and one finite number per id of `test.csv`, in any order."
    ),
    adapter="workers.runtime.adapters.tabular:run_regression",
    model_probe="workers.runtime.adapters.tabular:probe_regression",
    example="examples.tabular_gbm",
    model_contract=("`Tensor[N, F]` float32, the feature columns of `test.csv` in order (missing values NaN) → "
                    "`[N]` predicted targets. ONNX tree ensembles (`ai.onnx.ml`) from skl2onnx and onnxmltools run "
                    "as they are exported."),
    demo=Demo(regression_bundle, "house-prices-lite", {"n_train": 60, "n_test": 40}),
)
