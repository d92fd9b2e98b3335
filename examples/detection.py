"""A shape finder: bright pixels, connected components, and a class from how full each box is.

    python examples/detection.py --slug shape-spotter

Contract (SPEC section 3): forward(images: List[Tensor[3, H, W]]) ->
List[Dict[str, Tensor]] with boxes [K, 4] (x1, y1, x2, y2), scores [K], labels [K].
Images of one size are processed as one batch; components are found by
propagating the largest label through 3×3 max-pooling until nothing changes.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List

import torch


class ShapeFinder(torch.nn.Module):
    def __init__(self, brightness: float = 0.5, min_pixels: int = 12) -> None:
        super().__init__()
        self.brightness = brightness
        self.min_pixels = min_pixels

    def components(self, batch: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] -> [N, H, W] component labels (0 = background)."""
        mask = (batch.min(dim=1).values > self.brightness).float().unsqueeze(1)
        n, _, h, w = mask.shape
        labels = torch.arange(1, h * w + 1, dtype=torch.float32, device=batch.device).reshape(1, 1, h, w).expand(n, 1, h, w) * mask
        for _ in range(h + w):
            grown = torch.nn.functional.max_pool2d(labels, 3, stride=1, padding=1) * mask
            if torch.equal(grown, labels):
                break
            labels = grown
        return labels[:, 0]

    def describe(self, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        circle, square, triangle = 1, 2, 3  # the competition's category ids
        boxes: List[torch.Tensor] = []
        scores: List[float] = []
        classes: List[int] = []
        for value in torch.unique(labels):
            if value.item() == 0:
                continue
            where = torch.nonzero(labels == value)
            ys, xs = where[:, 0], where[:, 1]
            if ys.numel() < self.min_pixels:
                continue
            x1, y1 = xs.min().float(), ys.min().float()
            x2, y2 = xs.max().float() + 1, ys.max().float() + 1
            fill = ys.numel() / float(((x2 - x1) * (y2 - y1)).item())
            classes.append(square if fill > 0.9 else circle if fill > 0.65 else triangle)
            scores.append(min(1.0, 0.5 + abs(fill - 0.75)))
            boxes.append(torch.stack([x1, y1, x2, y2]))
        if len(boxes) == 0:
            return {"boxes": torch.zeros(0, 4), "scores": torch.zeros(0), "labels": torch.zeros(0, dtype=torch.long)}
        return {"boxes": torch.stack(boxes), "scores": torch.tensor(scores), "labels": torch.tensor(classes)}

    def forward(self, images: List[torch.Tensor]) -> List[Dict[str, torch.Tensor]]:
        results: List[Dict[str, torch.Tensor]] = [{} for _ in range(len(images))]
        sizes: Dict[str, List[int]] = {}
        for index, image in enumerate(images):
            key = str(image.shape[1]) + "x" + str(image.shape[2])
            if key not in sizes:
                sizes[key] = torch.jit.annotate(List[int], [])
            sizes[key].append(index)
        for indices in sizes.values():
            labels = self.components(torch.stack([images[i] for i in indices]))
            for slot, index in enumerate(indices):
                results[index] = self.describe(labels[slot])
        return results


def build(data: Path, competition: dict) -> torch.jit.ScriptModule:
    return torch.jit.script(ShapeFinder().eval())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _submit import run

    sys.exit(run(__doc__.splitlines()[0], "shape-spotter", build))
