"""The segmentation task type: mean Dice (primary) and mean IoU over masks, and their means over classes (each
class's mean first, where rows are image–class pairs; without classes they equal the plain means), on each
subset; per-class Dice and IoU on the public subset for the team."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoring.demos.segmentation import segmentation_bundle
from scoring.formats import segmentation
from scoring.formats.csvfile import write_csv
from scoring.metrics.overlap import dice_per_mask, iou_per_mask
from scoring.inputs import check_segmentation_inputs
from scoring.tasktype import PER_CLASS, Demo, Metric, Scores, ScoringOptions, TaskType


def load_truth(path: Path, options: ScoringOptions) -> segmentation.SegmentationTruth:
    return segmentation.read_truth(path)


def score(truth: segmentation.SegmentationTruth, submission: Path, options: ScoringOptions) -> Scores:
    predicted = segmentation.read_predictions(submission, truth)
    intersection = truth.runs.intersection_areas(predicted)
    area_true, area_pred = truth.runs.areas(), predicted.areas()
    dice = dice_per_mask(intersection, area_true, area_pred)
    iou = iou_per_mask(intersection, area_true, area_pred)
    scores: Scores = {
        board: {"dice": float(np.mean(dice[mask])), "iou": float(np.mean(iou[mask])),
                "dice_class_mean": _class_mean(dice, truth, mask), "iou_class_mean": _class_mean(iou, truth, mask)}
        for board, mask in (("public", truth.is_public), ("private", ~truth.is_public))
    }
    if truth.classes:
        scores[PER_CLASS] = {"public": {
            name: {"dice": float(np.mean(dice[rows])), "iou": float(np.mean(iou[rows])), "rows": int(rows.sum())}
            for code, name in enumerate(truth.classes)
            if (rows := truth.is_public & (truth.class_codes == code)).any()}}
    return scores


def _class_mean(values: np.ndarray, truth: segmentation.SegmentationTruth, mask: np.ndarray) -> float:
    """The mean over classes of each class's mean (classes with rows in this subset); the plain mean without classes."""
    if truth.class_codes is None:
        return float(np.mean(values[mask]))
    codes = truth.class_codes[mask]
    return float(np.mean([np.mean(values[mask][codes == code]) for code in np.unique(codes)]))


def sample_submission(truth: segmentation.SegmentationTruth) -> str:
    """Every id with an empty mask: a valid file to start from."""
    return write_csv(["id", "rle"], ((row_id, "") for row_id in truth.ids))


TASK = TaskType(
    name="segmentation",
    label="Image segmentation",
    declared_metrics=(
        Metric("dice", label="Dice", description="the mean **Dice** coefficient over all masks (1 where both masks are empty)"),
        Metric("iou", label="IoU", description="the mean **IoU** over all masks (1 where both masks are empty)"),
        Metric("dice_class_mean", label="Dice, class mean", per_class=True,
               description="the **per-class mean Dice**: each class's mean Dice over its masks, then the mean over "
                           "classes (every class counts the same)"),
        Metric("iou_class_mean", label="IoU, class mean", per_class=True,
               description="the **per-class mean IoU**: each class's mean IoU over its masks, then the mean over classes"),
    ),
    ranking_metrics=("dice", "iou", "dice_class_mean", "iou_class_mean"),
    primary_metric="dice",
    truth_filename="truth.csv",
    submission_suffix=".csv",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
    test_inputs="test.csv",
    check_inputs=check_segmentation_inputs,
    truth_example="id,rle,height,width,Usage\nimg_0001,1 3 10 5,64,64,Public\nimg_0002,,64,64,Private\n",
    evaluation=(
        "Mean Dice and mean IoU, over all masks and per class, are all reported (without classes the two agree); "
        "your submission's page also shows each class's Dice and IoU on the public part.\n\nSubmit a CSV with the "
        "header `id,rle` and one row per id, masks in Kaggle's run-length encoding (1-indexed, column-major); an "
        "empty string is an empty mask."
    ),
    adapter="workers.runtime.adapters.segmentation",
    model_probe="workers.runtime.adapters.segmentation:probe",
    example="examples.segmentation",
    images=True,
    demo=Demo(segmentation_bundle, "blob-tracer", {"n_train": 4, "n_test": 8}),
)
