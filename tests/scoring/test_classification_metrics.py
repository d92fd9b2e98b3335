"""Text-classification metrics equal sklearn's on each subset, after aligning by id."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from scoring import ScoringOptions, get_task

TASK = get_task("text-classification")


def write_case(tmp_path: Path, truth: list[str], predicted: list[str], public: list[bool], shuffle: int = 0) -> tuple[Path, Path]:
    ids = [f"id{i}" for i in range(len(truth))]
    truth_path, submission_path = tmp_path / "truth.csv", tmp_path / "submission.csv"
    truth_path.write_text(
        "id,label,Usage\n" + "".join(f"{i},{t},{'Public' if p else 'Private'}\n" for i, t, p in zip(ids, truth, public))
    )
    order = np.random.default_rng(shuffle).permutation(len(ids))
    submission_path.write_text("id,label\n" + "".join(f"{ids[k]},{predicted[k]}\n" for k in order))
    return truth_path, submission_path


def sklearn_scores(truth: list[str], predicted: list[str], public: list[bool]) -> dict[str, dict[str, float]]:
    result = {}
    mask = np.array(public)
    for board, rows in (("public", mask), ("private", ~mask)):
        y_true, y_pred = np.array(truth)[rows], np.array(predicted)[rows]
        result[board] = {
            "accuracy": accuracy_score(y_true, y_pred),
            "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
            "micro_f1": f1_score(y_true, y_pred, average="micro", zero_division=0),
            "weighted_f1": f1_score(y_true, y_pred, average="weighted", zero_division=0),
        }
    return result


def sklearn_per_class(truth: list[str], predicted: list[str], public: list[bool], classes: list[str]) -> dict:
    mask = np.array(public)
    y_true, y_pred = np.array(truth)[mask], np.array(predicted)[mask]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {name: {"precision": precision[k], "recall": recall[k], "f1": f1[k], "support": int(support[k])}
            for k, name in enumerate(classes)}


def score(truth_path: Path, submission_path: Path, classes: tuple[str, ...] = ()) -> dict:
    options = ScoringOptions(classes=classes)
    return TASK.score(TASK.load_truth(truth_path, options), submission_path, options)


def assert_same(ours: dict, reference: dict) -> None:
    for board in ("public", "private"):
        for metric in ("accuracy", "macro_f1", "micro_f1", "weighted_f1"):
            assert ours[board][metric] == pytest.approx(reference[board][metric], abs=1e-12), (board, metric)


@pytest.mark.parametrize("seed,n_rows,n_classes", [(0, 5000, 2), (1, 20000, 7), (2, 50000, 25), (3, 300, 40)])
def test_it_matches_sklearn_on_random_data(tmp_path: Path, seed: int, n_rows: int, n_classes: int) -> None:
    rng = np.random.default_rng(seed)
    classes = [f"c{k:02d}" for k in range(n_classes)]
    truth = [classes[k] for k in rng.integers(0, n_classes, n_rows)]
    # Mostly right, sometimes any class, including classes absent from the truth subset.
    predicted = [t if rng.random() < 0.6 else classes[rng.integers(0, n_classes)] for t in truth]
    public = list(rng.random(n_rows) < 0.3)
    truth_path, submission_path = write_case(tmp_path, truth, predicted, public, shuffle=seed)
    ours = score(truth_path, submission_path, tuple(classes))
    assert_same(ours, sklearn_scores(truth, predicted, public))
    reference = sklearn_per_class(truth, predicted, public, classes)
    assert set(ours["per_class"]["public"]) == set(classes)
    for name, values in reference.items():
        assert ours["per_class"]["public"][name] == pytest.approx(values, abs=1e-12), name


def test_a_predicted_label_missing_from_the_truth_counts_as_a_zero_f1_class(tmp_path: Path) -> None:
    truth = ["a", "a", "b", "b", "a", "b"]
    predicted = ["a", "c", "b", "c", "a", "b"]
    public = [True, True, True, False, False, False]
    truth_path, submission_path = write_case(tmp_path, truth, predicted, public)
    ours = score(truth_path, submission_path, ("a", "b", "c"))
    assert_same(ours, sklearn_scores(truth, predicted, public))
    # Public rows: a has F1 2/3 (1 hit, 2 true, 1 predicted), b has 1, c (never true) has 0.
    assert ours["public"]["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)


@pytest.mark.parametrize(
    "truth,predicted",
    [
        (["x"] * 6, ["x"] * 6),  # one class, perfect
        (["x", "y", "x", "y", "x", "y"], ["y", "x", "y", "x", "y", "x"]),  # all wrong
        (["x", "y", "z", "x", "y", "z"], ["x", "y", "z", "x", "y", "z"]),  # perfect, three classes
    ],
)
def test_edge_cases_match_sklearn(tmp_path: Path, truth: list[str], predicted: list[str]) -> None:
    public = [True, False] * 3
    truth_path, submission_path = write_case(tmp_path, truth, predicted, public)
    assert_same(score(truth_path, submission_path, tuple(sorted(set(truth + predicted)))), sklearn_scores(truth, predicted, public))


def test_labels_with_commas_and_unicode_are_read_as_csv(tmp_path: Path) -> None:
    truth_path = tmp_path / "truth.csv"
    truth_path.write_text('id,label,Usage\n1,"a, b",Public\n2,é,Private\n3,é,Public\n', encoding="utf-8")
    submission = tmp_path / "s.csv"
    submission.write_text('id,label\n1,"a, b"\n2,é\n3,"a, b"\n', encoding="utf-8")
    result = score(truth_path, submission)
    assert result["public"]["accuracy"] == 0.5
    assert result["private"]["accuracy"] == 1.0
