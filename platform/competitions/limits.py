"""What a competition may ask of a model run (`model_limits`) and of its scoring program (`scoring_limits`): the
keys, the operator's maxima (settings), and what is wrong with a value, in the words the admin and bundles show."""
from __future__ import annotations

from django.conf import settings

# Read from `model_limits` besides the limits: text length in tokens, detection thresholds
# (validated as the same keys of a model's podium.yaml are).
MODEL_SETTINGS = ("max_length", "confidence", "iou", "max_detections")


MODEL_LIMITS = ("wall_seconds", "cpu_seconds", "memory_mb", "batch_size", "output_mb")


def model_limit_maxima() -> dict[str, int]:
    """The most any competition may ask for: a model must not hold a worker, its memory or its disk without end."""
    return {"wall_seconds": settings.PODIUM_MAX_MODEL_SECONDS, "cpu_seconds": 86_400, "memory_mb": 65_536,
            "batch_size": 1024, "output_mb": 4096}


def model_limits_problem(value: object) -> str | None:
    """What is wrong with a `model_limits` mapping, or None: known keys, whole limits, settings in range."""
    from workers.runtime.manifest import KEYS, ManifestError

    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        return 'Use a mapping such as {"wall_seconds": 600, "confidence": 0.25}.'
    unknown = sorted(str(key)[:40] for key in value if key not in MODEL_LIMITS + MODEL_SETTINGS)
    if unknown:
        return f"Unknown keys {', '.join(unknown[:5])}; the keys are {', '.join(MODEL_LIMITS + MODEL_SETTINGS)}."
    maxima = model_limit_maxima()
    for name in MODEL_LIMITS:
        if name in value and (isinstance(value[name], bool) or not isinstance(value[name], int)
                              or not 1 <= value[name] <= maxima[name]):
            return f"{name} must be a whole number from 1 to {maxima[name]}."
    for name in MODEL_SETTINGS:
        try:
            if name in value:
                KEYS[name](value[name])
        except ManifestError as exc:
            return f"{exc}."
    return None


def scoring_limits_problem(value: object) -> str | None:
    """What is wrong with `scoring_limits` ({"wall_seconds", "memory_mb"}), or None; the operator caps both."""
    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        return 'Use a mapping such as {"wall_seconds": 300, "memory_mb": 4096}.'
    maxima = scoring_limit_maxima()
    unknown = sorted(str(key)[:40] for key in value if key not in maxima)
    if unknown:
        return f"Unknown keys {', '.join(unknown[:5])}; the keys are {', '.join(maxima)}."
    for name, most in maxima.items():
        if name in value and (isinstance(value[name], bool) or not isinstance(value[name], int)
                              or not 1 <= value[name] <= most):
            return f"{name} must be a whole number from 1 to {most}."
    return None


def scoring_limit_maxima() -> dict[str, int]:
    return {"wall_seconds": settings.PODIUM_MAX_SCORING_SECONDS, "memory_mb": settings.PODIUM_MAX_SCORING_MEMORY_MB}
