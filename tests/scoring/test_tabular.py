"""Tabular regression and classification: every metric within 1e-9 of scikit-learn, and every bad file refused
with its code."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from scoring import ScoringOptions, SubmissionError, TruthError, get_task, score_file
from scoring.metrics import probabilities

REGRESSION, CLASSIFICATION = get_task("tabular-regression"), get_task("tabular-classification")
CLASSES = ("pro", "basic", "plus")  # not sorted: the submission's columns follow the competition's order


def write(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> Path:
    path.write_text("\n".join([",".join(header), *(",".join(str(v) for v in row) for row in rows)]) + "\n")
    return path


def usage(n: int, rng: np.random.Generator) -> np.ndarray:
    public = rng.random(n) < 0.4
    public[0], public[1] = True, False
    return public


def regression_case(tmp_path: Path, y: np.ndarray, p: np.ndarray, public: np.ndarray,
                    options: ScoringOptions = ScoringOptions()) -> dict:
    ids = [f"id{i}" for i in range(y.size)]
    truth = write(tmp_path / "truth.csv", ["id", "target", "Usage"],
                  [(i, repr(float(v)), "Public" if u else "Private") for i, v, u in zip(ids, y, public)])
    order = np.random.default_rng(1).permutation(y.size)  # any row order
    submission = write(tmp_path / "sub.csv", ["id", "target"], [(ids[k], repr(float(p[k]))) for k in order])
    return score_file(REGRESSION, truth, submission, options)


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_equal_sklearn(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 3000))
    y = rng.gamma(2.0, 50.0, n)
    p = np.maximum(0, y + rng.normal(0, 20, n))
    public = usage(n, rng)
    scores = regression_case(tmp_path, y, p, public)
    for board, mask in (("public", public), ("private", ~public)):
        expected = {"rmse": skm.root_mean_squared_error(y[mask], p[mask]),
                    "mae": skm.mean_absolute_error(y[mask], p[mask]),
                    "rmsle": skm.root_mean_squared_log_error(y[mask], p[mask]),
                    "r2": skm.r2_score(y[mask], p[mask])}
        for name, value in expected.items():
            assert scores[board][name] == pytest.approx(value, abs=1e-9, rel=0), (board, name)


def test_regression_edge_cases_equal_sklearn(tmp_path: Path) -> None:
    y = np.array([3.0, 3.0, 3.0, 1.0, 2.0, 5.0])
    public = np.array([True, True, True, False, False, False])
    constant = np.full(6, 2.5)
    scores = regression_case(tmp_path, y, constant, public)
    # A constant truth on the public part: sklearn's R² is 0.0 for any miss (force_finite), 1.0 when exact.
    assert scores["public"]["r2"] == skm.r2_score(y[public], constant[public]) == 0.0
    assert scores["private"]["r2"] == pytest.approx(skm.r2_score(y[~public], constant[~public]), abs=1e-9)
    exact = regression_case(tmp_path, y, y.copy(), public)
    assert exact["public"]["r2"] == skm.r2_score(y[public], y[public]) == 1.0
    assert exact["public"]["rmse"] == 0.0


def test_a_negative_value_leaves_rmsle_out_unless_it_ranks(tmp_path: Path) -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.0, -0.5, 3.0, 4.0])
    public = np.array([True, True, False, False])
    scores = regression_case(tmp_path, y, p, public)
    assert "rmsle" not in scores["public"] and "rmsle" in scores["private"]
    # SPEC section 2: a negative value fails RMSLE (sklearn 1.9 itself takes values above -1).
    with pytest.raises(SubmissionError) as refused:
        regression_case(tmp_path, y, p, public, ScoringOptions(ranking_metric="rmsle"))
    assert refused.value.code == "negative-value" and "'id1'" in refused.value.message
    with pytest.raises(TruthError) as truth_refused:
        regression_case(tmp_path, -y, y, public, ScoringOptions(ranking_metric="rmsle"))
    assert truth_refused.value.code == "negative-value"


@pytest.mark.parametrize("cell, code", [("nan", "not-finite"), ("inf", "not-finite"), ("-Infinity", "not-finite"),
                                        ("1,5", "bad-row"), ("abc", "bad-number"), ("", "empty-value")])
def test_regression_refuses_what_cannot_be_scored(tmp_path: Path, cell: str, code: str) -> None:
    truth = write(tmp_path / "truth.csv", ["id", "target", "Usage"], [("a", 1, "Public"), ("b", 2, "Private")])
    submission = tmp_path / "sub.csv"
    submission.write_text(f"id,target\na,1\nb,{cell}\n")
    with pytest.raises(SubmissionError) as refused:
        score_file(REGRESSION, truth, submission)
    assert refused.value.code == code
    if code not in ("bad-row",):
        assert "Line 3" in refused.value.message and "'b'" in refused.value.message


@pytest.mark.parametrize("cell", ["nan", "inf", "x"])
def test_a_truth_target_must_be_a_finite_number(tmp_path: Path, cell: str) -> None:
    truth = write(tmp_path / "truth.csv", ["id", "target", "Usage"], [("a", 1, "Public"), ("b", cell, "Private")])
    with pytest.raises(TruthError) as refused:
        REGRESSION.load_truth(truth, ScoringOptions())
    assert refused.value.code in ("not-finite", "bad-number") and "truth.csv line 3" in refused.value.message


def classification_case(tmp_path: Path, labels: np.ndarray, matrix: np.ndarray, public: np.ndarray,
                        classes: tuple[str, ...] = CLASSES, options: dict | None = None) -> dict:
    ids = [f"id{i}" for i in range(labels.size)]
    truth = write(tmp_path / "truth.csv", ["id", "label", "Usage"],
                  [(i, classes[k], "Public" if u else "Private") for i, k, u in zip(ids, labels, public)])
    submission = write(tmp_path / "sub.csv", ["id", *classes], [(i, *(repr(float(v)) for v in row)) for i, row in zip(ids, matrix)])
    return score_file(CLASSIFICATION, truth, submission, ScoringOptions(classes=classes, **(options or {})))


def sklearn_classification(labels: np.ndarray, matrix: np.ndarray, classes: tuple[str, ...]) -> dict[str, float]:
    """The SPEC's definitions, through sklearn: Kaggle's clip and row division, then sklearn on that matrix."""
    names = np.array(classes)[labels]
    normalized = np.clip(matrix, 1e-15, 1 - 1e-15)
    normalized = normalized / normalized.sum(axis=1, keepdims=True)
    order = np.argsort(classes)  # sklearn reads the columns in sorted label order
    log_loss = skm.log_loss(names, normalized[:, order], labels=list(np.array(classes)[order]))
    if len(classes) == 2:
        auc = skm.roc_auc_score(labels == 1, matrix[:, 1])
    else:
        auc = skm.roc_auc_score(names, normalized[:, order], multi_class="ovr", average="macro",
                                labels=list(np.array(classes)[order]))
    accuracy = skm.accuracy_score(labels, np.argmax(matrix, axis=1))
    return {"log_loss": log_loss, "roc_auc": auc, "accuracy": accuracy}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("classes", [CLASSES, ("no", "yes")])
def test_classification_metrics_equal_sklearn(tmp_path: Path, seed: int, classes: tuple[str, ...]) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 3000))
    labels = rng.integers(0, len(classes), n)
    labels[:2 * len(classes)] = np.tile(np.arange(len(classes)), 2)  # every class in both parts
    public = usage(n, rng)
    public[:2 * len(classes)] = np.repeat([True, False], len(classes))
    matrix = rng.dirichlet(np.ones(len(classes)), n) * rng.uniform(0.5, 1.0, (n, 1))  # rows need not sum to 1
    matrix[:5] = 0.0  # all-zero rows, and exact zeros, hit Kaggle's clip
    matrix[5, 0] = 1.0
    matrix = np.round(matrix, 3)  # tied scores, as submitted files have
    scores = classification_case(tmp_path, labels, matrix, public, classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for board, mask in (("public", public), ("private", ~public)):
            expected = sklearn_classification(labels[mask], matrix[mask], classes)
            for name, value in expected.items():
                assert scores[board][name] == pytest.approx(value, abs=1e-9, rel=0), (board, name, classes)


def test_classification_edge_cases(tmp_path: Path) -> None:
    labels = np.array([0, 0, 0, 0, 1, 2])
    public = np.array([True, True, True, False, False, False])
    constant = np.full((6, 3), 0.2)
    scores = classification_case(tmp_path, labels, constant, public)
    # One class present in the public part: AUC is undefined (sklearn warns and gives NaN), so it is left out.
    assert "roc_auc" not in scores["public"]
    assert scores["public"]["accuracy"] == 1.0  # ties go to the first class
    assert scores["public"]["log_loss"] == pytest.approx(np.log(3), abs=1e-12)
    with pytest.warns(UndefinedMetricWarning):  # sklearn: not defined, NaN
        assert np.isnan(skm.roc_auc_score(labels[public] == 1, constant[public][:, 1]))
    # Constant scores rank nothing: AUC 0.5, as sklearn says.
    assert scores["private"]["roc_auc"] == pytest.approx(0.5)
    assert probabilities.binary_auc(np.array([True, False]), np.array([0.3, 0.3])) == 0.5
    with pytest.raises(TruthError) as refused:
        classification_case(tmp_path, labels, constant, public, options={"ranking_metric": "roc_auc"})
    assert refused.value.code == "bad-truth"


@pytest.mark.parametrize("cell, code", [("nan", "not-finite"), ("inf", "not-finite"), ("1.5", "bad-probability"),
                                        ("-0.1", "bad-probability"), ("x", "bad-number"), ("", "empty-value")])
def test_classification_refuses_what_cannot_be_scored(tmp_path: Path, cell: str, code: str) -> None:
    truth = write(tmp_path / "truth.csv", ["id", "label", "Usage"], [("a", "no", "Public"), ("b", "yes", "Private")])
    submission = tmp_path / "sub.csv"
    submission.write_text(f"id,no,yes\na,0.5,0.5\nb,0.2,{cell}\n")
    with pytest.raises(SubmissionError) as refused:
        score_file(CLASSIFICATION, truth, submission, ScoringOptions(classes=("no", "yes")))
    assert refused.value.code == code and "Line 3" in refused.value.message and "'yes'" in refused.value.message


def test_classification_columns_must_be_the_classes_in_order(tmp_path: Path) -> None:
    truth = write(tmp_path / "truth.csv", ["id", "label", "Usage"], [("a", "no", "Public"), ("b", "yes", "Private")])
    submission = write(tmp_path / "sub.csv", ["id", "yes", "no"], [("a", 0.5, 0.5), ("b", 0.5, 0.5)])
    with pytest.raises(SubmissionError) as refused:
        score_file(CLASSIFICATION, truth, submission, ScoringOptions(classes=("no", "yes")))
    assert refused.value.code == "bad-header" and "id,no,yes" in refused.value.message
    for ids, code in (([("a", 0.5, 0.5)], "missing-ids"), ([("a", 0.5, 0.5), ("b", 1, 0), ("a", 1, 0)], "duplicate-id"),
                      ([("a", 0.5, 0.5), ("b", 1, 0), ("z", 1, 0)], "unknown-ids")):
        write(submission, ["id", "no", "yes"], ids)
        with pytest.raises(SubmissionError) as refused:
            score_file(CLASSIFICATION, truth, submission, ScoringOptions(classes=("no", "yes")))
        assert refused.value.code == code


def test_a_classification_truth_needs_the_classes_and_only_them(tmp_path: Path) -> None:
    truth = write(tmp_path / "truth.csv", ["id", "label", "Usage"], [("a", "no", "Public"), ("b", "maybe", "Private")])
    for classes, code in (((), "no-classes"), (("no", "yes"), "unknown-label")):
        with pytest.raises(TruthError) as refused:
            CLASSIFICATION.load_truth(truth, ScoringOptions(classes=classes))
        assert refused.value.code == code


def test_the_sample_submissions_score(tmp_path: Path) -> None:
    for task, options in ((REGRESSION, ScoringOptions()), (CLASSIFICATION, ScoringOptions(classes=("no", "yes")))):
        header = ["id", "target", "Usage"] if task is REGRESSION else ["id", "label", "Usage"]
        value = "3.5" if task is REGRESSION else "yes"
        truth_path = write(tmp_path / "truth.csv", header, [("a", value, "Public"), ("b", value, "Private")])
        truth = task.load_truth(truth_path, options)
        sample = tmp_path / "sample.csv"
        sample.write_text(task.sample_submission(truth))
        assert set(task.score(truth, sample, options)["public"]) >= {task.primary_metric}


def test_a_bundles_test_csv_must_hold_the_truth_ids_and_numbers(tmp_path: Path) -> None:
    truth = REGRESSION.load_truth(write(tmp_path / "truth.csv", ["id", "target", "Usage"],
                                        [("a", 1, "Public"), ("b", 2, "Private")]), ScoringOptions())
    public = tmp_path / "public"
    public.mkdir()
    cases = {"id,x,y\na,1.5,\nb,,2\n": [],  # empty cells are missing values
             "id,x\na,1\nc,2\n": ["public/test.csv ids differ from the truth's (1 only in public/test.csv, 1 only in the truth)"],
             "id,x\na,1\nb,tall\n": ["public/test.csv line 3: feature 'x' is 'tall', not a number (leave a missing value empty)"],
             "key,x\na,1\nb,2\n": ["public/test.csv ids differ from the truth's (1 only in public/test.csv, 2 only in the truth)",
                                   "public/test.csv must have the header id then at least one feature column"]}
    for text, expected in cases.items():
        (public / "test.csv").write_text(text)
        problems: list[str] = []
        assert REGRESSION.check_inputs is not None
        REGRESSION.check_inputs(truth, public, problems, {})
        assert problems == expected, text
