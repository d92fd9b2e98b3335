"""The program that runs a participant's TorchScript model, inside the sandbox.

    python -m workers.inference_child --task TASK --model model.pt --inputs inputs/ --output out/predictions.csv

It sees only the model and the competition's test inputs (never the truth). It
writes predictions in the task's submission format and reports on its own
channel, the file descriptor in `PODIUM_REPORT_FD` (stdout when unset):
`PROGRESS done total` as batches finish, and on a failure
`ERROR {"code", "message"}`, then exits 3. What the model itself prints goes to
stdout, which the worker keeps as the team's log and never interprets.
No Django, no database.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import traceback
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

MODEL_ERROR, MODEL_MEMORY = "model-error", "model-memory"


class ModelFailure(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _report_channel():  # type: ignore[no-untyped-def]
    fd = os.environ.get("PODIUM_REPORT_FD", "")
    return os.fdopen(int(fd), "w", buffering=1, closefd=False) if fd.isdigit() else sys.stdout


REPORTS = _report_channel()


def report(line: str) -> None:
    REPORTS.write(line + "\n")
    REPORTS.flush()


def progress(done: int, total: int) -> None:
    report(f"PROGRESS {done} {total}")


def batches(items: list, size: int) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield items[start:start + size]


def load_image(path: Path) -> torch.Tensor:
    """Float32 RGB in [0, 1], shape [3, H, W]."""
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(pixels).permute(2, 0, 1).contiguous()


def call(model: torch.jit.ScriptModule, value: object) -> object:
    try:
        return model(value)
    except RuntimeError as exc:
        text = str(exc)
        if "out of memory" in text or "can't allocate memory" in text or "allocate" in text and "bytes" in text:
            raise ModelFailure(MODEL_MEMORY, f"The model ran out of memory: {_last_line(text)}") from None
        raise ModelFailure(MODEL_ERROR, f"The model raised an error: {_last_line(text)}") from None
    except MemoryError:
        raise ModelFailure(MODEL_MEMORY, "The model ran out of memory.") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else text)[:1000]


def run_text(model, inputs: Path, output: Path, device: torch.device, batch_size: int, classes: list[str]) -> None:  # type: ignore[no-untyped-def]
    with open(inputs / "test.csv", newline="", encoding="utf-8-sig") as handle:
        rows = [(row["id"], row["text"]) for row in csv.DictReader(handle)]
    labels: list[str] = []
    for batch in batches(rows, batch_size):
        scores = call(model, [text for _, text in batch])
        if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (len(batch), len(classes)):
            shape = list(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
            raise ModelFailure(MODEL_ERROR, f"forward(texts) returned {shape}; expected a tensor of shape "
                                            f"[{len(batch)}, {len(classes)}] (one score per class, in the competition's class order).")
        labels.extend(classes[i] for i in scores.argmax(dim=1).tolist())
        progress(len(labels), len(rows))
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "label"])
        writer.writerows((row_id, label) for (row_id, _), label in zip(rows, labels))


def run_detection(model, inputs: Path, output: Path, device: torch.device, batch_size: int, classes: list[str]) -> None:  # type: ignore[no-untyped-def]
    images = json.loads((inputs / "test.json").read_text())["images"]
    results: list[dict] = []  # type: ignore[type-arg]
    done = 0
    for batch in batches(images, batch_size):
        tensors = [load_image(inputs / "images" / image["file_name"]).to(device) for image in batch]
        outputs = call(model, tensors)
        if not isinstance(outputs, list) or len(outputs) != len(batch):
            raise ModelFailure(MODEL_ERROR, f"forward(images) must return a list of {len(batch)} dicts (one per image).")
        for image, out in zip(batch, outputs):
            results.extend(_coco_results(image["id"], out))
        done += len(batch)
        progress(done, len(images))
    output.write_text(json.dumps(results))


def _coco_results(image_id: int, out: object) -> list[dict]:  # type: ignore[type-arg]
    if not isinstance(out, dict) or not {"boxes", "scores", "labels"} <= set(out):
        raise ModelFailure(MODEL_ERROR, "Each output must be a dict with 'boxes' [K, 4], 'scores' [K] and 'labels' [K].")
    boxes, scores, labels = (out[k].detach().float().cpu() for k in ("boxes", "scores", "labels"))
    k = boxes.shape[0] if boxes.dim() == 2 else -1
    if boxes.dim() != 2 or boxes.shape[1] != 4 or tuple(scores.shape) != (k,) or tuple(labels.shape) != (k,):
        raise ModelFailure(MODEL_ERROR, f"Image {image_id}: got boxes {list(boxes.shape)}, scores {list(scores.shape)}, "
                                        f"labels {list(labels.shape)}; expected [K, 4], [K] and [K].")
    if not (bool(torch.isfinite(boxes).all()) and bool(torch.isfinite(scores).all())):
        raise ModelFailure(MODEL_ERROR, f"Image {image_id}: the model returned boxes or scores that are NaN or infinite.")
    xywh = torch.stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], dim=1)
    return [
        {"image_id": image_id, "category_id": int(label), "bbox": [round(v, 3) for v in box], "score": float(score)}
        for box, score, label in zip(xywh.tolist(), scores.tolist(), labels.tolist())
    ]


def run_segmentation(model, inputs: Path, output: Path, device: torch.device, batch_size: int, classes: list[str]) -> None:  # type: ignore[no-untyped-def]
    from scoring.formats.rle import rle_encode

    with open(inputs / "test.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    by_size: dict[tuple[int, int], list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for row in rows:
        by_size[(int(row["height"]), int(row["width"]))].append(row)
    encoded: dict[str, str] = {}
    for (height, width), group in by_size.items():
        # Images of one size go through the model together.
        for batch in batches(group, batch_size):
            images = torch.stack([load_image(inputs / row["image"]) for row in batch]).to(device)
            logits = call(model, images)
            if isinstance(logits, torch.Tensor) and logits.dim() == 4 and logits.shape[1] == 1:
                logits = logits[:, 0]
            if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (len(batch), height, width):
                shape = list(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
                raise ModelFailure(MODEL_ERROR, f"forward(images) returned {shape}; expected logits of shape "
                                                f"[{len(batch)}, {height}, {width}] (or [N, 1, H, W]).")
            masks = (logits > 0).cpu().numpy()
            for row, mask in zip(batch, masks):
                encoded[row["id"]] = rle_encode(mask)
            progress(len(encoded), len(rows))
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "rle"])
        writer.writerows((row["id"], encoded[row["id"]]) for row in rows)


RUNNERS = {"text-classification": run_text, "detection": run_detection, "segmentation": run_segmentation}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", required=True, choices=sorted(RUNNERS))
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--classes", default="[]")
    parser.add_argument("--gpu-memory-fraction", type=float, default=0.0)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    try:
        if device.type == "cuda" and args.gpu_memory_fraction:
            torch.cuda.set_per_process_memory_fraction(args.gpu_memory_fraction, device)
        try:
            model = torch.jit.load(str(args.model), map_location=device)
        except Exception as exc:  # noqa: BLE001 - any load failure is the participant's file
            raise ModelFailure(MODEL_ERROR, f"The model could not be loaded with torch.jit.load: {_last_line(str(exc))}") from None
        model.eval()
        with torch.inference_mode():
            RUNNERS[args.task](model, args.inputs, args.output, device, args.batch_size, json.loads(args.classes))
    except ModelFailure as failure:
        report("ERROR " + json.dumps({"code": failure.code, "message": failure.message}))
        return 3
    except Exception as exc:  # noqa: BLE001 - reported to the participant, never raised into the worker
        traceback.print_exc()
        report("ERROR " + json.dumps({"code": MODEL_ERROR, "message": f"Inference failed: {type(exc).__name__}: {_last_line(str(exc))}"}))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
