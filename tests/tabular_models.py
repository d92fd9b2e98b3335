"""Tabular models as participants build them, trained here on a demo bundle's train.csv: scikit-learn, LightGBM
and XGBoost exported to ONNX with skl2onnx and onnxmltools, and TorchScript MLPs. Nothing is downloaded.

`MODELS` names each builder; each returns (the exported file, the fitted estimator's own predictions on
test.csv), so a test can compare what Podium ran with the model run directly.
"""
from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch


def read_table(path: Path, target: str | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    """ids, float32 features (NaN where empty) and, where named, the target column's values."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [c for c in rows[0] if c not in ("id", target)]
    features = np.array([[float(r[c]) if r[c] else np.nan for c in columns] for r in rows], dtype=np.float32)
    return [r["id"] for r in rows], features, [r[target] for r in rows] if target else []


def training_data(public: Path, task: str, classes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train features, train target: floats or class codes, test features)."""
    if task == "tabular-regression":
        _, x, y = read_table(public / "train.csv", "target")
        target = np.array(y, dtype=np.float64)
    else:
        _, x, y = read_table(public / "train.csv", "label")
        target = np.array([classes.index(label) for label in y])
    return x, target, read_table(public / "test.csv")[1]


def _onnx_types(n_features: int, onnxmltools_types: bool = False) -> list:
    if onnxmltools_types:
        from onnxmltools.convert.common.data_types import FloatTensorType
    else:
        from skl2onnx.common.data_types import FloatTensorType
    return [("input", FloatTensorType([None, n_features]))]


def sklearn_onnx(task: str, x: np.ndarray, y: np.ndarray, test: np.ndarray, path: Path) -> tuple[Path, np.ndarray]:
    """An imputer and a gradient-boosted (regression) or random-forest (classification) model, via skl2onnx."""
    from skl2onnx import convert_sklearn
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    estimator = GradientBoostingRegressor(n_estimators=40, random_state=0) if task == "tabular-regression" else \
        RandomForestClassifier(n_estimators=25, random_state=0)
    model = make_pipeline(SimpleImputer(), estimator).fit(x, y)
    path.write_bytes(convert_sklearn(model, initial_types=_onnx_types(x.shape[1]), target_opset=17).SerializeToString())
    return path, _direct(model, task, test)


def lightgbm_onnx(task: str, x: np.ndarray, y: np.ndarray, test: np.ndarray, path: Path) -> tuple[Path, np.ndarray]:
    import lightgbm
    import onnxmltools

    kind = lightgbm.LGBMRegressor if task == "tabular-regression" else lightgbm.LGBMClassifier
    model = kind(n_estimators=40, verbose=-1, random_state=0).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_model = onnxmltools.convert_lightgbm(model, initial_types=_onnx_types(x.shape[1], True), target_opset=15)
    path.write_bytes(onnx_model.SerializeToString())
    return path, _direct(model, task, test)


def xgboost_onnx(task: str, x: np.ndarray, y: np.ndarray, test: np.ndarray, path: Path) -> tuple[Path, np.ndarray]:
    import onnxmltools
    import xgboost

    kind = xgboost.XGBRegressor if task == "tabular-regression" else xgboost.XGBClassifier
    model = kind(n_estimators=40, max_depth=4, random_state=0).fit(x, y)
    onnx_model = onnxmltools.convert_xgboost(model, initial_types=_onnx_types(x.shape[1], True), target_opset=15)
    path.write_bytes(onnx_model.SerializeToString())
    return path, _direct(model, task, test)


class MLP(torch.nn.Module):
    """Missing values to 0 and standardized features, two hidden layers: [N, F] -> [N] or [N, C] logits."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, outputs: int) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.layers = torch.nn.Sequential(torch.nn.Linear(mean.numel(), 32), torch.nn.ReLU(), torch.nn.Linear(32, 32),
                                          torch.nn.ReLU(), torch.nn.Linear(32, outputs))
        self.regression = outputs == 1

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        scaled = (torch.nan_to_num(features, nan=0.0) - self.mean) / self.std
        out = self.layers(scaled)
        return out.squeeze(1) if self.regression else out


def torchscript_mlp(task: str, x: np.ndarray, y: np.ndarray, test: np.ndarray, path: Path) -> tuple[Path, np.ndarray]:
    """Trained with Adam; a classifier returns logits (its package says `output: logits`)."""
    torch.manual_seed(0)
    features = torch.nan_to_num(torch.from_numpy(x), nan=0.0)
    regression = task == "tabular-regression"
    scale = float(np.std(y)) if regression else 1.0
    target = torch.tensor(y / scale if regression else y, dtype=torch.float32 if regression else torch.long)
    model = MLP(features.mean(0), features.std(0) + 1e-6, 1 if regression else int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    loss = torch.nn.MSELoss() if regression else torch.nn.CrossEntropyLoss()
    for _ in range(300 if regression else 40):  # a classifier this size overfits 400 rows soon after
        optimizer.zero_grad()
        loss(model(features), target).backward()
        optimizer.step()
    if regression:
        with torch.no_grad():
            model.layers[-1].weight *= scale
            model.layers[-1].bias *= scale
    model.eval()
    torch.jit.save(torch.jit.script(model), str(path))
    with torch.no_grad():
        out = model(torch.from_numpy(test)).numpy().astype(np.float64)
    return path, out if regression else _softmax(out)


def _direct(model: object, task: str, test: np.ndarray) -> np.ndarray:
    if task == "tabular-regression":
        return np.asarray(model.predict(test), dtype=np.float64)  # type: ignore[attr-defined]  # any fitted regressor
    return np.asarray(model.predict_proba(test), dtype=np.float64)  # type: ignore[attr-defined]  # any classifier


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


Builder = Callable[[str, np.ndarray, np.ndarray, np.ndarray, Path], tuple[Path, np.ndarray]]
MODELS: dict[str, tuple[Builder, str]] = {  # name -> (builder, file name)
    "scikit-learn ONNX": (sklearn_onnx, "model.onnx"),
    "LightGBM ONNX": (lightgbm_onnx, "model.onnx"),
    "XGBoost ONNX": (xgboost_onnx, "model.onnx"),
    "TorchScript MLP": (torchscript_mlp, "model.pt"),
}
