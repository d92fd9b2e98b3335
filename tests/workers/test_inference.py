"""Running models in the sandbox: correct predictions, every failure with its code, containment."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest
import torch

from competitions.demo_data import Bundle, detection_bundle, segmentation_bundle
from examples import detection, segmentation, text_classification
from scoring import ScoringOptions, get_task
from workers.inference import InferenceJob, InferenceResult, run_job
from workers.runtime.adapters.images import load_image as load_array
from workers.storage import LocalFiles

CLASSES = ["food", "sports", "technology", "travel"]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, text_bundle: Bundle) -> dict[str, Bundle]:
    root = tmp_path_factory.mktemp("model-bundles")
    return {
        "text-classification": text_bundle,
        "detection": detection_bundle(root / "det", n_train=2, n_test=12),
        "segmentation": segmentation_bundle(root / "seg", n_train=2, n_test=12),
    }


@pytest.fixture
def media(tmp_path: Path, bundles: dict[str, Bundle]) -> Path:
    root = tmp_path / "media"
    for task, bundle in bundles.items():
        shutil.copytree(bundle.path / "public", root / "competitions" / task / "public")
        truth = get_task(task).truth_filename
        (root / "competitions" / task / "truth").mkdir()
        shutil.copy(bundle.path / truth, root / "competitions" / task / "truth" / truth)
    (root / "submissions").mkdir()
    return root


def run(media: Path, task: str, model: torch.jit.ScriptModule, **limits: int) -> InferenceResult:
    torch.jit.save(model, str(media / "submissions" / "model.pt"))
    job = InferenceJob(submission_id=1, task=task, model="submissions/model.pt", inputs=f"competitions/{task}/public",
                       output="predictions/out", classes=CLASSES if task == "text-classification" else [],
                       batch_size=4, **{"wall_seconds": 60, "memory_mb": 2048, **limits})
    return run_job(job, files=LocalFiles(media), hidden=[media], device="cpu")


def score(task: str, bundle: Bundle, predictions: Path) -> dict:
    task_type = get_task(task)
    options = ScoringOptions(classes=tuple(CLASSES) if task == "text-classification" else ())
    return task_type.score(task_type.load_truth(bundle.path / task_type.truth_filename, options), predictions, options)


def load_image(path: Path) -> torch.Tensor:
    return torch.from_numpy(load_array(path))


def direct_predictions(task: str, model: torch.jit.ScriptModule, public: Path, out: Path) -> Path:
    """The same model run in-process, one item at a time, written by the test itself."""
    import csv
    import json

    from scoring.formats.rle import rle_encode

    if task == "text-classification":
        rows = list(csv.DictReader(open(public / "test.csv")))
        labels = [CLASSES[int(model([r["text"]]).argmax())] for r in rows]
        out.write_text("id,label\n" + "".join(f"{r['id']},{label}\n" for r, label in zip(rows, labels)))
    elif task == "detection":
        results = []
        for image in json.loads((public / "test.json").read_text())["images"]:
            found = model([load_image(public / "images" / image["file_name"])])[0]
            for (x1, y1, x2, y2), s, c in zip(found["boxes"].tolist(), found["scores"].tolist(), found["labels"].tolist()):
                results.append({"image_id": image["id"], "category_id": int(c), "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s})
        out.write_text(json.dumps(results))
    else:
        rows = list(csv.DictReader(open(public / "test.csv")))
        masks = [rle_encode((model(load_image(public / r["image"])[None])[0] > 0).numpy()) for r in rows]
        out.write_text("id,rle\n" + "".join(f"{r['id']},{m}\n" for r, m in zip(rows, masks)))
    return out


@pytest.mark.parametrize("task,module", [("text-classification", text_classification), ("detection", detection),
                                         ("segmentation", segmentation)])
def test_an_example_model_scores_as_its_predictions_would(
    media: Path, bundles: dict[str, Bundle], tmp_path: Path, task: str, module
) -> None:
    bundle = bundles[task]
    model = module.build(bundle.path / "public", {"classes": CLASSES})
    result = run(media, task, model)
    assert result.error is None, result.error
    expected = score(task, bundle, direct_predictions(task, model, bundle.path / "public", tmp_path / "direct"))
    got = score(task, bundle, media / result.output)
    for board in ("public", "private"):
        assert got[board] == pytest.approx(expected[board], abs=1e-6)
    primary = get_task(task).primary_metric
    assert got["public"][primary] > 0.5  # the examples are real baselines


class Forever(torch.nn.Module):
    def forward(self, texts: List[str]) -> torch.Tensor:
        x = torch.zeros(1)
        while bool(x.sum() >= 0):
            x = x + 1
        return x


class Hog(torch.nn.Module):
    def forward(self, texts: List[str]) -> torch.Tensor:
        kept: List[torch.Tensor] = []
        total = torch.zeros(1)
        for _ in range(1000):
            # The size depends on the input, so TorchScript cannot fold it into one constant.
            kept.append(torch.ones(25_000_000 + len(texts)))
            total = total + kept[-1][-1]  # keeps every allocation alive and used
        return torch.zeros(len(texts), 4) + total


class Raiser(torch.nn.Module):
    def forward(self, texts: List[str]) -> torch.Tensor:
        raise ValueError("this model refuses to predict")


class WrongShape(torch.nn.Module):
    def forward(self, texts: List[str]) -> torch.Tensor:
        return torch.zeros(len(texts), 3)


@pytest.mark.parametrize(
    "model,limits,code,says",
    [
        (Forever(), {"wall_seconds": 4}, "model-timeout", "4-second limit"),
        (Hog(), {"memory_mb": 600}, "model-memory", "memory"),
        (Raiser(), {}, "model-error", "this model refuses to predict"),
        (WrongShape(), {}, "model-error", "expected scores of shape [4, 4]"),
    ],
)
def test_a_misbehaving_model_fails_with_its_code_and_the_next_one_runs(
    media: Path, bundles: dict[str, Bundle], model: torch.nn.Module, limits: dict, code: str, says: str
) -> None:
    result = run(media, "text-classification", torch.jit.script(model), **limits)
    assert result.error is not None and result.error["code"] == code, result.error
    assert says in result.error["message"]
    healthy = run(
        media, "text-classification", text_classification.build(bundles["text-classification"].path / "public", {"classes": CLASSES})
    )
    assert healthy.error is None


def test_a_pickle_is_refused_by_the_worker_without_running(media: Path, tmp_path: Path) -> None:
    import pickle

    from tests.workers.test_model_package import Bomb

    marker = tmp_path / "exploded"
    (media / "submissions" / "model.pt").write_bytes(pickle.dumps(Bomb(marker)))
    job = InferenceJob(
        submission_id=1,
        task="text-classification",
        model="submissions/model.pt",
        inputs="competitions/text-classification/public",
        output="predictions/out",
        classes=CLASSES,
    )
    result = run_job(job, files=LocalFiles(media), hidden=[media], device="cpu")
    assert result.error["code"] == "unsupported-model-format"
    assert not marker.exists()


class Spin(torch.nn.Module):
    """Burns CPU time; the wall-clock limit is generous, so the CPU-time limit must stop it."""

    def forward(self, texts: List[str]) -> torch.Tensor:
        x = torch.zeros(1)
        while bool(x.sum() >= 0):
            x = x + 1
        return x


def test_the_cpu_time_limit_stops_a_busy_model(media: Path) -> None:
    result = run(media, "text-classification", torch.jit.script(Spin()), wall_seconds=60, cpu_seconds=3)
    assert result.error is not None and result.error["code"] == "model-timeout"
    assert "CPU-seconds" in result.error["message"] and result.seconds < 30
