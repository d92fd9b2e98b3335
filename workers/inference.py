"""Run one model submission: check its format, run it contained, store its predictions.

Everything here works from the task message alone (`InferenceJob`): storage
names of the model, the test inputs and the output, the task type and the
public classes. It never opens the database and never sees a truth file.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workers.model_format import UNSUPPORTED, model_format_problem
from workers.sandbox import CPU, MEMORY, OUTPUT, TIMEOUT, Limits, private_workdir, run_contained
from workers.storage import JobFiles

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_NAMES = {"text-classification": "predictions.csv", "detection": "predictions.json", "segmentation": "predictions.csv"}


@dataclass(frozen=True)
class InferenceJob:
    submission_id: int
    task: str
    model: str  # storage name of the TorchScript file
    inputs: str  # storage name of the folder of test inputs
    output: str  # storage name to write predictions to
    classes: list[str] = field(default_factory=list)
    batch_size: int = 16
    wall_seconds: int = 600
    cpu_seconds: int = 1200
    memory_mb: int = 4096
    output_mb: int = 512


@dataclass(frozen=True)
class InferenceResult:
    output: str | None
    seconds: float
    device: str
    error: dict[str, str] | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def choose_device() -> str:
    """`cuda:N` when this worker has a GPU (N from PODIUM_CUDA_DEVICE, default 0), else `cpu`."""
    import torch

    if torch.cuda.is_available() and os.environ.get("PODIUM_FORCE_CPU", "") not in ("1", "true"):
        return f"cuda:{int(os.environ.get('PODIUM_CUDA_DEVICE', '0'))}"
    return "cpu"


def run_job(
    job: InferenceJob,
    *,
    files: JobFiles,
    hidden: list[Path],
    device: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> InferenceResult:
    device = device or choose_device()
    workdir = private_workdir()
    try:
        files.fetch(job.model, workdir / "model.pt")
        problem = model_format_problem(workdir / "model.pt")
        if problem:
            return InferenceResult(None, 0.0, device, {"code": UNSUPPORTED, "message": problem})
        outcome = run_contained(
            _command(job, device),
            workdir=workdir,
            inputs=files.inputs(job.inputs),
            hidden=hidden,
            limits=Limits(wall_seconds=job.wall_seconds, cpu_seconds=job.cpu_seconds, memory_mb=job.memory_mb,
                          output_mb=job.output_mb, limit_address_space=device == "cpu"),
            env=_child_env(device),
            on_line=_progress_reader(on_progress),
        )
        error = _error_of(outcome, job)
        if error is not None:
            return InferenceResult(None, outcome.seconds, device, error)
        files.store(workdir / OUTPUT_NAMES[job.task], job.output)
        return InferenceResult(job.output, outcome.seconds, device)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _command(job: InferenceJob, device: str) -> list[str]:
    command = [
        sys.executable, "-m", "workers.inference_child", "--task", job.task, "--model", "model.pt",
        "--inputs", "inputs", "--output", OUTPUT_NAMES[job.task], "--device", device,
        "--batch-size", str(job.batch_size), "--classes", json.dumps(job.classes),
    ]
    if device.startswith("cuda"):
        command += ["--gpu-memory-fraction", os.environ.get("PODIUM_GPU_MEMORY_FRACTION", "0.9")]
    return command


def _child_env(device: str) -> dict[str, str]:
    # The worker's own import path too: packages may be installed outside site-packages.
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {"PYTHONPATH": os.pathsep.join(paths), "OMP_NUM_THREADS": os.environ.get("PODIUM_MODEL_THREADS", str(os.cpu_count() or 1))}
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def _progress_reader(on_progress: Callable[[int, int], None] | None) -> Callable[[str], None] | None:
    if on_progress is None:
        return None

    def read(line: str) -> None:
        try:
            _, done, total = line.split()
            on_progress(int(done), int(total))
        except ValueError:
            pass

    return read


def _error_of(outcome, job: InferenceJob) -> dict[str, str] | None:  # type: ignore[no-untyped-def]
    if outcome.exceeded == TIMEOUT:
        return {"code": "model-timeout", "message": f"The model ran longer than the {job.wall_seconds}-second limit and was stopped."}
    if outcome.exceeded == CPU:
        return {"code": "model-timeout", "message": f"The model used more than {job.cpu_seconds} CPU-seconds and was stopped."}
    if outcome.exceeded == MEMORY:
        return {"code": "model-memory", "message": f"The model used more than {job.memory_mb} MB of memory and was stopped."}
    if outcome.exceeded == OUTPUT:
        return {"code": "model-error", "message": f"The model's predictions exceeded {job.output_mb} MB."}
    for line in reversed(outcome.stdout.splitlines()):
        if line.startswith("ERROR "):
            return json.loads(line[len("ERROR "):])
    if outcome.returncode != 0:
        if outcome.returncode < 0:
            return {"code": "model-error", "message": f"The model process was killed by signal {-outcome.returncode}."}
        last = [line for line in outcome.stderr.splitlines() if line.strip()][-1:] or ["no output"]
        return {"code": "model-error", "message": f"The model process failed: {last[0][:500]}"}
    return None
