"""`python -m workers.selfcheck`: an operator's check that a host can run models, through the real sandbox."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workers import selfcheck
from workers.sandbox import ROOT


def _selfcheck(tmp_path: Path, **env: str) -> tuple[int, dict[str, dict[str, str]], str]:
    report = tmp_path / "checks.json"
    process = subprocess.run([sys.executable, "-m", "workers.selfcheck", "--device", "cpu", "--json", str(report)],
                             cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    checks = {check["name"]: check for check in json.loads(report.read_text())}
    return process.returncode, checks, process.stdout


def test_a_host_that_can_run_models_passes_every_check_with_what_ran_where(tmp_path: Path) -> None:
    status, checks, printed = _selfcheck(tmp_path)
    assert status == 0, printed
    assert {name: check["result"] for name, check in checks.items()} == {
        "sandbox": "ok", "memory-limit": "ok", "device": "ok", "torchscript": "ok", "onnx": "ok",
        "torchvision-ops": "ok" if selfcheck._version("torchvision") else "skipped"}
    assert checks["sandbox"]["detail"].startswith("bubblewrap ")
    assert checks["memory-limit"]["detail"].startswith("stopped at 256 MB by ")
    # What the model's process reported about itself, read from its log: the format's own device or providers.
    assert "on cpu: cpu (torch 2." in checks["torchscript"]["detail"]
    assert "on cpu: CPUExecutionProvider" in checks["onnx"]["detail"]
    assert "items/s" in checks["onnx"]["detail"] and "load " in checks["onnx"]["detail"]
    assert all(name in printed for name in checks)


def test_a_host_that_cannot_sandbox_fails_and_runs_nothing(tmp_path: Path) -> None:
    status, checks, printed = _selfcheck(tmp_path, PODIUM_SANDBOX_UID_BASE="0")
    assert status == 1
    assert checks["sandbox"]["result"] == "FAILED" and "PODIUM_SANDBOX_UID_BASE" in checks["sandbox"]["detail"]
    assert "torchscript" not in checks and "onnx" not in checks  # no model runs without the sandbox


def test_a_gpu_worker_is_told_what_it_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a GPU, ONNX needs onnxruntime's CUDA provider and TorchScript detectors need torchvision."""
    import onnxruntime
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"Test GPU {index}")
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    monkeypatch.setattr(selfcheck, "_version", lambda module: None if module == "torchvision" else "1.0")
    summary, problems = selfcheck.describe_runtime("cuda:1")
    assert summary.startswith("cuda:1 (Test GPU 1); torch ")
    assert [problem.split(",")[0] for problem in problems] == [
        "onnxruntime has no CUDA provider", "no torchvision"]
    assert "onnxruntime-gpu" in problems[0]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(selfcheck, "_version", lambda module: "1.0")
    assert selfcheck.describe_runtime("cuda:0")[1] == []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert selfcheck.describe_runtime("cuda:0")[1] == ["cuda:0 asked for, but torch sees no GPU"]
