"""The detection task type: COCO mAP@[.5:.95] (primary) and eleven more COCO numbers, on each subset;
AP@0.5 and AP@0.75 may rank too; per-category AP on the public subset for the team."""
from __future__ import annotations

from pathlib import Path

import orjson

from scoring.formats import coco
from scoring.metrics.coco import METRICS, evaluate_with_categories
from scoring.tasktype import PER_CLASS, Metric, Scores, ScoringOptions, TaskType


def load_truth(path: Path, options: ScoringOptions) -> coco.CocoTruth:
    return coco.read_truth(path)


def score(truth: coco.CocoTruth, submission: Path, options: ScoringOptions) -> Scores:
    detections = coco.read_detections(submission, truth)
    subsets = {"public": truth.image_public, "private": ~truth.image_public}
    scores, categories = evaluate_with_categories(truth, detections, subsets, detail="public")
    return {**scores, PER_CLASS: {"public": categories}}


def sample_submission(truth: coco.CocoTruth) -> str:
    """One whole-image-corner box per image with the first category: a valid file to start from."""
    category = int(truth.category_ids[0])
    return orjson.dumps(
        [{"image_id": int(i), "category_id": category, "bbox": [0, 0, 1, 1], "score": 0.5} for i in truth.image_ids]
    ).decode()


TASK = TaskType(
    name="detection",
    label="Object detection (COCO)",
    declared_metrics=tuple(Metric(name) for name in METRICS),
    ranking_metrics=("map", "map_50", "map_75"),
    primary_metric="map",
    truth_filename="truth.json",
    submission_suffix=".json",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
)
