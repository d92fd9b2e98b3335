"""Podium's model runtime against the same model run directly: same run, device, batch and inputs.

    python bench/run.py runtime

Four models over test sets of 2,000 items: a BERT (transformers, exported to ONNX, with its
tokenizer.json), the same BERT traced to TorchScript, the YOLO-layout detector and the U-Net of
`examples/`, each as ONNX. "Direct" is what a participant would run in a notebook: the same
preprocessing (tokenizing, decoding and resizing images) and the model, in-process, one session
reused, and for the YOLO head the usual decode and class-wise NMS (a textbook numpy loop) that
every YOLO script runs; Podium's figure is the same work inside the sandbox plus writing the submission file
(NMS, RLE), from the child's own clock. Process start (sandbox, interpreter) and model load are
reported apart. Goal: Podium's throughput within 1.3× of direct on the CPU.
"""
from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from common import ROOT, print_table

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "platform"))

ITEMS, BATCH = 2000, 32
CLASSES = ["food", "sports", "technology", "travel"]


def _onnx_session(path: Path) -> tuple[Any, float]:
    import onnxruntime

    started = time.perf_counter()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session, time.perf_counter() - started


def _direct_text(model: Path, tokenizer_path: Path, public: Path, traced: bool) -> tuple[float, float]:
    """(load seconds, items per second): tokenize each batch, pad it, run it."""
    from tokenizers import Tokenizer

    texts = [row["text"] for row in csv.DictReader(open(public / "test.csv", encoding="utf-8"))]
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=64)
    tokenizer.enable_padding(pad_id=0)
    if traced:
        import torch

        started = time.perf_counter()
        module = torch.jit.load(str(model))
        load = time.perf_counter() - started

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode():  # as Podium runs it
                return module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    else:
        session, load = _onnx_session(model)
        run = lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask})[0]  # noqa: E731
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        encodings = tokenizer.encode_batch(texts[start:start + BATCH])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        run(ids, np.array([e.attention_mask for e in encodings], dtype=np.int64)).argmax(1)
    return load, len(texts) / (time.perf_counter() - started)


def _textbook_nms(head: np.ndarray, confidence: float = 0.001, iou: float = 0.7, limit: int = 100) -> list[int]:
    """What a participant's own script does after a YOLO head: best class, threshold, class-wise greedy NMS."""
    rows = head.T
    classes, scores = rows[:, 4:].argmax(1), rows[:, 4:].max(1)
    keep = np.nonzero(scores > confidence)[0]
    cx, cy, w, h = rows[keep, :4].T
    offset = classes[keep] * 10_000.0
    x1, y1, x2, y2 = cx - w / 2 + offset, cy - h / 2, cx + w / 2 + offset, cy + h / 2
    areas, order, kept = w * h, scores[keep].argsort()[::-1], []
    while order.size and len(kept) < limit:
        best, rest = order[0], order[1:]
        kept.append(int(keep[best]))
        inter = (np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
                 * np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None))
        order = rest[inter / (areas[best] + areas[rest] - inter) <= iou]
    return kept


