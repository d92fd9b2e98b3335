"""Metrics of class probabilities ([N, C] float64, one column per class, labels as int codes): Kaggle's log loss,
ROC AUC (the second class's column for two classes, one-vs-rest macro for more) and argmax accuracy.

Log loss follows Kaggle's rule: clip to [1e-15, 1 − 1e-15], divide each row by its sum; the result equals
`sklearn.metrics.log_loss` on that matrix with `labels=classes`. AUC is the Mann–Whitney statistic with tied
scores counted half, which is the area sklearn's `roc_auc_score` computes; it is None (left out) where a
class is absent from the subset or alone in it, where sklearn warns that it is undefined.
"""
from __future__ import annotations

import numpy as np

KAGGLE_CLIP = 1e-15


def kaggle_normalized(probabilities: np.ndarray) -> np.ndarray:
    clipped = np.clip(probabilities, KAGGLE_CLIP, 1 - KAGGLE_CLIP)
    return clipped / clipped.sum(axis=1, keepdims=True)


def log_loss(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    chosen = kaggle_normalized(probabilities)[np.arange(y_true.size), y_true]
    eps = np.finfo(np.float64).eps  # sklearn clips once more, at the float64 machine epsilon
    return float(np.average(-np.log(np.clip(chosen, eps, 1 - eps))))


def accuracy(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """The share of rows whose most probable class is the true one (ties go to the first class)."""
    return float(np.average(np.argmax(probabilities, axis=1) == y_true))


def roc_auc(y_true: np.ndarray, probabilities: np.ndarray) -> float | None:
    n_classes = probabilities.shape[1]
    if n_classes == 2:
        return binary_auc(y_true == 1, probabilities[:, 1])
    normalized = kaggle_normalized(probabilities)  # sklearn's one-vs-rest needs rows that sum to 1
    areas = [binary_auc(y_true == k, normalized[:, k]) for k in range(n_classes)]
    known = [area for area in areas if area is not None]
    if len(known) < len(areas):
        return None
    return float(np.mean(known))


def binary_auc(positive: np.ndarray, scores: np.ndarray) -> float | None:
    n_positive = int(positive.sum())
    n_negative = positive.size - n_positive
    if n_positive == 0 or n_negative == 0:
        return None
    ranks = _average_ranks(scores)
    return float((ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of their ranks (scipy.stats.rankdata's 'average')."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.size]
    mean_rank = (starts + ends + 1) / 2.0  # ranks start+1 .. end, averaged
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks
