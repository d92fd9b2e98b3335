"""Dice and IoU per mask, from areas: 1 where both masks are empty."""
from __future__ import annotations

import numpy as np


def dice_per_mask(intersection: np.ndarray, area_true: np.ndarray, area_pred: np.ndarray) -> np.ndarray:
    total = area_true + area_pred
    return np.where(total == 0, 1.0, 2.0 * intersection / np.where(total == 0, 1, total))


def iou_per_mask(intersection: np.ndarray, area_true: np.ndarray, area_pred: np.ndarray) -> np.ndarray:
    union = area_true + area_pred - intersection
    return np.where(union == 0, 1.0, intersection / np.where(union == 0, 1, union))
