"""Can this machine run participants' models? `python -m workers.selfcheck [--device cuda:0] [--json FILE]`

Run it on each inference host after installing or upgrading (the GPU image included), as the
user the worker runs as (root). It builds small models at run time and runs each the way a model
submission runs (`run_job`: format check, the sandbox, the child, predictions collected), then
prints one line per check and exits 1 if any failed:

- sandbox: bubblewrap builds the sandbox (what the worker checks at start);
- memory-limit: a run that grabs memory is stopped at its limit (`model-memory`), by the kernel
  where the host has cgroup v2 (workers/sandbox/cgroups.py), else by the worker's watch;
- device: the device models run on, and what runs there (torch, torchvision, onnxruntime's providers);
- gpu-isolation (GPU only): inside the sandbox the model sees its own GPU's device node and no
  other, runs as an unprivileged uid, and CUDA works;
- one check per model format (workers/runtime/formats/: torchscript, onnx): the format's probe, a
  segmentation model, runs on the device, with items per second (on a GPU, a format that names a
  GPU marker must show it: ONNX must run on onnxruntime's CUDA provider, which the GPU image
  installs as onnxruntime-gpu);
- torchvision-ops: a TorchScript detector calling `torchvision::nms` runs (the GPU image has the
  torchvision that matches its torch; a CPU worker without torchvision skips it, and such
  models are told to export to ONNX).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from workers.inference import InferenceJob, InferenceResult, choose_device, private_workdir, run_job
from workers.runtime.formats import ModelFormat, model_formats
from workers.sandbox import MEMORY, Limits, Outcome, run_contained, sandbox_check
from workers.storage import LocalFiles

IMAGES, SIZE = 32, 96
OK, FAILED, SKIPPED = "ok", "FAILED", "skipped"

# Run inside the sandbox as a plain script: what the model's process can see of the GPU.
GPU_PROBE = """
import json, os, re, sys
seen = {"uid": os.getuid(), "gpus": sorted(n for n in os.listdir("/dev") if re.fullmatch(r"nvidia[0-9]+", n))}
try:
    import torch
    seen["cuda"] = torch.cuda.is_available()
    seen["count"] = torch.cuda.device_count() if seen["cuda"] else 0
    if seen["cuda"]:
        seen["sum"] = float(torch.ones(1024, device="cuda:0").sum().item())
except Exception as exc:
    seen["error"] = f"{type(exc).__name__}: {exc}"[:300]
