"""The inference worker's own settings, from its environment, checked when it starts.

A bad value here would fail every model it runs, and be charged to the participants as `model-error`; so an
inference worker refuses to start with a message that names the variable and the value (workers/gate.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass


class InferenceSettingsError(ValueError):
    """A setting the worker cannot run models with: the message names it and its value."""


@dataclass(frozen=True)
class InferenceSettings:
    cuda_device: int  # PODIUM_CUDA_DEVICE: the GPU this worker runs models on
    gpu_memory_fraction: float  # PODIUM_GPU_MEMORY_FRACTION: of that GPU's memory, a model's share
    model_threads: int  # PODIUM_MODEL_THREADS: CPU threads a model may use
    force_cpu: bool  # PODIUM_FORCE_CPU: run on the CPU even where a GPU is present


def inference_settings() -> InferenceSettings:
    return InferenceSettings(
        cuda_device=_integer("PODIUM_CUDA_DEVICE", "0", minimum=0, what="a GPU index (0, 1, …)"),
        gpu_memory_fraction=_fraction("PODIUM_GPU_MEMORY_FRACTION", "0.9"),
        model_threads=_integer("PODIUM_MODEL_THREADS", str(os.cpu_count() or 1), minimum=1,
                               what="a number of threads (1 or more)"),
        force_cpu=_flag("PODIUM_FORCE_CPU"),
    )


def _integer(name: str, default: str, *, minimum: int, what: str) -> int:
    value = os.environ.get(name, default).strip()
    if not value.isdigit() or int(value) < minimum:
        raise InferenceSettingsError(f"{name} must be {what}, not {value[:40]!r}")
    return int(value)


def _fraction(name: str, default: str) -> float:
    value = os.environ.get(name, default).strip()
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number <= 1:
        raise InferenceSettingsError(f"{name} must be a fraction above 0 and at most 1 (0.9: 90%), not {value[:40]!r}")
    return number


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value not in ("", "0", "1", "true", "false", "yes", "no"):
        raise InferenceSettingsError(f"{name} must be 1 or 0 (true or false), not {value[:40]!r}")
    return value in ("1", "true", "yes")
