"""Tabular tasks: `test.csv` (id, then feature columns) in; `id,target` or `id,<class>...` out.

The model takes `[N, F]` float32, the feature columns in the file's order, a missing value as NaN
(tree ensembles route it as they were trained to; an ONNX input declared as double gets float64).
It returns, for regression, `[N]` or `[N, 1]` targets; for classification, `[N, C]` probabilities
in the competition's class order, or logits where `podium.yaml` says `output: logits`.

Models as their tools export them run unchanged. An ONNX classifier from skl2onnx or onnxmltools
returns a label and probabilities, the latter often as a ZipMap (one {class: probability} per row):
the probabilities are found by name (or as the one [N, C] float output) and a ZipMap's keys are
read as the class names, or as class indexes 0..C-1 in the competition's order.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from workers.runtime import MODEL_ERROR, ModelFailure, Progress, RunOptions
from workers.runtime.adapters import batch_size

MIN_BATCH = 1024  # rows are a few numbers each: batches of the competition's image-sized default would crawl
PROBABILITY_NAMES = ("probabilities", "output_probability", "probability", "probs", "proba")
SLACK = 1e-4  # float32 probabilities may overshoot [0, 1] by rounding


def run_regression(model: Any, inputs: Path, output: Path, options: RunOptions, progress: Progress) -> None:
    ids, features = read_features(inputs / "test.csv", model)
    values = _predict(model, features, options, progress, lambda out, n: _targets(out, n))
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "target"])
        writer.writerows((row_id, f"{value:.9g}") for row_id, value in zip(ids, values.tolist()))


def run_classification(model: Any, inputs: Path, output: Path, options: RunOptions, progress: Progress) -> None:
    if not options.classes:
        raise ModelFailure(MODEL_ERROR, "This competition lists no classes, so a model's columns cannot be named.")
    ids, features = read_features(inputs / "test.csv", model)
    logits = options.setting("output", "probabilities") == "logits"
    matrix = _predict(model, features, options, progress,
                      lambda out, n: _probabilities(out, n, options.classes, logits, getattr(model, "output_names", [])))
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", *options.classes])
        writer.writerows((row_id, *(f"{p:.9g}" for p in row)) for row_id, row in zip(ids, matrix.tolist()))


def read_features(path: Path, model: Any) -> tuple[list[str], np.ndarray]:
    """The ids and an [N, F] float32 matrix of test.csv's feature columns (an empty cell is NaN)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        rows = [row for row in reader if row]
    columns = len(header) - 1
    ids = [row[0] for row in rows]
    features = np.array([[float(cell) if cell.strip() else math.nan for cell in row[1:]] for row in rows],
                        dtype=np.float32).reshape(len(rows), columns)
    shape = model.inputs[0].shape if getattr(model, "inputs", None) else None
    if shape and len(shape) == 2 and shape[1] and shape[1] != columns:
        raise ModelFailure(MODEL_ERROR, (
            f"The model takes {shape[1]} features, but test.csv has {columns} ({', '.join(header[1:6])[:120]}…): "
            "train on the feature columns of train.csv in test.csv's order, without the id or the target."))
    return ids, features


def _predict(model: Any, features: np.ndarray, options: RunOptions, progress: Progress, read: Any) -> np.ndarray:
    results = []
    done = 0
    for start in range(0, len(features), (size := batch_size(model, max(options.batch_size, MIN_BATCH)))):
        batch = features[start:start + size]
        results.append(read(model(batch), len(batch)))
        done += len(batch)
        progress(done, len(features))
    if not results:
        return np.zeros((0,))
    return np.concatenate(results)


def _targets(outputs: Any, n: int) -> np.ndarray:
    values = _first_tensor(outputs)
    if not isinstance(values, np.ndarray) or values.size != n or (values.ndim == 2 and values.shape[1] != 1):
        shape = list(values.shape) if isinstance(values, np.ndarray) else type(values).__name__
        raise ModelFailure(MODEL_ERROR, f"The model returned {shape}; expected [{n}] or [{n}, 1] predicted targets.")
    values = values.reshape(n).astype(np.float64)
    if not np.isfinite(values).all():
        raise ModelFailure(MODEL_ERROR, f"The model predicted NaN or infinity for row {int(np.argmin(np.isfinite(values)))} "
                                        "of test.csv; only finite numbers can be scored.")
    return values


