"""ONNX models, run with onnxruntime (CPU; CUDA where the worker has a GPU and onnxruntime-gpu).

Before a session is built the file is read with `onnx` (protobuf only: nothing in an ONNX file
is code) and refused when it needs what Podium does not load: operators from a custom domain
(a custom-op library) or weights in an external file that is not in the submission.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from workers.runtime import MODEL_ERROR, MODEL_MEMORY, ModelFailure, ModelInput, first_line
from workers.runtime.formats import ModelFormat

# The standard operator sets, and onnxruntime's own contrib operators (built in, used by its
# transformer optimizations): anything else needs a custom-op library.
STANDARD_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "com.microsoft", "ai.onnx.preview.training"}
DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
          "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_, "tensor(uint8)": np.uint8}


def export(module: Any, example: tuple[Any, ...], input_names: list[str], output_names: list[str], path: Path) -> None:
    """torch.onnx.export (opset 17, the TorchScript-based exporter), every input's and output's first axis dynamic."""
    import warnings

    import torch

    axes = {name: {0: "n"} for name in (*input_names, *output_names)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), example, str(path), input_names=input_names, output_names=output_names,
                          dynamic_axes=axes, dynamo=False, opset_version=17)


FORMAT = ModelFormat(
    key="onnx", name="ONNX", file_name="model.onnx", how="an ONNX file (torch.onnx.export)",
    label="<strong>ONNX</strong> (<code>torch.onnx.export</code>, skl2onnx, onnxmltools or any exporter), run with "
          "onnxruntime; the standard <code>ai.onnx.ml</code> operators (tree ensembles) included",
    magic=lambda head: head[:1] == b"\x08",  # a ModelProto's first field, ir_version
    export=export,
    gpu_marker="running on CUDAExecutionProvider",
)


class OnnxModel:
    format = "ONNX"

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = [ModelInput(i.name, "tensor", _shape(i.shape), i.type) for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]
        self.runs_on = ", ".join(session.get_providers())  # the first one runs what it can

    def __call__(self, *args: Any) -> list[np.ndarray]:
        feeds = {spec.name: _as_dtype(value, spec.dtype) for spec, value in zip(self.inputs, args)}
        try:
            return self.session.run(None, feeds)
        except MemoryError:
            raise ModelFailure(MODEL_MEMORY, "The model ran out of memory.") from None
        except Exception as exc:  # noqa: BLE001 - onnxruntime's errors are the participant's model
            text = str(exc)
            code = MODEL_MEMORY if "Failed to allocate" in text or "out of memory" in text else MODEL_ERROR
            raise ModelFailure(code, f"onnxruntime failed running the model: {_one_line(_strip_prefix(text))}") from None


def load(path: Path, device: str) -> OnnxModel:
    check_model(path)
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    providers: list[str | tuple[str, dict[str, int]]] = ["CPUExecutionProvider"]
    if device.startswith("cuda") and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        providers.insert(0, ("CUDAExecutionProvider", {"device_id": int(device.partition(":")[2] or 0)}))
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:  # noqa: BLE001 - any load failure is the participant's file
        raise ModelFailure(MODEL_ERROR, f"onnxruntime could not load the model: {first_line(_strip_prefix(str(exc)))}") from None
    return OnnxModel(session)


def check_model(path: Path) -> None:
    """Refuse custom-op domains and external data that the submission does not hold."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - a damaged protobuf
        raise ModelFailure(MODEL_ERROR, f"The file is not a valid ONNX model: {first_line(str(exc))}") from None
    defined = {function.domain for function in model.functions}
    custom = sorted({o.domain for o in model.opset_import} - STANDARD_DOMAINS - defined)
    custom += sorted({node.domain for graph in _graphs(model.graph) for node in graph.node}
                     - STANDARD_DOMAINS - defined - set(custom))
    if custom:
        raise ModelFailure(MODEL_ERROR, (
            f"The model uses operators from the custom domain {custom[0][:60]!r}, which need a custom-op library; "
            "Podium runs standard ONNX operators only. Export without custom operators."))
    for tensor in _external_tensors(model):
        location = next((entry.value for entry in tensor.external_data if entry.key == "location"), "")
        if not _inside_package(path.parent, location):
            raise ModelFailure(MODEL_ERROR, (
                f"The model keeps weights in an external file {location[:60]!r} that the submission does not hold. "
                "Submit a zip holding model.onnx and its data files side by side, or save the model as one file."))


def _graphs(graph: Any) -> Iterator[Any]:
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.g.ByteSize():
                yield from _graphs(attribute.g)
            for sub in attribute.graphs:
                yield from _graphs(sub)


def _external_tensors(model: Any) -> Iterator[Any]:
    from onnx import TensorProto

    for graph in _graphs(model.graph):
        tensors = list(graph.initializer) + [a.t for n in graph.node for a in n.attribute if a.t.ByteSize()]
        for tensor in tensors:
            if tensor.data_location == TensorProto.EXTERNAL:
                yield tensor


def _inside_package(folder: Path, location: str) -> bool:
    if not location or "/" in location or "\\" in location or location.startswith("."):
        return False
    return (folder / location).is_file()


def _shape(shape: list[Any]) -> tuple[int | None, ...]:
    return tuple(dim if isinstance(dim, int) and dim > 0 else None for dim in shape)


def _as_dtype(value: Any, onnx_type: str) -> Any:
    dtype = DTYPES.get(onnx_type)
    if isinstance(value, np.ndarray) and dtype is not None and value.dtype != dtype:
        return value.astype(dtype)
    return value


def _one_line(text: str, limit: int = 300) -> str:
    """onnxruntime spreads one message over lines (what is wrong, then the indices, then advice)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:limit]


def _strip_prefix(text: str) -> str:
    # onnxruntime prefixes "[ONNXRuntimeError] : 1 : FAIL : " to every message.
    return text.split(" : ", 3)[-1] if text.startswith("[ONNXRuntimeError]") else text
