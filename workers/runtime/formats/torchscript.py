"""TorchScript models (`torch.jit.save`), loaded with `torch.jit.load`.

The inputs come from `forward`'s schema: `List[str]` (texts), `List[Tensor]` (images of any
size) or `Tensor` (a batch). Operators from torchvision (`torchvision::nms`, `roi_align`: every
torchvision detector) load where the worker has torchvision; elsewhere the message says to
export to ONNX, which needs none.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path, PurePosixPath
from typing import Any

from typing import TYPE_CHECKING

import numpy as np

from workers.runtime import MODEL_ERROR, MODEL_MEMORY, ModelFailure, ModelInput, first_line, last_line
from workers.runtime.formats import ModelFormat

if TYPE_CHECKING:  # torch is imported where a model loads: declaring the format (the web process does) costs nothing
    import torch

KINDS = {"List[str]": "texts", "List[Tensor]": "tensors", "Tensor": "tensor"}
# torch.export's .pt2 archive: these sit directly in its top folder.
EXPORT_MARKERS = {"archive_format", "archive_version", "models", "serialized_exported_program.json"}


def zip_problem(names: list[str]) -> str | None:
    """None for a TorchScript archive's entries, else what the archive is instead.

    Only the top folder's own entries count: code paths such as
    `code/__torch__/transformers/models/bert/…` say nothing about the format.
    """
    tops = {PurePosixPath(name).parts[1] for name in names if len(PurePosixPath(name).parts) > 1}
    if tops & EXPORT_MARKERS:
        return "The file is a torch.export .pt2 archive, whose loader unpickles; it is not accepted."
    roots = {PurePosixPath(name).parts[0] for name in names if PurePosixPath(name).parts}
    has_code = any(re.match(r"^[^/]+/code/__torch__(/|\.py$)", name) for name in names)
    if len(roots) == 1 and has_code and "constants.pkl" in tops:
        return None
    if "data.pkl" in tops:
        return "The file is a torch.save checkpoint (pickled Python objects), which Podium never loads."
    return "The zip archive holds no TorchScript code and no model.pt or model.onnx."


def export(module: Any, example: tuple[Any, ...], input_names: list[str], output_names: list[str], path: Path) -> None:
    """Traced with the example and saved with torch.jit.save (tracing keeps the first axis dynamic)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(module.eval(), example), str(path))


FORMAT = ModelFormat(
    key="torchscript", name="TorchScript", file_name="model.pt", how="a TorchScript file (torch.jit.save)",
    label="<strong>TorchScript</strong> (<code>torch.jit.script</code> or <code>torch.jit.trace</code>, saved with "
          "<code>torch.jit.save</code>)",
    magic=lambda head: head[:4] in (b"PK\x03\x04", b"PK\x05\x06"),  # a zip: its entries decide
    zip_problem=zip_problem,
    export=export,
)
MISSING_OPERATOR = re.compile(r"Unknown (?:builtin op|type name)[^:]*?:?\s*'?(\w+)::(\w+)")
LIBRARIES = {"torchvision": "torchvision", "torchaudio": "torchaudio", "detectron2": "detectron2"}


class TorchScriptModel:
    format = "TorchScript"

    def __init__(self, module: torch.jit.ScriptModule, device: torch.device) -> None:
        import torch

        self.module, self.device = module, device
        arguments = module.forward.schema.arguments[1:]  # type: ignore[attr-defined]  # a scripted method's schema

        self.inputs = [ModelInput(a.name, KINDS.get(str(a.type), "tensor"), dtype=str(a.type)) for a in arguments]
        self.runs_on = f"{device} (torch {torch.__version__})"

    def __call__(self, *args: Any) -> Any:
        import torch

        values = [_to_torch(arg, self.device) for arg in args]
        try:
            with torch.inference_mode():
                return _to_numpy(self.module(*values))
        except RuntimeError as exc:
            raise _runtime_failure(str(exc)) from None
        except MemoryError:
            raise ModelFailure(MODEL_MEMORY, "The model ran out of memory.") from None


def load(path: Path, device: str) -> TorchScriptModel:
    import torch

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
    import torch

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
    import torch

    if isinstance(value, np.ndarray):
        return torch.from_numpy(value).to(device)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [torch.from_numpy(item).to(device) for item in value]
    return value


def _to_numpy(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(item) for item in value)
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    return value
