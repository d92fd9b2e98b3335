"""A gradient-boosted model for a tabular competition, trained with LightGBM and exported to ONNX.

    podium config --host http://127.0.0.1:8000 --username alice
    python examples/tabular_gbm.py --slug house-prices-lite      # regression
    python examples/tabular_gbm.py --slug plan-picker            # classification

Contract (SPEC section 2): Tensor[N, F] float32, the feature columns of test.csv in order (missing
values NaN) -> [N] targets, or [N, C] probabilities in the order of the competition's `classes`.
onnxmltools writes LightGBM's trees as the standard `ai.onnx.ml` TreeEnsemble operators; a
classifier's probabilities come out as a ZipMap keyed by class index, which Podium reads as is.
Needs `pip install lightgbm onnxmltools` (the `examples` extra).
"""
from __future__ import annotations

import csv
import sys
import warnings
from pathlib import Path

import numpy as np


def read_table(path: Path, target: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Features as float32 (an empty cell is NaN, which LightGBM routes as it learned), and the target column."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [name for name in rows[0] if name not in ("id", target)]
    features = np.array([[float(row[c]) if row[c] else np.nan for c in columns] for row in rows], dtype=np.float32)
    return features, [row[target] for row in rows] if target else []


def package(data: Path, competition: dict, folder: Path, trees: int = 300) -> Path:
    import lightgbm
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    regression = competition["task"] == "tabular-regression"
    features, target = read_table(data / "train.csv", "target" if regression else "label")
    if regression:
        model = lightgbm.LGBMRegressor(n_estimators=trees, learning_rate=0.04, num_leaves=15, verbose=-1)
        model.fit(features, np.array(target, dtype=np.float64))
    else:
        classes: list[str] = competition["classes"]
        # Shallow, slow trees: the plan is noisy, and log loss punishes overconfidence.
        model = lightgbm.LGBMClassifier(n_estimators=trees, learning_rate=0.03, num_leaves=7, min_child_samples=30,
                                        verbose=-1)
        model.fit(features, np.array([classes.index(label) for label in target]))  # class k: the k-th column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_model = onnxmltools.convert_lightgbm(
            model, initial_types=[("features", FloatTensorType([None, features.shape[1]]))], target_opset=15)
    path = folder / "model.onnx"
    path.write_bytes(onnx_model.SerializeToString())
    return path


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _submit import run_package

    sys.exit(run_package(__doc__.splitlines()[0], "house-prices-lite", package, "model.onnx"))
