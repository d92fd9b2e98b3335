"""Images as models take them: float32 RGB, [3, H, W], in [0, 1] unless the manifest gives mean/std."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

LETTERBOX_GREY = (114, 114, 114)  # the padding Ultralytics trains with


def open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def to_array(image: Image.Image, manifest: dict[str, Any] | None = None) -> np.ndarray:
    """[3, H, W] float32; normalised with the manifest's mean/std when it gives them."""
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    array = np.ascontiguousarray(pixels.transpose(2, 0, 1))
    return normalise(array, manifest or {})


def normalise(array: np.ndarray, manifest: dict[str, Any]) -> np.ndarray:
    if "mean" not in manifest:
        return array
    mean = np.asarray(manifest["mean"], dtype=np.float32).reshape(3, 1, 1)
    std = np.asarray(manifest["std"], dtype=np.float32).reshape(3, 1, 1)
    return (array - mean) / std


def load_image(path: Path, manifest: dict[str, Any] | None = None) -> np.ndarray:
    return to_array(open_rgb(path), manifest)


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model's input: scale on each axis, then padding left and top."""

    scale_x: float
    scale_y: float
    left: float
    top: float
    width: int
    height: int

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """x1, y1, x2, y2 in the model's input back to the original image's pixels, clipped."""
        out = boxes.astype(np.float64).copy()
        out[:, [0, 2]] = ((out[:, [0, 2]] - self.left) / self.scale_x).clip(0, self.width)
        out[:, [1, 3]] = ((out[:, [1, 3]] - self.top) / self.scale_y).clip(0, self.height)
        return out


def letterbox(image: Image.Image, size: tuple[int, int], stretch: bool = False) -> tuple[Image.Image, Letterbox]:
    """Fit `image` into `size` (height, width): keep its aspect ratio and pad with grey, or stretch."""
    height, width = size
    if (image.height, image.width) == (height, width):
        return image, Letterbox(1.0, 1.0, 0.0, 0.0, image.width, image.height)
    if stretch:
        placement = Letterbox(width / image.width, height / image.height, 0.0, 0.0, image.width, image.height)
        return image.resize((width, height), Image.Resampling.BILINEAR), placement
    scale = min(height / image.height, width / image.width)
    new_w, new_h = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    canvas = Image.new("RGB", (width, height), LETTERBOX_GREY)
    left, top = (width - new_w) // 2, (height - new_h) // 2
    canvas.paste(image.resize((new_w, new_h), Image.Resampling.BILINEAR), (left, top))
    return canvas, Letterbox(scale, scale, left, top, image.width, image.height)


def fixed_size(model: Any, manifest: dict[str, Any]) -> tuple[int, int] | None:
    """The (height, width) a model takes: the manifest's input_size, else its first input's static shape."""
    if "input_size" in manifest:
        height, width = manifest["input_size"]
        return int(height), int(width)
    shape = model.inputs[0].shape if model.inputs else None
    if shape and len(shape) == 4 and shape[2] and shape[3]:
        return int(shape[2]), int(shape[3])
    return None
