"""Default evaluation text for each task type, used when the organizer writes none; it names the chosen metric."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from competitions.models import Competition

# What each metric means, in a participant's words.
METRIC_TEXT = {
    "accuracy": "**accuracy**: the share of test ids whose predicted label equals the true label",
    "macro_f1": "**macro-F1**: the unweighted mean of each class's F1 (every class counts the same)",
    "micro_f1": "**micro-F1**: F1 over all rows at once",
    "weighted_f1": "**weighted-F1**: each class's F1 weighted by how many test rows have that class",
    "map": "COCO **mAP@[.5:.95]** (boxes), as computed by pycocotools",
    "map_50": "COCO **AP@0.5**: mean average precision at an IoU threshold of 0.5, as computed by pycocotools",
    "map_75": "COCO **AP@0.75**: mean average precision at an IoU threshold of 0.75, as computed by pycocotools",
    "dice": "the mean **Dice** coefficient over all masks (1 where both masks are empty)",
    "iou": "the mean **IoU** over all masks (1 where both masks are empty)",
    "dice_class_mean": "the **per-class mean Dice**: each class's mean Dice over its masks, then the mean over classes "
                       "(every class counts the same)",
    "iou_class_mean": "the **per-class mean IoU**: each class's mean IoU over its masks, then the mean over classes",
}

_FORMAT = {
    "text-classification": (
        "Accuracy, macro-, micro- and weighted-F1 are all reported; your submission's page also shows each class's "
        "precision, recall and F1 on the public part.\n\n"
        "Submit a CSV with the header `id,label` and one row per id of `test.csv`, in any order."
    ),
    "detection": (
        "mAP, AP@0.5, AP@0.75 and the size-specific AP and AR figures are all reported; your submission's page also "
        "shows each category's AP on the public part. Only the 100 highest-scoring detections per image count.\n\n"
        'Submit a COCO results JSON: a list of `{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`.'
    ),
    "segmentation": (
        "Mean Dice and mean IoU, over all masks and per class, are all reported (without classes the two agree); "
        "your submission's page also shows each class's Dice and IoU on the public part.\n\nSubmit a CSV with the header `id,rle` and one row per id, "
        "masks in Kaggle's run-length encoding (1-indexed, column-major); an empty string is an empty mask."
    ),
}


def default_evaluation(competition: Competition) -> str:
    metric = competition.ranking_metric
    direction = "higher" if competition.higher_is_better else "lower"
    ranked = f"Submissions are ranked by {METRIC_TEXT.get(metric, f'**{metric}**')} ({direction} is better)."
    return (
        f"{ranked} {_FORMAT.get(competition.task, '')}\n\nEvery submission is scored on a public and a private part "
        "of the test set. The public leaderboard shows the public score during the competition; the final ranking "
        "uses the private score, revealed when the competition ends."
    )
