"""Boxes as detectors return them: YOLO heads decoded, class-wise non-maximum suppression.

Written with numpy so that no worker needs torchvision for it.
"""
from __future__ import annotations

import numpy as np

MAX_CANDIDATES = 30_000  # the most boxes per image that go into NMS (Ultralytics' max_nms)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS (x1, y1, x2, y2), best first."""
    order = scores.argsort()[::-1]
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        width = (np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest])).clip(0)
        height = (np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest])).clip(0)
        inter = width * height
        overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        order = rest[overlap <= iou]
    return np.asarray(keep, dtype=np.int64)


def classwise_nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float, limit: int) -> np.ndarray:
    """NMS within each class (boxes of different classes never suppress each other), top `limit` kept."""
    if boxes.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if boxes.shape[0] > MAX_CANDIDATES:
        top = np.argsort(scores)[::-1][:MAX_CANDIDATES]
        return top[classwise_nms(boxes[top], scores[top], classes[top], iou, limit)]
    # Shift each class far apart: one NMS pass then never compares boxes of two classes.
    offset = classes.astype(np.float64)[:, None] * (float(np.abs(boxes).max()) + 1.0)
    return nms(boxes.astype(np.float64) + offset, scores, iou)[:limit]


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
