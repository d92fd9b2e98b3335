"""Tabular models as participants export them — scikit-learn, LightGBM and XGBoost through skl2onnx and
onnxmltools (`ai.onnx.ml` tree ensembles, ZipMap outputs included) and TorchScript MLPs — run in the real
sandbox, predict what the model predicts when run directly, and score against the truth."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from scoring import ScoringOptions, get_task
from scoring.demos import Bundle
from scoring.demos.tabular import PLANS, classification_bundle, regression_bundle
from tests.tabular_models import MODELS, training_data
from tests.workers.model_builders import zip_package
from workers.inference import InferenceJob, InferenceResult, run_job
from workers.storage import LocalFiles

TASKS = ("tabular-regression", "tabular-classification")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Bundle]:
    root = tmp_path_factory.mktemp("tabular")
    return {"tabular-regression": regression_bundle(root / "reg", n_train=400, n_test=150),
            "tabular-classification": classification_bundle(root / "cls", n_train=400, n_test=150)}


@pytest.fixture
def media(tmp_path: Path, bundles: dict[str, Bundle]) -> Path:
    root = tmp_path / "media"
    for task, bundle in bundles.items():
        shutil.copytree(bundle.path / "public", root / "competitions" / task / "public")
    (root / "submissions").mkdir()
    return root


def submit(media: Path, task: str, upload: Path) -> InferenceResult:
    (media / "submissions" / "upload.bin").write_bytes(upload.read_bytes())
    classes = PLANS if task == "tabular-classification" else []
    job = InferenceJob(submission_id=1, task=task, model="submissions/upload.bin", inputs=f"competitions/{task}/public",
                       output="predictions/out.csv", classes=classes, wall_seconds=120, memory_mb=2048)
    return run_job(job, files=LocalFiles(media), hidden=[media], device="cpu")


def predictions(media: Path, result: InferenceResult, task: str) -> np.ndarray:
    assert result.error is None, (result.error, result.log[-2000:])
    with open(media / result.output, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if task == "tabular-regression":
        return np.array([float(r["target"]) for r in rows])
    assert list(rows[0]) == ["id", *PLANS]
    return np.array([[float(r[c]) for c in PLANS] for r in rows])


def score(bundle: Bundle, task: str, path: Path) -> dict:
    task_type = get_task(task)
    options = ScoringOptions(classes=tuple(PLANS) if task == "tabular-classification" else ())
    return task_type.score(task_type.load_truth(bundle.path / "truth.csv", options), path, options)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", list(MODELS))
def test_a_real_export_predicts_in_the_sandbox_as_run_directly(
        media: Path, bundles: dict[str, Bundle], tmp_path: Path, task: str, name: str) -> None:
    builder, file_name = MODELS[name]
    public = bundles[task].path / "public"
    x, y, test = training_data(public, task, PLANS)
    model, direct = builder(task, x, y, test, tmp_path / file_name)
    upload = model
    if name == "TorchScript MLP" and task == "tabular-classification":  # it returns logits, and says so
        upload = zip_package(tmp_path / "mlp.zip", {"model.pt": model, "podium.yaml": b"output: logits\n"})
    result = submit(media, task, upload)
    got = predictions(media, result, task)
    assert got.shape == direct.shape and result.items == len(test)
    np.testing.assert_allclose(got, direct, rtol=1e-4, atol=1e-4 * (float(np.abs(direct).max()) if task == "tabular-regression" else 1))
    scores = score(bundles[task], task, media / result.output)
    baseline = score(bundles[task], task, public / "sample_submission.csv")
    primary = get_task(task).primary_metric
    assert scores["public"][primary] < baseline["public"][primary]  # lower is better for RMSE and log loss: learned


def test_a_model_trained_on_other_columns_is_refused_with_the_counts(media: Path, bundles: dict[str, Bundle],
                                                                     tmp_path: Path) -> None:
    x, y, test = training_data(bundles["tabular-regression"].path / "public", "tabular-regression", [])
    model, _ = MODELS["scikit-learn ONNX"][0]("tabular-regression", np.column_stack([x, x[:, :1]]), y,
                                             np.column_stack([test, test[:, :1]]), tmp_path / "model.onnx")
    result = submit(media, "tabular-regression", model)
    assert result.error is not None and result.error["code"] == "model-error"
    assert "takes 6 features, but test.csv has 5" in result.error["message"]


def test_logits_without_the_manifest_are_refused_with_the_fix(media: Path, bundles: dict[str, Bundle],
                                                              tmp_path: Path) -> None:
    public = bundles["tabular-classification"].path / "public"
    x, y, test = training_data(public, "tabular-classification", PLANS)
    model, _ = MODELS["TorchScript MLP"][0]("tabular-classification", x, y, test, tmp_path / "model.pt")
    result = submit(media, "tabular-classification", model)
    assert result.error is not None and result.error["code"] == "model-error"
    assert "output: logits" in result.error["message"]
