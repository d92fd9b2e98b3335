"""Fixed-seed synthetic truth and submissions, for tests and benchmarks.

Realistic in shape: detection truth has small, medium and large boxes, crowd
regions and empty images, and detections mix jittered true positives with
false positives; segmentation masks are blobs, some empty.
"""
from __future__ import annotations

import numpy as np

from scoring.formats.rle import rle_encode


def coco_truth(
    *, n_images: int, n_categories: int, n_boxes: int, seed: int = 0, crowd_fraction: float = 0.01,
    public_fraction: float = 0.5,
) -> dict:
    rng = np.random.default_rng(seed)
    widths = rng.integers(320, 1024, n_images).tolist()
    heights = rng.integers(240, 768, n_images).tolist()
    images = [
        {"id": i + 1, "file_name": f"{i + 1:06d}.jpg", "width": int(widths[i]), "height": int(heights[i]),
         "usage": "Public" if rng.random() < public_fraction else "Private"}
        for i in range(n_images)
    ]
    categories = [{"id": c + 1, "name": f"class_{c + 1}", "supercategory": "thing"} for c in range(n_categories)]
    # Some images get no boxes at all.
    owners = rng.integers(0, max(1, int(n_images * 0.95)), n_boxes)
    annotations = []
    for k, i in enumerate(owners):
        w_img, h_img = widths[i], heights[i]
        size = float(np.exp(rng.uniform(np.log(4), np.log(min(w_img, h_img) * 0.8))))
        aspect = float(np.exp(rng.normal(0, 0.4)))
        w, h = min(size * aspect, w_img - 1), min(size / aspect, h_img - 1)
        x, y = float(rng.uniform(0, w_img - w)), float(rng.uniform(0, h_img - h))
        annotations.append({
            "id": k + 1, "image_id": int(i) + 1, "category_id": int(rng.integers(1, n_categories + 1)),
            "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)], "area": round(w * h * 0.8, 2),
            "iscrowd": int(rng.random() < crowd_fraction),
        })
    return {"images": images, "annotations": annotations, "categories": categories}


def coco_detections(truth: dict, *, n_detections: int, seed: int = 1, hit_rate: float = 0.7) -> list[dict]:
    """Jittered copies of truth boxes (some with the wrong class) plus random false positives."""
    rng = np.random.default_rng(seed)
    annotations = truth["annotations"]
    images = truth["images"]
    n_categories = len(truth["categories"])
    n_true = min(n_detections, int(len(annotations) * hit_rate * 3))
    picks = rng.integers(0, len(annotations), n_true)
    boxes = np.array([annotations[p]["bbox"] for p in picks], dtype=float).reshape(-1, 4)
    jitter = rng.normal(0, 0.08, boxes.shape) * boxes[:, [2, 3, 2, 3]]
    boxes = np.abs(boxes + jitter)
    detections = [
        {"image_id": annotations[p]["image_id"],
         "category_id": annotations[p]["category_id"] if rng.random() < 0.9 else int(rng.integers(1, n_categories + 1)),
         "bbox": [round(float(v), 2) for v in box], "score": round(float(rng.beta(4, 2)), 4)}
        for p, box in zip(picks, boxes)
    ]
    for _ in range(n_detections - n_true):
        image = images[int(rng.integers(0, len(images)))]
        w, h = float(rng.uniform(4, image["width"] / 2)), float(rng.uniform(4, image["height"] / 2))
        detections.append({
            "image_id": image["id"], "category_id": int(rng.integers(1, n_categories + 1)),
            "bbox": [round(float(rng.uniform(0, image["width"] - w)), 2), round(float(rng.uniform(0, image["height"] - h)), 2),
                     round(w, 2), round(h, 2)],
            "score": round(float(rng.beta(2, 4)), 4),
        })
    rng.shuffle(detections)
    return detections


def blob_mask(rng: np.random.Generator, height: int, width: int, n_blobs: int) -> np.ndarray:
    """A binary mask of `n_blobs` random ellipses."""
    mask = np.zeros((height, width), dtype=bool)
    rows, cols = np.ogrid[:height, :width]
    for _ in range(n_blobs):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        ry, rx = rng.uniform(3, height / 4), rng.uniform(3, width / 4)
        mask |= ((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1
    return mask


def segmentation_case(
    *, n_masks: int, height: int, width: int, seed: int = 0, empty_fraction: float = 0.1,
) -> tuple[list[tuple[str, str, int, int, str]], list[tuple[str, str]], list[np.ndarray], list[np.ndarray]]:
    """(truth rows, submission rows, truth masks, predicted masks); predictions are perturbed truths."""
    rng = np.random.default_rng(seed)
    truth_rows, submission_rows, truth_masks, predicted_masks = [], [], [], []
    for k in range(n_masks):
        truth_mask = blob_mask(rng, height, width, 0 if rng.random() < empty_fraction else int(rng.integers(1, 4)))
        roll = rng.random()
        if roll < 0.1:
            predicted = np.zeros_like(truth_mask)
        elif roll < 0.2:
            predicted = truth_mask.copy()
        else:
            predicted = np.roll(truth_mask, int(rng.integers(-8, 9)), axis=int(rng.integers(0, 2)))
            predicted |= blob_mask(rng, height, width, int(rng.integers(0, 2)))
        row_id = f"img{k}"
        usage = "Public" if k % 2 else "Private"
        truth_rows.append((row_id, rle_encode(truth_mask), height, width, usage))
        submission_rows.append((row_id, rle_encode(predicted)))
        truth_masks.append(truth_mask)
        predicted_masks.append(predicted)
    return truth_rows, submission_rows, truth_masks, predicted_masks
