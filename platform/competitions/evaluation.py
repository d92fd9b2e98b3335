"""Default evaluation text for each task type, used when the organizer writes none."""
from __future__ import annotations

from scoring import TaskType

_TEXT = {
    "text-classification": (
        "Submissions are ranked by **accuracy**: the share of test ids whose predicted label equals the true "
        "label. **Macro-F1** (the unweighted mean of each class's F1) is reported too.\n\n"
        "Submit a CSV with the header `id,label` and one row per id of `test.csv`, in any order."
    ),
    "detection": (
        "Submissions are ranked by COCO **mAP@[.5:.95]** (boxes), as computed by pycocotools; mAP@.5, mAP@.75, "
        "and the size-specific AP and AR figures are reported too. Only the 100 highest-scoring detections per "
        "image count.\n\nSubmit a COCO results JSON: a list of "
        '`{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`.'
    ),
    "segmentation": (
        "Submissions are ranked by the mean **Dice** coefficient over all masks (1 where both masks are "
        "empty); mean **IoU** is reported too.\n\nSubmit a CSV with the header `id,rle` and one row per id, "
        "masks in Kaggle's run-length encoding (1-indexed, column-major); an empty string is an empty mask."
    ),
}


def default_evaluation(task: TaskType) -> str:
    direction = "higher" if task.higher_is_better else "lower"
    text = _TEXT.get(task.name, f"Submissions are ranked by **{task.primary_metric}**.")
    return (
        f"{text}\n\nEvery submission is scored on a public and a private part of the test set. The public "
        f"leaderboard shows the public score during the competition; the final ranking uses the private score "
        f"({direction} is better), revealed when the competition ends."
    )
