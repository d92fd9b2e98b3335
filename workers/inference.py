"""Run one model submission: check its format, run it contained, store its predictions.

Everything here works from the task message alone (`InferenceJob`): storage
names of the model, the test inputs and the output, the task type and the
public classes. It never opens the database and never sees a truth file.
"""
from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scoring.registry import get_task
from workers.inference_settings import inference_settings
from workers.runtime import ModelFailure
from workers.runtime.package import UNSUPPORTED, PackageError, unpack_model
from workers.sandbox import CPU, MEMORY, OUTPUT, TIMEOUT, Limits, Outcome, run_contained
from workers.storage import JobFiles

CHILD_CODES = ModelFailure.CHILD_CODES
MESSAGE_CHARS = 500


@dataclass(frozen=True)
class InferenceJob:
    submission_id: int
    task: str
    model: str  # storage name of the upload: a TorchScript or ONNX file, or a zip (workers/runtime/package.py)
    inputs: str  # storage name of the folder of test inputs
    output: str  # storage name to write predictions to
    classes: list[str] = field(default_factory=list)
    batch_size: int = 16
    wall_seconds: int = 600
    cpu_seconds: int = 1200
    memory_mb: int = 4096
    output_mb: int = 512
    max_model_mb: int = 2048
    settings: dict[str, object] = field(default_factory=dict)  # max_length, confidence, iou, max_detections


@dataclass(frozen=True)
class InferenceResult:
    output: str | None
    seconds: float
    device: str
    error: dict[str, str] | None = None
    log: str = ""  # the last 64 KB the model printed, for its team
    load_seconds: float | None = None  # loading the model, inside the sandbox
    items: int = 0  # test items predicted
    run_seconds: float | None = None  # predicting them, after the load

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def choose_device() -> str:
    """`cuda:N` when this worker has a GPU (N from PODIUM_CUDA_DEVICE, default 0), else `cpu`."""
    import torch

    settings = inference_settings()
    if torch.cuda.is_available() and not settings.force_cpu:
        return f"cuda:{settings.cuda_device}"
    return "cpu"


