"""A bad setting never fails a submission: an inference worker with one refuses to start, naming the value."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import _database_url, _worker_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("name, value", [("PODIUM_GPU_MEMORY_FRACTION", "90%"), ("PODIUM_CUDA_DEVICE", "gpu0"),
                                         ("PODIUM_MODEL_THREADS", "0")])
def test_an_inference_worker_with_a_bad_setting_refuses_to_start_and_says_which(
        name: str, value: str, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from podium.devstack import start_worker, stop_process

    env = {**_worker_env(redis_url, _database_url(), tmp_path_factory), name: value}
    log = tmp_path / "worker.log"
    process = start_worker(queues="inference", concurrency=1, env=env, log_path=log)
    try:
        code = process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        stop_process(process)
        pytest.fail(f"the worker kept running with {name}={value}: {log.read_text()[-2000:]}")
    text = log.read_text()
    assert code != 0 and f"{name} must be" in text and repr(value) in text, text[-2000:]


def test_the_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.inference_settings import InferenceSettingsError, inference_settings

    monkeypatch.setenv("PODIUM_GPU_MEMORY_FRACTION", "0.5")
    monkeypatch.setenv("PODIUM_CUDA_DEVICE", "3")
    monkeypatch.setenv("PODIUM_MODEL_THREADS", "2")
    read = inference_settings()
    assert (read.gpu_memory_fraction, read.cuda_device, read.model_threads, read.force_cpu) == (0.5, 3, 2, False)
    for bad in ("0", "1.5", "nan", ""):
        monkeypatch.setenv("PODIUM_GPU_MEMORY_FRACTION", bad)
        with pytest.raises(InferenceSettingsError, match="PODIUM_GPU_MEMORY_FRACTION"):
            inference_settings()
