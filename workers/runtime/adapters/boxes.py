"""Boxes as detectors return them: YOLO heads decoded, class-wise non-maximum suppression.

Written with numpy so that no worker needs torchvision for it.
"""
from __future__ import annotations

import numpy as np

MAX_CANDIDATES = 30_000  # the most boxes per image that go into NMS (Ultralytics' max_nms)


MATRIX_LIMIT = 4096  # up to this many boxes, all overlaps are computed at once


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float, limit: int | None = None) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS (x1, y1, x2, y2), best first; stops once `limit` are kept."""
    order = scores.argsort()[::-1]
    boxes = boxes[order].astype(np.float32 if len(order) <= MATRIX_LIMIT else np.float64)
    limit = len(order) if limit is None else limit
    if len(order) <= MATRIX_LIMIT:
        return order[_greedy_matrix(boxes, iou, limit)]
    return order[_greedy_loop(boxes, iou, limit)]


def _overlaps(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    width = np.maximum(np.minimum(box[..., 2:3], others[:, 2]) - np.maximum(box[..., 0:1], others[:, 0]), 0)
    height = np.maximum(np.minimum(box[..., 3:4], others[:, 3]) - np.maximum(box[..., 1:2], others[:, 1]), 0)
    inter = width * height
    areas = np.maximum(others[:, 2] - others[:, 0], 0) * np.maximum(others[:, 3] - others[:, 1], 0)
    own = np.maximum(box[..., 2:3] - box[..., 0:1], 0) * np.maximum(box[..., 3:4] - box[..., 1:2], 0)
    return inter / np.maximum(own + areas - inter, 1e-9)


def _greedy_matrix(boxes: np.ndarray, iou: float, limit: int) -> list[int]:
    """Greedy NMS over boxes sorted best first, with every pair's overlap computed in one go."""
    suppress = _overlaps(boxes, boxes) > iou
    removed = np.zeros(len(boxes), dtype=bool)
    keep: list[int] = []
    for index in range(len(boxes)):
        if removed[index]:
            continue
        keep.append(index)
        if len(keep) == limit:
            break
        removed |= suppress[index]
    return keep


def _greedy_loop(boxes: np.ndarray, iou: float, limit: int) -> list[int]:
    remaining = np.arange(len(boxes))
    keep: list[int] = []
    while remaining.size and len(keep) < limit:
        best, rest = remaining[0], remaining[1:]
        keep.append(int(best))
        remaining = rest[_overlaps(boxes[best], boxes[rest]) <= iou]
    return keep


def classwise_nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float, limit: int) -> np.ndarray:
    """NMS within each class (boxes of different classes never suppress each other), top `limit` kept."""
    if boxes.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if boxes.shape[0] > MAX_CANDIDATES:
        top = np.argsort(scores)[::-1][:MAX_CANDIDATES]
        return top[classwise_nms(boxes[top], scores[top], classes[top], iou, limit)]
    # Shift each class far apart: one NMS pass then never compares boxes of two classes.
    offset = classes.astype(np.float64)[:, None] * (float(np.abs(boxes).max()) + 1.0)
    return nms(boxes.astype(np.float64) + offset, scores, iou, limit)


def decode_yolo(head: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw head [4 + C, A] (cx, cy, w, h, then class scores) → boxes, scores, class indices."""
    predictions = head.T
    class_scores = predictions[:, 4:]
    classes = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(classes)), classes]
    keep = scores > confidence
    cx, cy, w, h = predictions[keep, :4].T.astype(np.float64)
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes, scores[keep].astype(np.float64), classes[keep]


def decode_yolo_nms(rows: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's NMS'ed rows [K, 6] (x1, y1, x2, y2, score, class index) → boxes, scores, class indices."""
    keep = rows[:, 4] > confidence
    return rows[keep, :4].astype(np.float64), rows[keep, 4].astype(np.float64), rows[keep, 5].round().astype(np.int64)