open("out/gpu.json", "w").write(json.dumps(seen))
"""


@dataclass(frozen=True)
class Check:
    name: str
    result: str
    detail: str


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.selfcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--device", help="cuda:N or cpu (default: what the worker would choose)")
    parser.add_argument("--json", type=Path, help="also write the checks to this file")
    args = parser.parse_args(argv)
    checks = run_checks(args.device or choose_device())
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{check.name:<{width}}  {check.result:<7}  {check.detail}")
    if args.json:
        args.json.write_text(json.dumps([asdict(check) for check in checks], indent=2))
    return 1 if any(check.result == FAILED for check in checks) else 0


def run_checks(device: str) -> list[Check]:
    folder = Path(tempfile.mkdtemp(prefix="podium-selfcheck-"))
    try:
        media = folder / "media"
        _segmentation_inputs(media / "public")
        (media / "submissions").mkdir()
        checks = [_guard("sandbox", lambda: _sandbox(media)), _guard("device", lambda: _device(device))]
        if checks[0].result != OK:
            return checks  # nothing below can run
        checks.append(_guard("memory-limit", lambda: _memory_limit(media)))
        if device.startswith("cuda"):
            checks.append(_guard("gpu-isolation", lambda: _gpu_isolation(media, _gpu_index(device))))
        for fmt in model_formats():
            if fmt.export is not None:
                checks.append(_guard(fmt.key, partial(_format_check, fmt, media, device)))
        checks.append(_guard("torchvision-ops", lambda: _torchvision_ops(media, device)))
        return checks
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _guard(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - a check that breaks is a failed check, reported with the rest
        return Check(name, FAILED, f"{type(exc).__name__}: {exc}"[:300])


# ---------------------------------------------------------------- checks

def _sandbox(media: Path) -> Check:
    status = sandbox_check(hidden=[media])
    return Check("sandbox", OK if status.ok and status.mode == "bubblewrap" else FAILED, status.detail)


def _device(device: str) -> Check:
    summary, problems = describe_runtime(device)
    return Check("device", FAILED if problems else OK, "; ".join([summary, *problems]))


def describe_runtime(device: str) -> tuple[str, list[str]]:
    """What models run on here, and what a GPU worker lacks (the worker logs both at start)."""
    import torch

    parts = [f"torch {torch.__version__}", f"torchvision {_version('torchvision') or 'not installed'}"]
    providers: list[str] = []
    try:
        import onnxruntime

        providers = onnxruntime.get_available_providers()
        parts.append(f"onnxruntime {onnxruntime.__version__} ({', '.join(providers)})")
    except ImportError:
        parts.append("onnxruntime not installed")
    if not device.startswith("cuda"):
        return f"cpu ({os.cpu_count()} cores); " + "; ".join(parts), []
    if not torch.cuda.is_available():
        return f"{device}; " + "; ".join(parts), [f"{device} asked for, but torch sees no GPU"]
    problems = []
    if "CUDAExecutionProvider" not in providers:
        problems.append("onnxruntime has no CUDA provider, so ONNX models run on the CPU: install onnxruntime-gpu")
    if _version("torchvision") is None:
        problems.append("no torchvision, so TorchScript models that use its operators are refused: install the "
                        "torchvision that matches torch")
    return f"{device} ({torch.cuda.get_device_name(_gpu_index(device))}); " + "; ".join(parts), problems


def _memory_limit(media: Path) -> Check:
    from workers.sandbox import cgroups

    hog = "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 * 1024 * 1024))"
    outcome, _ = _contained(hog, media, Limits(wall_seconds=60, memory_mb=256))
    if outcome.exceeded != MEMORY:
        return Check("memory-limit", FAILED, f"a run grabbing memory ended with {outcome.exceeded or outcome.returncode}, "
                                             f"not at its 256 MB limit: {outcome.log.strip()[-200:]}")
    by = "the kernel (the run's cgroup)" if outcome.oom_killed else "the worker's watch"
    if cgroups.support().parent is None:
        by += " (no cgroup v2 here)"
    elif not outcome.oom_killed:
        by += " (cgroup v2 is on; the watch was faster)"
    return Check("memory-limit", OK, f"stopped at 256 MB by {by} after {outcome.seconds:.2f} s")


def _gpu_isolation(media: Path, gpu: int) -> Check:
    outcome, written = _contained(GPU_PROBE, media, Limits(wall_seconds=120, limit_address_space=False),
                                  collect="gpu.json", gpu=gpu)
    if written is None:
        return Check("gpu-isolation", FAILED, f"the probe wrote nothing: {outcome.log.strip()[-300:]}")
    seen = json.loads(written)
    problems = []
    if seen["gpus"] != [f"nvidia{gpu}"]:
        problems.append(f"the sandbox shows {seen['gpus']}, expected only nvidia{gpu}")
    if seen["uid"] in (0, os.getuid()):
        problems.append(f"the model ran as uid {seen['uid']}")
    if not seen.get("cuda") or seen.get("count") != 1 or seen.get("sum") != 1024.0:
        problems.append(f"CUDA inside the sandbox: {seen}")
    detail = "; ".join(problems) or f"sees /dev/nvidia{gpu} only, uid {seen['uid']}, CUDA works ({seen['count']} device)"
    return Check("gpu-isolation", FAILED if problems else OK, detail)


def _format_check(fmt: ModelFormat, media: Path, device: str) -> Check:
    """The format's probe model, run as a submission of it runs, on the device."""
    if fmt.export is None:
        return Check(fmt.key, SKIPPED, "the format declares no way to make a model from torch")
    import torch

    fmt.export(_segmenter(), (torch.zeros(1, 3, SIZE, SIZE),), ["images"], ["logits"], media / "submissions" / fmt.file_name)
    result = _run(media, "segmentation", f"submissions/{fmt.file_name}", device)
    check = _model_check(fmt.key, result, media, device)
    if check.result == OK and device.startswith("cuda") and fmt.gpu_marker and fmt.gpu_marker not in result.log:
        return Check(fmt.key, FAILED, f"ran on the CPU: the log lacks {fmt.gpu_marker!r} (for ONNX, the GPU image "
                                      f"installs onnxruntime-gpu; its CUDA must match the driver's). {check.detail}")
    return check


def _torchvision_ops(media: Path, device: str) -> Check:
    if _version("torchvision") is None:
        if device.startswith("cuda"):
            return Check("torchvision-ops", FAILED, "torchvision is not installed: the GPU image must have the "
                                                    "torchvision that matches its torch (docker/Dockerfile.inference)")
        return Check("torchvision-ops", SKIPPED, "no torchvision here: TorchScript models that use its operators are "
                                                 "told to export to ONNX")
    import torch

    _detection_inputs(media / "detection")
    torch.jit.save(torch.jit.script(_nms_detector()), str(media / "submissions" / "detector.pt"))
    result = _run(media, "detection", "submissions/detector.pt", device, inputs="detection")
    if result.error is not None:
        return Check("torchvision-ops", FAILED, f"{result.error['code']}: {result.error['message']}")
    found = json.loads((media / result.output).read_text()) if result.output else []
    if len(found) != IMAGES:  # one box per image survives the suppression
        return Check("torchvision-ops", FAILED, f"expected {IMAGES} boxes after torchvision::nms, got {len(found)}")
    return Check("torchvision-ops", OK, f"torchvision::nms ran on {result.device}; {_speed(result)}")