def run_job(
    job: InferenceJob,
    *,
    files: JobFiles,
    hidden: list[Path],
    device: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    unsandboxed: bool = False,
) -> InferenceResult:
    """Run one model. Whatever the model does or prints, this returns a result; only platform faults raise."""
    device = device or choose_device()
    workdir = private_workdir()
    try:
        upload = workdir / "upload"
        files.fetch(job.model, upload)
        try:
            package = unpack_model(upload, workdir / "model", max_bytes=job.max_model_mb * 1024 * 1024)
        except PackageError as problem:
            return InferenceResult(None, 0.0, device, {"code": UNSUPPORTED, "message": str(problem)})
        finally:
            upload.unlink(missing_ok=True)
        reports = ReportReader(on_progress)
        output = get_task(job.task).output_name
        outcome = run_contained(
            _command(job, device, package.manifest),
            workdir=workdir,
            read_only={"model": package.folder, "inputs": files.inputs(job.inputs)},
            hidden=hidden,
            limits=Limits(wall_seconds=job.wall_seconds, cpu_seconds=job.cpu_seconds, memory_mb=job.memory_mb,
                          output_mb=job.output_mb, limit_address_space=device == "cpu"),
            env=_child_env(device),
            collect=(output,),
            on_report=reports.read,
            gpu=int(device.split(":")[1]) if device.startswith("cuda:") else None,
            unsandboxed=unsandboxed,
        )
        error = _error_of(outcome, job, reports.error)
        if error is None and output not in outcome.collected:
            detail = "; ".join(outcome.problems) or "no file was written"
            error = {"code": ModelFailure.ERROR, "message": f"The model ran but produced no predictions ({detail[:200]})."}
        if error is None:
            files.store(outcome.collected[output], job.output)
        return InferenceResult(None if error else job.output, outcome.seconds, device, error, outcome.log,
                               load_seconds=reports.load_seconds, items=reports.items, run_seconds=reports.run_seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class ReportReader:
    """Parses the child's report lines strictly: they come from inside the sandbox, so they are data.

    `PROGRESS done total` with 0 <= done <= total <= 10**9, never going backwards;
    `ERROR {"code", "message"}` with a code the child may use and a string message;
    `LOADED seconds` and `DONE items seconds`, each a bounded number.
    Anything else is ignored. The first valid ERROR wins.
    """

    def __init__(self, on_progress: Callable[[int, int], None] | None) -> None:
        self.on_progress = on_progress
        self.done = 0
        self.error: dict[str, str] | None = None
        self.load_seconds: float | None = None
        self.items, self.run_seconds = 0, None  # type: tuple[int, float | None]

    def read(self, line: str) -> None:
        kind, _, rest = line.partition(" ")
        if kind == "PROGRESS":
            self._progress(rest)
        elif kind == "ERROR" and self.error is None:
            self.error = _parse_error(rest)
        elif kind == "LOADED":
            self.load_seconds = _seconds(rest)
        elif kind == "DONE":
            items, _, seconds = rest.partition(" ")
            if items.isdigit() and len(items) <= 10:
                self.items, self.run_seconds = int(items), _seconds(seconds)

    def _progress(self, text: str) -> None:
        parts = text.split()
        if len(parts) != 2 or not all(part.isdigit() and len(part) <= 10 for part in parts):
            return
        done, total = int(parts[0]), int(parts[1])
        if 0 < total <= 10**9 and self.done <= done <= total:
            self.done = done
            if self.on_progress is not None:
                self.on_progress(done, total)


def _seconds(text: str) -> float | None:
    try:
        value = float(text) if len(text) <= 20 else -1.0
    except ValueError:
        return None
    return value if 0 <= value < 10**6 else None


def _parse_error(text: str) -> dict[str, str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("code") not in CHILD_CODES or not isinstance(value.get("message"), str):
        return None
    return {"code": value["code"], "message": value["message"][:MESSAGE_CHARS]}


def _command(job: InferenceJob, device: str, manifest: dict[str, object]) -> list[str]:
    command = [
        sys.executable, "-m", "workers.inference_child", "--task", job.task, "--model", "model",
        "--inputs", "inputs", "--output", f"out/{get_task(job.task).output_name}", "--device", device,
        "--batch-size", str(job.batch_size), "--classes", json.dumps(job.classes),
        "--manifest", json.dumps(manifest), "--settings", json.dumps(job.settings),
    ]
    if device.startswith("cuda"):
        command += ["--gpu-memory-fraction", str(inference_settings().gpu_memory_fraction)]
    return command


def private_workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="podium-model-"))
    path.chmod(0o700)
    return path


def _child_env(device: str) -> dict[str, str]:
    env = {"OMP_NUM_THREADS": str(inference_settings().model_threads)}
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def _error_of(outcome: Outcome, job: InferenceJob, reported: dict[str, str] | None) -> dict[str, str] | None:
    if outcome.exceeded == TIMEOUT:
        return {"code": ModelFailure.TIMEOUT, "message": f"The model ran longer than the {job.wall_seconds}-second limit and was stopped."}
    if outcome.exceeded == CPU:
        return {"code": ModelFailure.TIMEOUT, "message": f"The model used more than {job.cpu_seconds} CPU-seconds and was stopped."}
    if outcome.exceeded == MEMORY:
        return {"code": ModelFailure.MEMORY, "message": f"The model used more than {job.memory_mb} MB of memory and was stopped."}
    if outcome.exceeded == OUTPUT:
        return {"code": ModelFailure.ERROR, "message": f"The model's predictions exceeded {job.output_mb} MB."}
    if reported is not None:
        return reported
    if outcome.signal == signal.SIGSYS:
        return {"code": ModelFailure.ERROR, "message": "The model made a system call that the sandbox does not allow "
                                                  "(a 32-bit or x32 one) and was stopped (see the model's log)."}
    if outcome.returncode != 0:
        last = [line for line in outcome.log.splitlines() if line.strip()][-1:] or ["no output"]
        return {"code": ModelFailure.ERROR, "message": f"The model process failed (exit status {outcome.returncode}): "
                                                  f"{last[0][:200]} (see the model's log)"}
    return None
