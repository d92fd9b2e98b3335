"""Segmentation Dice and IoU equal a plain numpy reference on decoded masks; RLE is Kaggle's."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from scoring import ScoringOptions, SubmissionError, TruthError, get_task
from scoring.formats.rle import rle_encode
from scoring.synthetic import segmentation_case

TASK = get_task("segmentation")


def decode(rle: str, height: int, width: int) -> np.ndarray:
    """Reference decoder, written plainly: 1-indexed starts, column-major pixels."""
    flat = np.zeros(height * width, dtype=bool)
    numbers = [int(x) for x in rle.split()]
    for start, length in zip(numbers[0::2], numbers[1::2]):
        flat[start - 1:start - 1 + length] = True
    return flat.reshape((width, height)).T


def reference(truth_masks: list[np.ndarray], predicted: list[np.ndarray], public: list[bool]) -> dict[str, dict[str, float]]:
    dice, iou = [], []
    for x, y in zip(truth_masks, predicted):
        inter, total, union = np.logical_and(x, y).sum(), x.sum() + y.sum(), np.logical_or(x, y).sum()
        dice.append(1.0 if total == 0 else 2 * inter / total)
        iou.append(1.0 if union == 0 else inter / union)
    mask = np.array(public)
    return {board: {"dice": float(np.mean(np.array(dice)[m])), "iou": float(np.mean(np.array(iou)[m]))}
            for board, m in (("public", mask), ("private", ~mask))}


def write(tmp_path: Path, truth_rows: list[tuple], submission_rows: list[tuple]) -> tuple[Path, Path]:
    truth_path, submission_path = tmp_path / "truth.csv", tmp_path / "submission.csv"
    with open(truth_path, "w", newline="") as handle:
        csv.writer(handle).writerows([("id", "rle", "height", "width", "Usage"), *truth_rows])
    with open(submission_path, "w", newline="") as handle:
        csv.writer(handle).writerows([("id", "rle"), *submission_rows])
    return truth_path, submission_path


def score(truth_path: Path, submission_path: Path) -> dict:
    return TASK.score(TASK.load_truth(truth_path, ScoringOptions()), submission_path, ScoringOptions())


def test_encoding_is_kaggles_one_indexed_column_major() -> None:
    mask = np.zeros((3, 4), dtype=bool)
    mask[0, 0] = mask[1, 0] = True  # first column, top two pixels: pixels 1-2
    mask[2, 1] = True  # second column, bottom: pixel 6
    mask[:, 3] = True  # last column: pixels 10-12
    assert rle_encode(mask) == "1 2 6 1 10 3"
    assert (decode("1 2 6 1 10 3", 3, 4) == mask).all()


@pytest.mark.parametrize("seed,height,width", [(0, 64, 48), (1, 128, 128), (2, 37, 91)])
def test_it_matches_a_numpy_reference_on_random_masks(tmp_path: Path, seed: int, height: int, width: int) -> None:
    truth_rows, submission_rows, truth_masks, predicted = segmentation_case(n_masks=200, height=height, width=width, seed=seed)
    for (row_id, rle, h, w, _), mask in zip(truth_rows, truth_masks):
        assert (decode(rle, h, w) == mask).all()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(submission_rows))
    truth_path, submission_path = write(tmp_path, truth_rows, [submission_rows[k] for k in order])
    expected = reference(truth_masks, predicted, [row[4] == "Public" for row in truth_rows])
    result = score(truth_path, submission_path)
    for board in ("public", "private"):
        for metric in ("dice", "iou"):
            assert result[board][metric] == pytest.approx(expected[board][metric], abs=1e-12)


def test_masks_of_different_sizes_and_empty_masks(tmp_path: Path) -> None:
    a = np.zeros((5, 7), bool)
    a[1:3, 2:6] = True
    b = np.zeros((9, 4), bool)
    b[4:, :2] = True
    empty = np.zeros((6, 6), bool)
    truth_rows = [("a", rle_encode(a), 5, 7, "Public"), ("b", rle_encode(b), 9, 4, "Private"),
                  ("e1", "", 6, 6, "Public"), ("e2", "", 6, 6, "Private")]
    predicted = {"a": a.copy(), "b": np.roll(b, 1, axis=0), "e1": empty, "e2": empty.copy()}
    predicted["e2"][0, 0] = True  # predicted something where there is nothing: 0
    submission = [(k, rle_encode(v)) for k, v in predicted.items()]
    truth_path, submission_path = write(tmp_path, truth_rows, submission)
    expected = reference([a, b, empty, empty], list(predicted.values()), [True, False, True, False])
    result = score(truth_path, submission_path)
    assert result["public"] == pytest.approx({"dice": 1.0, "iou": 1.0, "dice_class_mean": 1.0, "iou_class_mean": 1.0})
    private = expected["private"]
    assert result["private"] == pytest.approx({**private, "dice_class_mean": private["dice"],
                                               "iou_class_mean": private["iou"]}, abs=1e-12)  # no classes: plain means


@pytest.mark.parametrize("seed", [0, 4])
def test_class_means_and_per_class_numbers_match_a_numpy_reference(tmp_path: Path, seed: int) -> None:
    """Rows as image–class pairs: each class's mean first, then the mean over the classes present in a subset."""
    truth_rows, submission_rows, truth_masks, predicted = segmentation_case(n_masks=150, height=32, width=40, seed=seed)
    rng = np.random.default_rng(seed)
    names = [["road", "car", "tree"][k] for k in rng.integers(0, 3, len(truth_rows))]
    truth_path, submission_path = tmp_path / "truth.csv", tmp_path / "submission.csv"
    with open(truth_path, "w", newline="") as handle:
        csv.writer(handle).writerows([("id", "rle", "height", "width", "class", "Usage"),
                                      *[(*row[:4], name, row[4]) for row, name in zip(truth_rows, names)]])
    with open(submission_path, "w", newline="") as handle:
        csv.writer(handle).writerows([("id", "rle"), *submission_rows])
    result = score(truth_path, submission_path)
    public = np.array([row[4] == "Public" for row in truth_rows])
    for board, mask in (("public", public), ("private", ~public)):
        per_class = {name: reference([t for t, n, m in zip(truth_masks, names, mask) if n == name and m],
                                     [p for p, n, m in zip(predicted, names, mask) if n == name and m],
                                     [True] * sum(n == name and m for n, m in zip(names, mask)))["public"]
                     for name in sorted(set(np.array(names)[mask]))}
        for metric in ("dice", "iou"):
            expected = float(np.mean([values[metric] for values in per_class.values()]))
            assert result[board][f"{metric}_class_mean"] == pytest.approx(expected, abs=1e-12), (board, metric)
        if board == "public":
            for name, values in per_class.items():
                assert result["per_class"]["public"][name]["dice"] == pytest.approx(values["dice"], abs=1e-12)
                assert result["per_class"]["public"][name]["iou"] == pytest.approx(values["iou"], abs=1e-12)


