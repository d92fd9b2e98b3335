"""Regression metrics on float64 arrays: RMSE, MAE, RMSLE and R², as scikit-learn defines them.

Each equals its `sklearn.metrics` namesake (`root_mean_squared_error`, `mean_absolute_error`,
`root_mean_squared_log_error`, `r2_score`) to within 1e-9. Where sklearn cannot compute one —
RMSLE of a negative value, R² of fewer than two rows — the function returns None: the metric is
left out of that subset's scores (and a competition ranked by it refuses the file, scoring/tasks/).
"""
from __future__ import annotations

import numpy as np


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.average((y_true - y_pred) ** 2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.average(np.abs(y_pred - y_true)))


def rmsle(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    if (y_true < 0).any() or (y_pred < 0).any():
        return None
    return rmse(np.log1p(y_true), np.log1p(y_pred))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """1 − SS_res / SS_tot; for a constant truth, 1.0 if predicted exactly and 0.0 otherwise (sklearn's force_finite)."""
    if y_true.size < 2:
        return None
    residual = float(np.sum((y_true - y_pred) ** 2, dtype=np.float64))
    total = float(np.sum((y_true - np.average(y_true)) ** 2, dtype=np.float64))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total
