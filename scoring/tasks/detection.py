"""The detection task type: COCO mAP@[.5:.95] (primary) and eleven more COCO numbers, on each subset."""
from __future__ import annotations

from pathlib import Path

import orjson

from scoring.formats import coco
from scoring.metrics.coco import METRICS, evaluate
from scoring.tasktype import Scores, ScoringOptions, TaskType


def load_truth(path: Path, options: ScoringOptions) -> coco.CocoTruth:
    return coco.read_truth(path)


def score(truth: coco.CocoTruth, submission: Path, options: ScoringOptions) -> Scores:
    detections = coco.read_detections(submission, truth)
    return evaluate(truth, detections, {"public": truth.image_public, "private": ~truth.image_public})


def sample_submission(truth: coco.CocoTruth) -> str:
    """One whole-image-corner box per image with the first category: a valid file to start from."""
    category = int(truth.category_ids[0])
    return orjson.dumps(
        [{"image_id": int(i), "category_id": category, "bbox": [0, 0, 1, 1], "score": 0.5} for i in truth.image_ids]
    ).decode()


TASK = TaskType(
    name="detection",
    label="Object detection (COCO)",
    metrics=METRICS,
    primary_metric="map",
    higher_is_better=True,
    truth_filename="truth.json",
    submission_suffix=".json",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
)
