"""Task adapters: each turns a competition's test inputs into calls of a model and the model's
outputs into that task's submission file. They see models only through the format interface
(`workers.runtime.formats`): numpy in, numpy out.

An adapter is `run(model, inputs, output, options, progress)`; a task type names its own in `TaskType.adapter`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from scoring.registry import TASKS

Adapter = Callable[[Any, Path, Path, Any, Any], None]  # run(model, inputs, output, options, progress)

# Each task type names its adapter in its declaration (`TaskType.adapter`); a task without one takes no models.
ADAPTERS = {name: task.adapter for name, task in TASKS.items() if task.adapter is not None}


@dataclass(frozen=True)
class Probe:
    """The smallest model an adapter runs: a torch module with tensor inputs and outputs, exported by each format
    (`ModelFormat.export`) for the format × task contract test, and the package files it needs beside it."""

    module: Any  # torch.nn.Module
    example: tuple[Any, ...]  # example inputs, batch first
    input_names: list[str]
    output_names: list[str]
    files: dict[str, bytes] = field(default_factory=dict)  # e.g. tokenizer.json, podium.yaml


def adapter_for(task: str) -> Adapter:
    """The task's `run`: its adapter is a module path ("workers.runtime.adapters.text", whose `run` it is) or
    "module:function" where one module serves several tasks."""
    module, _, name = ADAPTERS[task].partition(":")
    run: Adapter = getattr(importlib.import_module(module), name or "run")
    return run


def batch_size(model: Any, requested: int) -> int:
    """The competition's batch size, or 1.. the batch a model was exported with (a static first axis)."""
    shape = model.inputs[0].shape if getattr(model, "inputs", None) else None
    if shape and len(shape) >= 2 and shape[0]:
        return int(shape[0])
    return max(1, requested)



T = TypeVar("T")


def batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
