"""Segmentation: `test.csv` (id, image, height, width[, class]) in, `id,rle` out; the mask is `logits > 0`.

The model takes `[N,3,H,W]` and returns `[N,H,W]` or `[N,1,H,W]` logits. A model with a fixed
input size (the manifest's `input_size`, or an ONNX input's static shape) gets each image resized
to it and its logits resized back to the image's size (bilinear). Where the rows are image–class
pairs (a `class` column), the model returns `[N,C,H,W]` scores, C in the competition's class
order (or, without classes, the sorted class values of test.csv), and each row takes its channel.
Each image goes through the model once, however many rows name it.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from workers.runtime import MODEL_ERROR, ModelFailure, Progress, RunOptions
from workers.runtime.adapters import batch_size, batches
from workers.runtime.adapters.images import fixed_size, open_rgb, to_array


def run(model: Any, inputs: Path, output: Path, options: RunOptions, progress: Progress) -> None:
    from scoring.formats.rle import rle_encode

    with open(inputs / "test.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    channel = _channels(rows, options)
    by_image: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_image[row["image"]].append(row)
    size = fixed_size(model, options.manifest)
    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    for image, image_rows in by_image.items():
        first = image_rows[0]
        groups[size or (int(first["height"]), int(first["width"]))].append(image)
    encoded: dict[str, str] = {}
    for group_size, images in groups.items():
        for batch in batches(images, batch_size(model, options.batch_size)):
            logits = _logits(model, inputs, batch, by_image, group_size, options, len(channel or ()))
            for image, scores in zip(batch, logits):
                for row in by_image[image]:
                    plane = scores[channel[row["class"]] if channel is not None else 0]
                    encoded[row["id"]] = rle_encode(plane > 0)
            progress(len(encoded), len(rows))
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "rle"])
        writer.writerows((row["id"], encoded[row["id"]]) for row in rows)


def _channels(rows: list[dict[str, str]], options: RunOptions) -> dict[str, int] | None:
    if not rows or "class" not in rows[0]:
        return None
    names = list(options.classes) or sorted({row["class"] for row in rows})
    unknown = sorted({row["class"] for row in rows} - set(names))
    if unknown:
        raise ModelFailure(MODEL_ERROR, f"test.csv names class {unknown[0][:40]!r}, which is not among the competition's classes.")
    return {name: index for index, name in enumerate(names)}


def _logits(model: Any, inputs: Path, batch: list[str], by_image: dict[str, list[dict[str, str]]],
            size: tuple[int, int], options: RunOptions, classes: int) -> list[np.ndarray]:
    """Per image, scores [C, H, W] at the image's own size."""
    arrays, originals = [], []
    for image in batch:
        picture = open_rgb(inputs / image)
        originals.append((int(by_image[image][0]["height"]), int(by_image[image][0]["width"])))
        if (picture.height, picture.width) != size:
            picture = picture.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        arrays.append(to_array(picture, options.manifest))
    out = model(np.stack(arrays))
    out = out[0] if isinstance(out, (list, tuple)) else out
    n, (height, width) = len(batch), size
    if isinstance(out, np.ndarray) and out.ndim == 3:
        out = out[:, None]
    if not isinstance(out, np.ndarray) or out.ndim != 4 or out.shape[0] != n or out.shape[2:] != (height, width) \
            or out.shape[1] != max(classes, 1):
        shape = list(out.shape) if isinstance(out, np.ndarray) else type(out).__name__
        raise ModelFailure(MODEL_ERROR, f"The model returned {shape}; expected logits of shape [{n}, {height}, {width}] "
                                        f"(or [N, 1, H, W]; [N, {max(classes, 1)}, H, W] when test.csv has a class column).")
    return [_resize(scores, original) for scores, original in zip(out, originals)]


def _resize(scores: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Each channel resized bilinearly to (height, width), as float: no framework needed."""
    if scores.shape[1:] == size:
        return scores
    height, width = size
    planes = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), mode="F").resize((width, height), Image.Resampling.BILINEAR)
        )
        for plane in scores
    ]
    return np.stack(planes)


PROBE_SIZE = 96


def probe(inputs: Path, classes: list[str]) -> Any:
    """[N, 3, 96, 96] in, bright pixels as [N, 1, 96, 96] logits out; podium.yaml fixes the input size."""
    import torch

    from workers.runtime.adapters import Probe

    class Bright(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            return (images.mean(dim=1, keepdim=True) - 0.5) * 10

    return Probe(
        Bright(),
        (torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE),),
        ["images"],
        ["logits"],
        {"podium.yaml": f"input_size: {PROBE_SIZE}\n".encode()},
    )