# ---------------------------------------------------------------- helpers

def _contained(code: str, media: Path, limits: Limits, collect: str | None = None,
               gpu: int | None = None) -> tuple[Outcome, str | None]:
    """A Python script run in the sandbox; what it wrote to out/`collect`, if anything."""
    workdir = private_workdir()
    try:
        outcome = run_contained([sys.executable, "-c", code], workdir=workdir, read_only={}, hidden=[media],
                                limits=limits, collect=(collect,) if collect else (), gpu=gpu)
        return outcome, outcome.collected[collect].read_text() if collect in outcome.collected else None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(media: Path, task: str, model: str, device: str, inputs: str = "public") -> InferenceResult:
    job = InferenceJob(submission_id=0, task=task, model=model, inputs=inputs, output=f"predictions/{Path(model).stem}",
                       classes=[], batch_size=8, wall_seconds=300, cpu_seconds=600)
    return run_job(job, files=LocalFiles(media), hidden=[media], device=device)


def _model_check(name: str, result: InferenceResult, media: Path, device: str) -> Check:
    if result.error is not None:
        return Check(name, FAILED, f"{result.error['code']}: {result.error['message']}")
    with open(media / (result.output or ""), newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = [f"img{i}" for i in range(IMAGES)]
    if [row["id"] for row in rows] != expected or not all(row["rle"] for row in rows):
        return Check(name, FAILED, f"the predictions do not cover the {IMAGES} test images")
    return Check(name, OK, f"on {device}: {_runs_on(result.log)}; {_speed(result)}")


def _runs_on(log: str) -> str:
    lines = [line for line in log.splitlines() if line.startswith("podium: ")]
    return lines[-1].partition(", running on ")[2] if lines else "?"


def _speed(result: InferenceResult) -> str:
    rate = f"{result.items / result.run_seconds:.0f} items/s" if result.run_seconds else "? items/s"
    load = f"load {result.load_seconds:.2f} s" if result.load_seconds is not None else "load ?"
    return f"{rate}, {load}, {result.seconds:.2f} s in all"


def _gpu_index(device: str) -> int:
    return int(device.partition(":")[2] or 0)


def _version(module: str) -> str | None:
    try:
        return str(__import__(module).__version__)
    except ImportError:
        return None


def _segmentation_inputs(public: Path) -> None:
    """Bright squares on a dark ground, IMAGES of SIZE×SIZE, as the segmentation contract reads them."""
    import numpy as np
    from PIL import Image

    (public / "images").mkdir(parents=True)
    with open(public / "test.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "image", "height", "width"])
        for index in range(IMAGES):
            pixels = np.full((SIZE, SIZE, 3), 20, dtype=np.uint8)
            corner = 8 + index % 40
            pixels[corner:corner + 30, corner:corner + 30] = 230
            Image.fromarray(pixels).save(public / "images" / f"img{index}.png")
            writer.writerow([f"img{index}", f"images/img{index}.png", SIZE, SIZE])


def _detection_inputs(folder: Path) -> None:
    (folder / "images").mkdir(parents=True)
    shutil.copytree(folder.parent / "public" / "images", folder / "images", dirs_exist_ok=True)
    images = [{"id": index + 1, "file_name": f"img{index}.png", "height": SIZE, "width": SIZE} for index in range(IMAGES)]
    (folder / "test.json").write_text(json.dumps({"images": images, "categories": [{"id": 1, "name": "square"}]}))


def _segmenter() -> Any:
    import torch

    class Segmenter(torch.nn.Module):
        """Bright pixels, as logits: [N,3,H,W] -> [N,1,H,W]."""

        def forward(self, images: torch.Tensor) -> torch.Tensor:
            return (images.mean(dim=1, keepdim=True) - 0.5) * 10

    return Segmenter().eval()


def _nms_detector() -> Any:
    import torch
    import torchvision  # noqa: F401 - registers torchvision::nms for scripting

    class Detector(torch.nn.Module):
        """Two overlapping boxes per image; torchvision's NMS keeps the better one."""

        def forward(self, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
            found: list[dict[str, torch.Tensor]] = []
            for image in images:
                boxes = torch.tensor([[10.0, 10.0, 40.0, 40.0], [12.0, 12.0, 41.0, 41.0]], device=image.device)
                scores = torch.stack([image.mean(), image.mean() * 0.5])
                keep = torch.ops.torchvision.nms(boxes, scores, 0.5)
                found.append({"boxes": boxes[keep], "scores": scores[keep],
                              "labels": torch.ones(keep.shape[0], dtype=torch.int64, device=image.device)})
            return found

    return Detector().eval()


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"({time.perf_counter() - started:.1f} s)")
    sys.exit(status)
