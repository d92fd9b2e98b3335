"""Model formats: each is one module here, declaring itself as `FORMAT` and loading its models with `load`.

A format module provides:
- `FORMAT`, a `ModelFormat`: how an upload of it is recognised (its first bytes; for a format that
  is itself a zip, the names inside), its file name in a package, its label for the Submit page,
  and a probe model the selfcheck runs (`python -m workers.selfcheck`);
- `load(path, device) -> model`, where the model has `format` (its name for messages), `runs_on`
  (the device or execution providers, for the log), `inputs` (a list of `ModelInput`) and
  `__call__(*args)`: positional arguments in the order of `inputs`, numpy arrays (or lists of
  them, or of strings), returning numpy arrays in the structure the model returned.

Declaring a format imports nothing heavy (the web process reads the labels); `load` imports the
runtime, inside the sandbox. Adding a format is its module and one line in `FORMAT_MODULES`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FORMAT_MODULES = (
    "workers.runtime.formats.torchscript",
    "workers.runtime.formats.onnx",
)


@dataclass(frozen=True)
class ModelFormat:
    key: str  # "onnx": the selfcheck's name for its check
    name: str  # "ONNX": in messages
    file_name: str  # "model.onnx": its name in a zip package, and in the sandbox
    how: str  # "an ONNX file (torch.onnx.export)": how to make one, in the refusal of anything else
    label: str  # the Submit page's line about it (HTML: the declaration is the platform's own code)
    magic: Callable[[bytes], bool]  # could an upload whose first bytes are these be of this format?
    # A format that is itself a zip (TorchScript): given the zip's entry names, None where they are this format's,
    # else what the zip is instead. None for a format recognised by its bytes alone.
    zip_problem: Callable[[list[str]], str | None] | None = None
    # export(module, example_inputs, input_names, output_names, path): a torch module with tensor inputs and
    # outputs, written in this format, its first axis dynamic. The selfcheck's probe and the format × task
    # contract test make their models with it. None: this format cannot be made from torch here.
    export: Callable[[Any, tuple[Any, ...], list[str], list[str], Path], None] | None = None
    gpu_marker: str = ""  # on a GPU worker, the model's log must say this, else it ran on the CPU


@cache
def model_formats() -> tuple[ModelFormat, ...]:
    """Every registered format, in `FORMAT_MODULES` order."""
    return tuple(importlib.import_module(name).FORMAT for name in FORMAT_MODULES)


def format_named(file_name: str) -> ModelFormat | None:
    return next((fmt for fmt in model_formats() if fmt.file_name == file_name), None)


def model_file_names() -> tuple[str, ...]:
    return tuple(fmt.file_name for fmt in model_formats())


def load_model(folder: Path, device: str) -> Any:
    """Load the package's model with the module of its format (imported only when needed)."""
    for name, fmt in zip(FORMAT_MODULES, model_formats()):
        if (Path(folder) / fmt.file_name).is_file():
            model = importlib.import_module(name).load(Path(folder) / fmt.file_name, device)
            model.folder = Path(folder)  # where the adapters find the package's other files
            return model
    raise FileNotFoundError(f"no model file in {folder}")
