"""The model runtime: one module per model format, one adapter per task type.

    formats/torchscript.py, formats/onnx.py   load a model and call it (numpy in, numpy out)
    adapters/text.py, detection.py, segmentation.py   turn test inputs into calls and outputs
                                                       into the task's submission format
    package.py    (outside the sandbox) what an upload is, laid out as a folder for the sandbox
    manifest.py   the optional `podium.yaml` a participant ships with a model

The sandboxed runner (`workers/sandbox/`) knows none of this: it runs
`workers.inference_child`, which picks a format by the package's file and an
adapter by the task. A new format or task is one file and one registry line.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[int, int], None]


class ModelFailure(Exception):
    """The participant's model (or its package) is at fault: shown to the team with its code.

    The model codes are defined here, once; the worker, the child and the platform import them.
    """

    ERROR = "model-error"
    MEMORY = "model-memory"
    TIMEOUT = "model-timeout"
    UNSUPPORTED = "unsupported-model-format"  # refused before it ran
    # What the sandboxed child may report; a code outside these from the child is a platform fault.
    CHILD_CODES = (ERROR, MEMORY, TIMEOUT)
    CODES = (*CHILD_CODES, UNSUPPORTED)  # every model code: the team's own failure, counted against its limit

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class ModelInput:
    """One input a model declares: its name, its kind and, where the format says, its shape.

    kind: "tensor", "tensors" (a list of tensors), "texts" (a list of strings);
    shape: one entry per axis, None where the axis is dynamic; None when unknown.
    """

    name: str
    kind: str = "tensor"
    shape: tuple[int | None, ...] | None = None
    dtype: str = "float32"


@dataclass(frozen=True)
class RunOptions:
    """What an adapter needs besides the model: the competition's settings and the manifest's."""

    batch_size: int = 16
    classes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: Any) -> Any:
        """The manifest's value, else the competition's, else `default`."""
        if name in self.manifest:
            return self.manifest[name]
        return self.settings.get(name, default)


def first_line(text: str, limit: int = 300) -> str:
    """The first line that says something, for a load error (the rest is usually a code excerpt)."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return (lines[0] if lines else str(text))[:limit]


def last_line(text: str, limit: int = 300) -> str:
    """The last line that says something, for a runtime error (TorchScript's traceback ends with it)."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else str(text))[:limit]


MODEL_ERROR, MODEL_MEMORY = ModelFailure.ERROR, ModelFailure.MEMORY  # the names the adapters and formats use
