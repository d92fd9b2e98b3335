"""The detection task type: COCO mAP@[.5:.95] (primary) and eleven more COCO numbers, on each subset;
AP@0.5 and AP@0.75 may rank too; per-category AP on the public subset for the team."""
from __future__ import annotations

from pathlib import Path

import orjson

from scoring.demos.detection import detection_bundle
from scoring.formats import coco
from scoring.inputs import check_detection_inputs
from scoring.metrics.coco import METRICS, evaluate_with_categories
from scoring.tasktype import PER_CLASS, Demo, Metric, Scores, ScoringOptions, TaskType


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


LABELS = {"map": "mAP", "map_50": "AP@0.5", "map_75": "AP@0.75", "map_small": "AP small", "map_medium": "AP medium",
          "map_large": "AP large", "mar_1": "AR@1", "mar_10": "AR@10", "mar_100": "AR@100", "mar_small": "AR small",
          "mar_medium": "AR medium", "mar_large": "AR large"}
DESCRIPTIONS = {
    "map": "COCO **mAP@[.5:.95]** (boxes), as computed by pycocotools",
    "map_50": "COCO **AP@0.5**: mean average precision at an IoU threshold of 0.5, as computed by pycocotools",
    "map_75": "COCO **AP@0.75**: mean average precision at an IoU threshold of 0.75, as computed by pycocotools",
}

TASK = TaskType(
    name="detection",
    label="Object detection (COCO)",
    declared_metrics=tuple(Metric(name, label=LABELS.get(name, name), description=DESCRIPTIONS.get(name, ""))
                           for name in METRICS),
    ranking_metrics=("map", "map_50", "map_75"),
    primary_metric="map",
    truth_filename="truth.json",
    submission_suffix=".json",
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
    test_inputs="test.json",
    check_inputs=check_detection_inputs,
    truth_example=('{"images": [{"id": 1, "file_name": "0001.png", "width": 640, "height": 480, "usage": "Public"}],\n'
                   ' "categories": [{"id": 1, "name": "circle"}],\n'
                   ' "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 20, 50, 40], "area": 2000, '
                   '"iscrowd": 0}]}'),
    evaluation=(
        "mAP, AP@0.5, AP@0.75 and the size-specific AP and AR figures are all reported; your submission's page also "
        "shows each category's AP on the public part. Only the 100 highest-scoring detections per image count.\n\n"
        'Submit a COCO results JSON: a list of `{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`.'
    ),
    adapter="workers.runtime.adapters.detection",
    model_probe="workers.runtime.adapters.detection:probe",
    example="examples.detection",
    images=True,
    demo=Demo(detection_bundle, "shape-spotter", {"n_train": 4, "n_test": 8}),
)
