"""`podium.yaml`: how a model wants its inputs prepared and its outputs read.

Every key is optional; an unknown key, a wrong type or a value out of range is
refused with a message that names the key and what it accepts. The file is
small data from a participant: read with a size cap and `yaml.safe_load`,
validated here, and handed to the sandboxed runner as plain JSON.

    input_size: 640            # or [height, width]: the size the model takes
    resize: letterbox          # letterbox | stretch (how an image is fitted to input_size)
    mean: [0.485, 0.456, 0.406]  # normalisation of [0, 1] RGB: (x - mean) / std
    std: [0.229, 0.224, 0.225]
    max_length: 128            # text: tokens per text, at most the competition's maximum
    output: yolo               # detection: boxes | yolo | yolo-nms (default: from the model's shapes);
                               # tabular classification: probabilities (default) | logits
    confidence: 0.001          # detection: drop boxes scoring lower
    iou: 0.7                   # detection: class-wise NMS overlap threshold
    max_detections: 100        # detection: boxes kept per image
"""
from __future__ import annotations

from typing import Any

import yaml

MANIFEST_NAME = "podium.yaml"
MAX_MANIFEST_BYTES = 16 * 1024
RESIZE_MODES = ("letterbox", "stretch")
OUTPUT_LAYOUTS = ("boxes", "yolo", "yolo-nms", "probabilities", "logits")


class ManifestError(ValueError):
    pass


def _size(value: Any) -> list[int]:
    sizes = [value, value] if isinstance(value, int) else value
    if (not isinstance(sizes, list) or len(sizes) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 8 <= v <= 4096 for v in sizes)):
        raise ManifestError("input_size must be a whole number or [height, width], each between 8 and 4096")
    return sizes


def _triple(name: str, positive: bool) -> Any:
    def check(value: Any) -> list[float]:
        if (not isinstance(value, list) or len(value) != 3
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                or not all(-10 <= v <= 10 for v in value) or (positive and not all(v > 0 for v in value))):
            rule = "three positive numbers" if positive else "three numbers between -10 and 10"
            raise ManifestError(f"{name} must be {rule} (one per RGB channel, for pixels in [0, 1])")
        return [float(v) for v in value]
    return check


def _choice(name: str, options: tuple[str, ...]) -> Any:
    def check(value: Any) -> str:
        if value not in options:
            raise ManifestError(f"{name} must be one of {', '.join(options)}")
        return str(value)
    return check


def _number(name: str, low: float, high: float, whole: bool = False) -> Any:
    def check(value: Any) -> float | int:
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "a whole number" if whole else "a number"
            raise ManifestError(f"{name} must be {kind} from {low:g} to {high:g}")
        return int(value) if whole else float(value)
    return check


KEYS = {
    "input_size": _size,
    "resize": _choice("resize", RESIZE_MODES),
    "mean": _triple("mean", positive=False),
    "std": _triple("std", positive=True),
    "max_length": _number("max_length", 1, 8192, whole=True),
    "output": _choice("output", OUTPUT_LAYOUTS),
    "confidence": _number("confidence", 0, 1),
    "iou": _number("iou", 0, 1),
    "max_detections": _number("max_detections", 1, 1000, whole=True),
}


def parse_manifest(data: bytes) -> dict[str, Any]:
    """The validated manifest, or ManifestError saying what is wrong (quoting at most a few words)."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"podium.yaml is {len(data)} bytes; it may have at most {MAX_MANIFEST_BYTES}")
    try:
        value = yaml.safe_load(data.decode("utf-8")) if data.strip() else {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ManifestError(f"podium.yaml is not valid YAML{line}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ManifestError("podium.yaml must be a mapping of keys to values, like `input_size: 640`")
    unknown = sorted(str(key)[:40] for key in value if key not in KEYS)
    if unknown:
        raise ManifestError(f"podium.yaml has unknown keys {', '.join(unknown[:5])}; the keys are {', '.join(KEYS)}")
    manifest = {key: KEYS[key](item) for key, item in value.items()}
    if ("mean" in manifest) != ("std" in manifest):
        raise ManifestError("podium.yaml gives mean without std (or std without mean): give both")
    return manifest
