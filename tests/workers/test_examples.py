"""The ONNX examples build real, trained models that Podium runs in its sandbox and scores well:
a YOLO-layout detector, a U-Net at its own input size and (where transformers is installed) a
BERT with its tokenizer. Fewer training steps than the examples take, the same code."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from competitions.demo_data import Bundle, detection_bundle, segmentation_bundle
from scoring import ScoringOptions, get_task
from workers.inference import InferenceJob, run_job
from workers.storage import LocalFiles


def run_and_score(bundle: Bundle, task: str, upload: Path, root: Path, classes: list[str] | None = None) -> dict:
    media = root / "media"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(bundle.path / "public", media / "c" / "public")
    (media / "submissions").mkdir()
    shutil.copy(upload, media / "submissions" / upload.name)
    job = InferenceJob(submission_id=1, task=task, model=f"submissions/{upload.name}", inputs="c/public",
                       output="predictions/out", classes=classes or [])
    result = run_job(job, files=LocalFiles(media), hidden=[media], device="cpu")
    assert result.error is None, result.error
    task_type, options = get_task(task), ScoringOptions(classes=tuple(classes or ()))
    return task_type.score(task_type.load_truth(bundle.path / task_type.truth_filename, options), media / result.output, options)


def test_the_yolo_example_is_decoded_and_scores_like_a_detector(tmp_path: Path) -> None:
    from examples import yolo_onnx

    bundle = detection_bundle(tmp_path / "det", n_train=60, n_test=20)
    upload = yolo_onnx.package(bundle.path / "public", {}, tmp_path, steps=300)
    scores = run_and_score(bundle, "detection", upload, tmp_path)
    blurry = get_task("detection").score(get_task("detection").load_truth(bundle.path / "truth.json", ScoringOptions()),
                                         bundle.baselines["Blurry Boxes"], ScoringOptions())
    assert scores["public"]["map"] > max(0.2, blurry["public"]["map"])


def test_the_unet_example_runs_at_its_own_size_with_its_normalisation(tmp_path: Path) -> None:
    from examples import unet_onnx

    bundle = segmentation_bundle(tmp_path / "seg", n_train=40, n_test=20)
    upload = unet_onnx.package(bundle.path / "public", {}, tmp_path, steps=120)
    scores = run_and_score(bundle, "segmentation", upload, tmp_path)
    assert scores["public"]["dice"] > 0.8


def test_the_bert_example_runs_with_its_tokenizer(tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="the examples' extra (pip install -e '.[examples]')")
    from competitions.demo_data import text_classification_bundle
    from examples import bert_onnx

    text_bundle = text_classification_bundle(tmp_path / "text", n_test=300)
    classes = yaml.safe_load((text_bundle.path / "competition.yaml").read_text())["classes"]
    upload = bert_onnx.package(text_bundle.path / "public", {"classes": classes}, tmp_path)
    onnx_accuracy = run_and_score(text_bundle, "text-classification", upload, tmp_path / "onnx", classes)["public"]["accuracy"]
    assert onnx_accuracy > 0.7
    # The same transformers model traced to TorchScript on input_ids and attention_mask, as it is.
    import torch

    bert = bert_onnx.fine_tune(text_bundle.path / "public", classes, tmp_path / "tokenizer.json")
    traced = torch.jit.trace(bert_onnx.Logits(bert).eval(), (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long)))
    torch.jit.save(traced, str(tmp_path / "model.pt"))
    with zipfile.ZipFile(tmp_path / "traced.zip", "w") as archive:
        archive.write(tmp_path / "model.pt", "model.pt")
        archive.write(tmp_path / "tokenizer.json", "tokenizer.json")
    traced_accuracy = run_and_score(text_bundle, "text-classification", tmp_path / "traced.zip", tmp_path / "ts", classes)["public"][
        "accuracy"
    ]
    assert traced_accuracy == pytest.approx(onnx_accuracy, abs=0.02)