@pytest.mark.parametrize(
    "rle,where",
    [
        ("1 2 3", "has 3 numbers"),
        ("1 2.5", "not a whole number"),
        ("a b", "not a whole number"),
        ("0 3", "1-indexed"),
        ("5 0", "length 0"),
        ("10 2 3 2", "sorted"),
        ("1 5 3 2", "sorted and not overlap"),
        ("10 20", "past the image's 20 pixels"),
    ],
)
def test_it_rejects_malformed_rle_saying_where(tmp_path: Path, rle: str, where: str) -> None:
    truth_path, submission_path = write(tmp_path, [("x", "1 3", 4, 5, "Public"), ("y", "", 4, 5, "Private")],
                                        [("y", ""), ("x", rle)])
    with pytest.raises(SubmissionError) as caught:
        score(truth_path, submission_path)
    assert caught.value.code == "bad-rle"
    assert where in caught.value.message and "Line 3 (id 'x')" in caught.value.message


@pytest.mark.parametrize(
    "rows,code",
    [
        ([("id", "rle")], "missing-ids"),
        ([("x", "")], "missing-ids"),
        ([("x", ""), ("y", ""), ("z", "")], "unknown-ids"),
        ([("x", ""), ("x", ""), ("y", "")], "duplicate-id"),
    ],
)
def test_it_checks_ids_like_every_csv_format(tmp_path: Path, rows: list[tuple], code: str) -> None:
    truth_path, submission_path = write(tmp_path, [("x", "", 4, 5, "Public"), ("y", "", 4, 5, "Private")], rows)
    if rows[0] == ("id", "rle"):
        submission_path.write_text("id,rle\n")
    with pytest.raises(SubmissionError) as caught:
        score(truth_path, submission_path)
    assert caught.value.code == code


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    truth_path, submission_path = write(tmp_path, [("x", "", 4, 5, "Public"), ("y", "", 4, 5, "Private")], [])
    submission_path.write_text("id,mask\nx,\ny,\n")
    with pytest.raises(SubmissionError) as caught:
        score(truth_path, submission_path)
    assert caught.value.code == "bad-header"


@pytest.mark.parametrize(
    "rows,code",
    [
        ([("x", "1 3", 0, 5, "Public")], "bad-truth"),
        ([("x", "1 3", "four", 5, "Public")], "bad-truth"),
        ([("x", "30 3", 4, 5, "Public"), ("y", "", 4, 5, "Private")], "bad-rle"),
        ([("x", "", 4, 5, "Public"), ("x", "", 4, 5, "Private")], "duplicate-id"),
        ([("x", "", 4, 5, "Public")], "bad-truth"),
    ],
)
def test_truth_files_are_validated(tmp_path: Path, rows: list[tuple], code: str) -> None:
    truth_path, _ = write(tmp_path, rows, [])
    with pytest.raises(TruthError) as caught:
        TASK.load_truth(truth_path, ScoringOptions())
    assert caught.value.code == code
