"""The segmentation task type: mean Dice (primary) and mean IoU over masks, on each subset."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoring.formats import segmentation
from scoring.formats.csvfile import write_csv
from scoring.metrics.overlap import dice_per_mask, iou_per_mask
from scoring.tasktype import Scores, ScoringOptions, TaskType


def load_truth(path: Path, options: ScoringOptions) -> segmentation.SegmentationTruth:
    return segmentation.read_truth(path)


def score(truth: segmentation.SegmentationTruth, submission: Path, options: ScoringOptions) -> Scores:
    predicted = segmentation.read_predictions(submission, truth)
    intersection = truth.runs.intersection_areas(predicted)
    area_true, area_pred = truth.runs.areas(), predicted.areas()
    dice = dice_per_mask(intersection, area_true, area_pred)
    iou = iou_per_mask(intersection, area_true, area_pred)
    return {
        board: {"dice": float(np.mean(dice[mask])), "iou": float(np.mean(iou[mask]))}
        for board, mask in (("public", truth.is_public), ("private", ~truth.is_public))
    }


def sample_submission(truth: segmentation.SegmentationTruth) -> str:
    """Every id with an empty mask: a valid file to start from."""
    return write_csv(["id", "rle"], ((row_id, "") for row_id in truth.ids))


TASK = TaskType(
    name="segmentation",
    label="Image segmentation",
    metrics=("dice", "iou"),
    ranking_metrics=("dice", "iou"),
    primary_metric="dice",
    higher_is_better=True,
    truth_filename="truth.csv",
    submission_suffix=".csv",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
)