def _direct_images(model: Path, paths: list[Path], size: int, mean: list[float] | None, yolo: bool = False) -> tuple[float, float]:
    from PIL import Image

    session, load = _onnx_session(model)
    started = time.perf_counter()
    for start in range(0, len(paths), BATCH):
        arrays = []
        for path in paths[start:start + BATCH]:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32) / 255
            if mean is not None:
                pixels = (pixels - np.array(mean, np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
            arrays.append(pixels.transpose(2, 0, 1))
        outputs = session.run(None, {session.get_inputs()[0].name: np.stack(arrays)})[0]
        if yolo:
            for head in outputs:
                _textbook_nms(head)
    return load, len(paths) / (time.perf_counter() - started)


def _podium(task: str, upload: Path, public: Path, folder: Path, classes: list[str]) -> Any:
    from workers.inference import InferenceJob, run_job
    from workers.storage import LocalFiles

    (folder / "submissions").mkdir(exist_ok=True)
    shutil.copy(upload, folder / "submissions" / upload.name)
    job = InferenceJob(submission_id=1, task=task, model=f"submissions/{upload.name}", inputs=str(public.relative_to(folder)),
                       output=f"out/{upload.stem}", classes=classes, batch_size=BATCH, memory_mb=8192, wall_seconds=1200)
    result = run_job(job, files=LocalFiles(folder), hidden=[], device="cpu")
    if result.error:
        raise RuntimeError(f"{upload.name}: {result.error}")
    return result


def _text_models(folder: Path, public: Path) -> dict[str, Path]:
    import torch

    from examples import bert_onnx

    texts = [row["text"] for row in csv.DictReader(open(public.parent / "public" / "train.csv", encoding="utf-8"))]
    tokenizer = bert_onnx.train_tokenizer(texts, folder / "tokenizer.json")
    bert = bert_onnx.fine_tune(public, CLASSES, tokenizer, epochs=1)
    onnx_path = bert_onnx.export(bert, folder / "model.onnx")
    traced = torch.jit.trace(bert_onnx.Logits(bert).eval(), (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long)))
    torch.jit.save(traced, str(folder / "model.pt"))
    for name, model in (("bert-onnx.zip", onnx_path), ("bert-torchscript.zip", folder / "model.pt")):
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.write(model, model.name)
            archive.write(tokenizer, "tokenizer.json")
            archive.writestr("podium.yaml", "max_length: 64\n")
    return {"onnx": folder / "bert-onnx.zip", "torchscript": folder / "bert-torchscript.zip", "tokenizer": tokenizer,
            "onnx_model": onnx_path, "torchscript_model": folder / "model.pt"}


def _row(name: str, direct: tuple[float, float], result: Any) -> list[object]:
    load, direct_rate = direct
    podium_rate = result.items / result.run_seconds
    start = result.seconds - (result.load_seconds or 0) - result.run_seconds
    return [name, result.items, f"{direct_rate:,.0f}", f"{podium_rate:,.0f}", f"{direct_rate / podium_rate:.2f}x",
            f"{load:.2f}", f"{result.load_seconds:.2f}", f"{start:.2f}"]


def main() -> list[list[object]]:
    from competitions.demo_data import detection_bundle, segmentation_bundle, text_classification_bundle
    from examples import unet_onnx, yolo_onnx

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = text_classification_bundle(folder / "text", n_test=ITEMS)
        text_public = text.path / "public"
        models = _text_models(folder, text_public)
        for kind, traced in (("onnx", False), ("torchscript", True)):
            direct = _direct_text(models[f"{kind}_model"], models["tokenizer"], text_public, traced)
            result = _podium("text-classification", models[kind], text_public, folder, CLASSES)
            rows.append(_row(f"BERT, {'ONNX' if kind == 'onnx' else 'TorchScript'} + tokenizer.json", direct, result))
        det = detection_bundle(folder / "det", n_train=60, n_test=ITEMS)
        yolo = yolo_onnx.package(det.path / "public", {}, folder, steps=200)
        listed = json.loads((det.path / "public" / "test.json").read_text())["images"]
        images = [det.path / "public" / "images" / i["file_name"] for i in listed]
        rows.append(
            _row(
                "YOLO-layout detector, ONNX",
                _direct_images(yolo, images, yolo_onnx.SIZE, None, yolo=True),
                _podium("detection", yolo, det.path / "public", folder, []),
            )
        )
        seg = segmentation_bundle(folder / "seg", n_train=40, n_test=ITEMS)
        unet = unet_onnx.package(seg.path / "public", {}, folder, steps=60)
        with zipfile.ZipFile(unet) as archive:
            archive.extract("model.onnx", folder / "unet")
        pictures = [seg.path / "public" / row["image"] for row in csv.DictReader(open(seg.path / "public" / "test.csv"))]
        rows.append(
            _row(
                "U-Net at 64×64 (images 96×96), ONNX",
                _direct_images(folder / "unet" / "model.onnx", pictures, unet_onnx.SIZE, unet_onnx.MEAN),
                _podium("segmentation", unet, seg.path / "public", folder, []),
            )
        )
    print_table(
        f"Model runtime: Podium in its sandbox vs the same model run directly (CPU, batch {BATCH}, items/s)",
        ["model", "items", "direct", "Podium", "direct / Podium (goal ≤ 1.3x)", "load direct (s)", "load Podium (s)", "process start (s)"],
        rows,
    )
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