def _probabilities(outputs: Any, n: int, classes: list[str], logits: bool, names: list[str]) -> np.ndarray:
    matrix = _class_matrix(outputs, n, classes, names)
    if logits:
        shifted = np.exp(matrix - matrix.max(axis=1, keepdims=True))
        matrix = shifted / shifted.sum(axis=1, keepdims=True)
    if not np.isfinite(matrix).all():
        raise ModelFailure(MODEL_ERROR, "The model returned NaN or infinity among its class probabilities.")
    if matrix.min(initial=0.0) < -SLACK or matrix.max(initial=0.0) > 1 + SLACK:
        raise ModelFailure(MODEL_ERROR, (
            f"The model returned values from {matrix.min():.3g} to {matrix.max():.3g}, which are not probabilities: "
            "apply a softmax in the model, or ship a podium.yaml with `output: logits`."))
    return np.clip(matrix, 0.0, 1.0)


def _class_matrix(outputs: Any, n: int, classes: list[str], names: list[str]) -> np.ndarray:
    """The [N, C] scores among what a model returned: by name, a ZipMap, or the one tensor of that shape."""
    candidates = _named(outputs, names)
    for name in PROBABILITY_NAMES + ("logits",):
        if name in candidates:
            return _as_matrix(candidates[name], n, classes)
    shaped = [value for value in candidates.values()
              if (isinstance(value, np.ndarray) and value.shape == (n, len(classes))) or _is_zipmap(value)]
    if len(shaped) >= 1:
        return _as_matrix(shaped[0], n, classes)
    found = ", ".join(f"{key} {list(v.shape) if isinstance(v, np.ndarray) else type(v).__name__}"
                      for key, v in candidates.items())
    raise ModelFailure(MODEL_ERROR, (
        f"The model returned {found[:200]}; expected probabilities of shape [{n}, {len(classes)}] (one column per "
        "class, in the competition's class order)."))


def _as_matrix(value: Any, n: int, classes: list[str]) -> np.ndarray:
    if _is_zipmap(value):
        return _from_zipmap(value, classes)
    if not isinstance(value, np.ndarray) or value.shape != (n, len(classes)):
        shape = list(value.shape) if isinstance(value, np.ndarray) else type(value).__name__
        raise ModelFailure(MODEL_ERROR, (
            f"The model returned probabilities of shape {shape}; expected [{n}, {len(classes)}] (one column per class, "
            "in the competition's class order)."))
    return value.astype(np.float64)


def _from_zipmap(rows: list[dict[Any, float]], classes: list[str]) -> np.ndarray:
    keys = list(rows[0]) if rows else []
    if set(map(str, keys)) == set(classes):
        order = [next(key for key in keys if str(key) == name) for name in classes]
    elif sorted(keys) == list(range(len(classes))):
        order = list(range(len(classes)))
    else:
        raise ModelFailure(MODEL_ERROR, (
            f"The model's probabilities are keyed {', '.join(map(str, keys))[:120]}; key them by the competition's "
            f"classes ({', '.join(classes)[:120]}) or by their indexes 0..{len(classes) - 1}, in that order."))
    return np.array([[row[key] for key in order] for row in rows], dtype=np.float64)


def _named(outputs: Any, names: list[str]) -> dict[str, Any]:
    if isinstance(outputs, dict):
        return {str(key): value for key, value in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        labels = names if len(names) == len(outputs) else [f"output {k}" for k in range(len(outputs))]
        return dict(zip(labels, outputs))
    return {"output": outputs}


def _is_zipmap(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _first_tensor(outputs: Any) -> Any:
    if isinstance(outputs, dict):
        return next((v for v in outputs.values() if isinstance(v, np.ndarray)), None)
    if isinstance(outputs, (list, tuple)):
        return next((v for v in outputs if isinstance(v, np.ndarray) and v.dtype.kind == "f"), outputs[0] if outputs else None)
    return outputs


def _feature_count(inputs: Path) -> int:
    with open(inputs / "test.csv", newline="", encoding="utf-8-sig") as handle:
        return len(next(csv.reader(handle))) - 1


def probe_regression(inputs: Path, classes: list[str]) -> Any:
    """[N, F] in (NaN for missing values), their mean as [N] targets out."""
    import torch

    from workers.runtime.adapters import Probe

    class Mean(torch.nn.Module):
        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return torch.nan_to_num(features, nan=0.0).mean(dim=1)

    return Probe(Mean(), (torch.zeros(2, _feature_count(inputs)),), ["features"], ["target"])


def probe_classification(inputs: Path, classes: list[str]) -> Any:
    """[N, F] in, a softmax over a fixed linear map as [N, C] probabilities out."""
    import torch

    from workers.runtime.adapters import Probe

    class Linear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.linear = torch.nn.Linear(_feature_count(inputs), len(classes))

        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.linear(torch.nan_to_num(features, nan=0.0) * 0.01), dim=1)

    return Probe(Linear(), (torch.zeros(2, _feature_count(inputs)),), ["features"], ["probabilities"])
