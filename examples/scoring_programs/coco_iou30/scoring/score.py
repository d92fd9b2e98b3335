"""Box AP at IoU 0.3 (a Podium scoring program, SPEC section 9), reusing Podium's own `scoring` package.

Small objects drawn by hand rarely reach COCO's IoU 0.5, so this competition ranks by average precision at an
IoU of 0.3 instead. Podium's COCO reader checks the participant's file with the same error codes as Podium's
built-in detection competitions, and Podium's COCO evaluation (pycocotools' algorithm, vectorized) computes AP and
AR at that one threshold, exactly as pycocotools' COCOeval with params.iouThrs = [0.3].
"""
import json
import sys
from pathlib import Path

from scoring import SubmissionError
from scoring.formats import coco
from scoring.metrics.coco import evaluate_at

IOU = 0.3


def main():
    truth = coco.read_truth(Path("/input/truth/instances.json"))
    try:
        detections = coco.read_detections(Path("/input/submission/submission.json"), truth)
    except SubmissionError as exc:  # the participant's mistake, in Podium's own words
        with open("/output/error.json", "w") as handle:
            json.dump({"code": exc.code, "message": exc.message[:300]}, handle)
        sys.exit(0)
    subsets = {"public": truth.image_public, "private": ~truth.image_public}
    scores = evaluate_at(truth, detections, subsets, iou=IOU)
    result = {subset: {"ap_30": max(values["ap"], 0.0), "ar_30": max(values["ar"], 0.0)}
              for subset, values in scores.items()}
    with open("/output/scores.json", "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
