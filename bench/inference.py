"""Inference throughput of the example models: batched versus one item at a time, same inputs, same run.

Runs on CUDA when this machine has a GPU, else on the CPU (`--device` overrides).
Items are the demo competitions' test inputs (texts, 128×128 images, 96×96 images).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import ROOT, print_table

sys.path.insert(0, str(ROOT))


def _inputs(task: str, public: Path, device: torch.device) -> list:  # type: ignore[type-arg]
    import csv
    import json

    from workers.runtime.adapters.images import load_image as load_array

    def load_image(path: Path) -> torch.Tensor:
        return torch.from_numpy(load_array(path))

    if task == "text-classification":
        return [row["text"] for row in csv.DictReader(open(public / "test.csv"))]
    if task == "detection":
        images = json.loads((public / "test.json").read_text())["images"]
        return [load_image(public / "images" / image["file_name"]).to(device) for image in images]
    return [load_image(public / row["image"]).to(device) for row in csv.DictReader(open(public / "test.csv"))]


def _call(task: str, model: torch.jit.ScriptModule, items: list) -> None:  # type: ignore[type-arg]
    if task == "segmentation":
        model(torch.stack(items))
    else:
        model(items)


def _throughput(task: str, model: torch.jit.ScriptModule, items: list, batch: int, device: torch.device) -> float:  # type: ignore[type-arg]
    with torch.inference_mode():
        for start in range(0, min(len(items), 2 * batch), batch):  # warm up (TorchScript profiles the first calls)
            _call(task, model, items[start:start + batch])
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        for start in range(0, len(items), batch):
            _call(task, model, items[start:start + batch])
        if device.type == "cuda":
            torch.cuda.synchronize()
    return len(items) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> list[list[object]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pipeline", action="store_true",
                        help="also run each example through the sandboxed runner on this device and on the CPU")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    from competitions.demo_data import detection_bundle, segmentation_bundle, text_classification_bundle
    from examples import detection, segmentation, text_classification

    rows: list[list[object]] = []
    checks: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("text-classification", text_classification, text_classification_bundle(Path(tmp) / "t", n_test=2000)),
            ("detection", detection, detection_bundle(Path(tmp) / "d", n_train=2, n_test=256)),
            ("segmentation", segmentation, segmentation_bundle(Path(tmp) / "s", n_train=2, n_test=512)),
        ]
        for task, module, bundle in cases:
            model = module.build(bundle.path / "public", {"classes": CLASSES})
            model = torch.jit.load(_saved(model, Path(tmp)), map_location=device)
            items = _inputs(task, bundle.path / "public", device)
            batched = _throughput(task, model, items, args.batch_size, device)
            single = _throughput(task, model, items, 1, device)
            rows.append([task, str(device), len(items), single, batched, f"{batched / single:.1f}x"])
            if args.pipeline:
                checks.append(_pipeline(task, module.build(bundle.path / "public", {"classes": CLASSES}), bundle, args.device, Path(tmp)))
    print_table(f"Inference throughput of the example models (items/s; batch of {args.batch_size} vs 1)",
                ["task", "device", "items", "one at a time", "batched", "speed-up"], rows)
    if checks:
        print_table("Sandboxed runner, whole test set (seconds include starting the child and loading torch)",
                    ["task", "device", "seconds", "primary (public)", "cpu seconds", "cpu primary", "difference"], checks)
    return rows


CLASSES = ["food", "sports", "technology", "travel"]


def _pipeline(task: str, model: torch.jit.ScriptModule, bundle, device: str, tmp: Path) -> list[object]:  # type: ignore[no-untyped-def]
    """run_job on `device` and on the CPU; the scores must agree."""
    import shutil

    from scoring import ScoringOptions, get_task
    from workers.inference import InferenceJob, run_job
    from workers.storage import LocalFiles

    media = tmp / f"media-{task}"
    shutil.copytree(bundle.path / "public", media / "inputs")
    (media / "models").mkdir()
    torch.jit.save(model, str(media / "models" / "model.pt"))
    task_type = get_task(task)
    options = ScoringOptions(classes=tuple(CLASSES) if task == "text-classification" else ())
    truth = task_type.load_truth(bundle.path / task_type.truth_filename, options)
    outcomes = []
    for where in (device, "cpu"):
        job = InferenceJob(submission_id=0, task=task, model="models/model.pt", inputs="inputs", output=f"out-{where}",
                           classes=CLASSES if task == "text-classification" else [], batch_size=32, memory_mb=8192)
        result = run_job(job, files=LocalFiles(media), hidden=[], device=where)
        if result.error:
            raise RuntimeError(f"{task} on {where}: {result.error}")
        outcomes.append((result.seconds, task_type.score(truth, media / result.output, options)["public"][task_type.primary_metric]))
    (seconds, primary), (cpu_seconds, cpu_primary) = outcomes
    # GPU and CPU kernels round differently, so a pixel on a threshold may flip: report the gap.
    return [task, device, seconds, primary, cpu_seconds, cpu_primary, f"{abs(primary - cpu_primary):.1e}"]


def _saved(model: torch.jit.ScriptModule, folder: Path) -> str:
    path = folder / "model.pt"
    torch.jit.save(model, str(path))
    return str(path)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
