"""A smooth-then-threshold segmenter for bright blobs: no training, plain torch ops.

    python examples/segmentation.py --slug blob-tracer

Contract (SPEC section 3): forward(images: Tensor[N, 3, H, W]) -> Tensor[N, H, W]
logits; the mask is logits > 0.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch


class SmoothThreshold(torch.nn.Module):
    def __init__(self, threshold: float = 125 / 255, window: int = 5) -> None:
        super().__init__()
        self.threshold = threshold
        self.window = window

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        gray = images.mean(dim=1, keepdim=True)
        smooth = torch.nn.functional.avg_pool2d(gray, self.window, stride=1, padding=self.window // 2,
                                                count_include_pad=False)
        return (smooth - self.threshold)[:, 0]


def build(data: Path, competition: dict) -> torch.jit.ScriptModule:
    return torch.jit.script(SmoothThreshold().eval())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _submit import run

    sys.exit(run(__doc__.splitlines()[0], "blob-tracer", build))
