"""A small one-stage detector with a YOLO head, trained with plain torch and exported to ONNX.

    podium config --host http://127.0.0.1:8000 --username alice
    python examples/yolo_onnx.py --slug shape-spotter

The model takes a fixed-size batch `[N, 3, 128, 128]` and returns Ultralytics' raw layout
`[N, 4 + C, A]`: per anchor (one per 8×8 cell) the box's centre-x, centre-y, width and height in
input pixels, then C class scores in [0, 1], classes in the order of test.json's `categories`.
That is what `YOLO(...).export(format="onnx")` writes, so an Ultralytics model goes in the same
way. Podium letterboxes each image to 128, decodes, runs class-wise NMS and maps the boxes back.
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SIZE, STRIDE = 128, 8
STEPS = 600


def block(inputs: int, outputs: int, stride: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), torch.nn.BatchNorm2d(outputs),
                               torch.nn.SiLU())


class TinyYolo(torch.nn.Module):
    def __init__(self, classes: int) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(block(3, 16, 2), block(16, 32, 2), block(32, 64, 2), block(64, 64, 1), block(64, 64, 1))
        self.head = torch.nn.Conv2d(64, 4 + classes, 1)

    def raw(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))  # [N, 4 + C, H/8, W/8]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.raw(images)
        n, _, rows, cols = out.shape
        gy = torch.arange(rows, dtype=torch.float32).view(1, rows, 1).expand(n, rows, cols)
        gx = torch.arange(cols, dtype=torch.float32).view(1, 1, cols).expand(n, rows, cols)
        cx = (gx + 0.5 + torch.tanh(out[:, 0])) * STRIDE
        cy = (gy + 0.5 + torch.tanh(out[:, 1])) * STRIDE
        w, h = torch.exp(out[:, 2].clamp(-4, 4)) * 32, torch.exp(out[:, 3].clamp(-4, 4)) * 32
        boxes = torch.stack([cx, cy, w, h], dim=1)
        return torch.cat([boxes, torch.sigmoid(out[:, 4:])], dim=1).reshape(n, out.shape[1], rows * cols)


def load(data: Path) -> tuple[torch.Tensor, list[list[tuple[int, list[float]]]], list[int]]:
    train = json.loads((data / "train.json").read_text())
    categories = [c["id"] for c in train["categories"]]
    objects: dict[int, list] = {image["id"]: [] for image in train["images"]}
    for a in train["annotations"]:
        objects[a["image_id"]].append((categories.index(a["category_id"]), a["bbox"]))
    pixels = [np.asarray(Image.open(data / "train_images" / i["file_name"]).convert("RGB").resize((SIZE, SIZE)), np.float32) / 255
              for i in train["images"]]
    return torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2), [objects[i["id"]] for i in train["images"]], categories


def targets(objects: list[tuple[int, list[float]]], classes: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each cell within a cell of an object's centre is assigned that object: class target, box target, mask."""
    cells = SIZE // STRIDE
    cls, box, mask = torch.zeros(classes, cells, cells), torch.zeros(4, cells, cells), torch.zeros(cells, cells)
    for category, (x, y, w, h) in objects:
        col, row = int((x + w / 2) // STRIDE), int((y + h / 2) // STRIDE)
        for r in range(max(0, row - 1), min(cells, row + 2)):
            for c in range(max(0, col - 1), min(cells, col + 2)):
                cls[category, r, c], mask[r, c] = 1.0, 1.0
                box[:, r, c] = torch.tensor([x + w / 2, y + h / 2, w, h])
    return cls, box, mask


def train(data: Path, steps: int = STEPS) -> tuple[TinyYolo, list[int]]:
    images, objects, categories = load(data)
    labelled = [targets(o, len(categories)) for o in objects]
    cls, box, mask = (torch.stack([t[k] for t in labelled]) for k in range(3))
    torch.manual_seed(0)
    model = TinyYolo(len(categories))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(steps):
        pick = torch.randint(0, len(images), (16,))
        predicted = model(images[pick]).reshape(16, 4 + len(categories), SIZE // STRIDE, SIZE // STRIDE)
        scores = predicted[:, 4:].clamp(1e-6, 1 - 1e-6)
        class_loss = torch.nn.functional.binary_cross_entropy(scores, cls[pick])
        box_loss = ((predicted[:, :4] - box[pick]).abs().sum(1) * mask[pick]).sum() / mask[pick].sum().clamp(min=1) / SIZE
        loss = class_loss * 20 + box_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 200 == 199:
            print(f"step {step + 1}: loss {loss.item():.3f}")
    return model.eval(), categories


def package(data: Path, competition: dict, folder: Path, steps: int | None = None) -> Path:
    model, _ = train(data, steps=steps or STEPS)
    path = folder / "yolo.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), str(path), input_names=["images"], output_names=["output0"],
                          dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}}, opset_version=17, dynamo=False)
    return path


if __name__ == "__main__":
    from examples._submit import run_package

    sys.exit(run_package("Train a small YOLO-layout detector, export it to ONNX and submit it.", "shape-spotter", package, "yolo.onnx"))
