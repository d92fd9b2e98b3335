"""Model formats: each module loads one kind of file and calls it with numpy in and numpy out.

A format module provides `load(path, device) -> model`, where the model has `format` (its
name for messages), `runs_on` (the device or execution providers, for the log), `inputs` (a
list of `ModelInput`) and `__call__(*args)`: positional
arguments in the order of `inputs`, numpy arrays (or lists of them, or of strings), and
returns numpy arrays in the structure the model returned (tuples, lists, dicts kept).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

FORMATS = {"model.pt": "workers.runtime.formats.torchscript", "model.onnx": "workers.runtime.formats.onnx"}


def load_model(folder: Path, device: str) -> Any:
    """Load the package's model with the module for its file (imported only when needed)."""
    for file_name, module in FORMATS.items():
        if (Path(folder) / file_name).is_file():
            model = importlib.import_module(module).load(Path(folder) / file_name, device)
            model.folder = Path(folder)  # where the adapters find the package's other files
            return model
    raise FileNotFoundError(f"no model file in {folder}")
