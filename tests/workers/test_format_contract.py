"""Every model format × every task adapter, in the real sandbox, with nothing here naming either.

For each registered format (`workers.runtime.formats`) and each task type that takes models, the task's
probe (`TaskType.model_probe`: the smallest model of its adapter's contract) is exported in that format
(`ModelFormat.export`), packaged with the files it needs, run by `run_job` on the task's demo inputs, and
its predictions are scored by the task's scorer. A new format or task type is tested as soon as it is
registered.
"""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
import yaml

from scoring import TASKS, ScoringOptions
from scoring.demos import Bundle
from tests.workers.model_builders import zip_package
from workers.inference import InferenceJob, run_job
from workers.runtime.formats import model_formats
from workers.storage import LocalFiles

MODEL_TASKS = [name for name, task in TASKS.items() if task.model_probe and task.demo is not None]
FORMATS = [fmt for fmt in model_formats() if fmt.export is not None]


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Bundle]:
    root = tmp_path_factory.mktemp("format-contract")
    built = {}
    for name in MODEL_TASKS:
        demo = TASKS[name].demo
        assert demo is not None
        built[name] = demo.build(root / name, slug=f"probe-{name}", **demo.example_sizes)
    return built


def resolve(spec: str):  # type: ignore[no-untyped-def]  # "module:function", as a task type declares it
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def test_every_format_and_task_is_covered() -> None:
    assert {fmt.key for fmt in FORMATS} >= {"torchscript", "onnx"}
    assert set(MODEL_TASKS) == {name for name, task in TASKS.items() if task.accepts_models}


@pytest.mark.parametrize("task_name", MODEL_TASKS)
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.key)
def test_a_probe_in_every_format_runs_for_every_task(demos: dict[str, Bundle], tmp_path: Path, fmt, task_name: str) -> None:
    task, bundle = TASKS[task_name], demos[task_name]
    classes = list(yaml.safe_load((bundle.path / "competition.yaml").read_text()).get("classes") or [])
    media = tmp_path / "media"
    shutil.copytree(bundle.path / "public", media / "inputs")
    (media / "submissions").mkdir()
    probe = resolve(task.model_probe)(media / "inputs", classes)
    model = tmp_path / fmt.file_name
    fmt.export(probe.module, probe.example, probe.input_names, probe.output_names, model)
    upload = zip_package(tmp_path / "package.zip", {fmt.file_name: model, **probe.files}) if probe.files else model
    (media / "submissions" / "upload").write_bytes(upload.read_bytes())
    job = InferenceJob(submission_id=1, task=task_name, model="submissions/upload", inputs="inputs",
                       output=f"predictions/out{task.submission_suffix}", classes=classes, batch_size=4,
                       wall_seconds=120, memory_mb=2048)
    result = run_job(job, files=LocalFiles(media), hidden=[media], device="cpu")
    assert result.error is None, (fmt.key, task_name, result.error, result.log[-1500:])
    assert result.items > 0 and f"{fmt.name} model loaded" in result.log
    options = ScoringOptions(classes=tuple(classes))
    scores = task.score(task.load_truth(bundle.path / task.truth_filename, options), media / result.output, options)
    assert task.primary_metric in scores["public"] and task.primary_metric in scores["private"]
