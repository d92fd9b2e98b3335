"""TorchScript models (`torch.jit.save`), loaded with `torch.jit.load`.

The inputs come from `forward`'s schema: `List[str]` (texts), `List[Tensor]` (images of any
size) or `Tensor` (a batch). Operators from torchvision (`torchvision::nms`, `roi_align`: every
torchvision detector) load where the worker has torchvision; elsewhere the message says to
export to ONNX, which needs none.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workers.runtime import MODEL_ERROR, MODEL_MEMORY, ModelFailure, ModelInput, first_line, last_line

KINDS = {"List[str]": "texts", "List[Tensor]": "tensors", "Tensor": "tensor"}
MISSING_OPERATOR = re.compile(r"Unknown (?:builtin op|type name)[^:]*?:?\s*'?(\w+)::(\w+)")
LIBRARIES = {"torchvision": "torchvision", "torchaudio": "torchaudio", "detectron2": "detectron2"}


class TorchScriptModel:
    format = "TorchScript"

    def __init__(self, module: torch.jit.ScriptModule, device: torch.device) -> None:
        self.module, self.device = module, device
        arguments = module.forward.schema.arguments[1:]  # the first is self
        self.inputs = [ModelInput(a.name, KINDS.get(str(a.type), "tensor"), dtype=str(a.type)) for a in arguments]
        self.runs_on = f"{device} (torch {torch.__version__})"

    def __call__(self, *args: Any) -> Any:
        values = [_to_torch(arg, self.device) for arg in args]
        try:
            with torch.inference_mode():
                return _to_numpy(self.module(*values))
        except RuntimeError as exc:
            raise _runtime_failure(str(exc)) from None
        except MemoryError:
            raise ModelFailure(MODEL_MEMORY, "The model ran out of memory.") from None


def load(path: Path, device: str) -> TorchScriptModel:
    target = torch.device(device)
    try:
        module = _jit_load(path, target)
    except ModelFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - any load failure is the participant's file
        raise ModelFailure(MODEL_ERROR, f"The model could not be loaded with torch.jit.load: {first_line(str(exc))}") from None
    module.eval()
    return TorchScriptModel(module, target)


def _jit_load(path: Path, device: torch.device) -> torch.jit.ScriptModule:
    try:
        return torch.jit.load(str(path), map_location=device)
    except RuntimeError as exc:
        missing = MISSING_OPERATOR.search(str(exc))
        if not missing:
            raise
        library = missing.group(1)
        if library in LIBRARIES and importlib.util.find_spec(LIBRARIES[library]) is not None:
            importlib.import_module(LIBRARIES[library])  # registers its operators, then load again
            return torch.jit.load(str(path), map_location=device)
        needs = LIBRARIES.get(library, library)
        raise ModelFailure(MODEL_ERROR, (
            f"The model uses the operator {missing.group(1)}::{missing.group(2)} from {needs}, which this worker "
            f"does not have. Export the model to ONNX (torch.onnx.export), which runs without {needs}.")) from None


def _runtime_failure(text: str) -> ModelFailure:
    if "out of memory" in text or "can't allocate memory" in text or ("allocate" in text and "bytes" in text):
        return ModelFailure(MODEL_MEMORY, f"The model ran out of memory: {last_line(text)}")
    return ModelFailure(MODEL_ERROR, f"The model raised an error: {last_line(text)}")


def _to_torch(value: Any, device: torch.device) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value).to(device)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [torch.from_numpy(item).to(device) for item in value]
    return value


def _to_numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(item) for item in value)
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    return value
