"""A small U-Net, trained with plain torch and exported to ONNX at a fixed input size.

    podium config --host http://127.0.0.1:8000 --username alice
    python examples/unet_onnx.py --slug blob-tracer

The model takes `[N, 3, 64, 64]` images normalised with ImageNet's mean and std (declared in
`podium.yaml`, so Podium normalises) and returns `[N, 1, 64, 64]` logits. The competition's
images are 96×96: Podium resizes them to the model's size and its logits back, and the mask
is `logits > 0`. A segmentation-models-pytorch U-Net exports the same way.
"""
from __future__ import annotations

import csv
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SIZE = 64
STEPS = 300
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def double_conv(inputs: int, outputs: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Conv2d(inputs, outputs, 3, padding=1), torch.nn.BatchNorm2d(outputs), torch.nn.ReLU(),
                               torch.nn.Conv2d(outputs, outputs, 3, padding=1), torch.nn.BatchNorm2d(outputs), torch.nn.ReLU())


class UNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down1, self.down2, self.bottom = double_conv(3, 16), double_conv(16, 32), double_conv(32, 64)
        self.up2, self.merge2 = torch.nn.ConvTranspose2d(64, 32, 2, stride=2), double_conv(64, 32)
        self.up1, self.merge1 = torch.nn.ConvTranspose2d(32, 16, 2, stride=2), double_conv(32, 16)
        self.out = torch.nn.Conv2d(16, 1, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        first = self.down1(images)
        second = self.down2(torch.nn.functional.max_pool2d(first, 2))
        bottom = self.bottom(torch.nn.functional.max_pool2d(second, 2))
        second = self.merge2(torch.cat([self.up2(bottom), second], dim=1))
        return self.out(self.merge1(torch.cat([self.up1(second), first], dim=1)))


def rle_decode(rle: str, height: int, width: int) -> np.ndarray:
    flat = np.zeros(height * width, dtype=np.float32)
    numbers = [int(v) for v in rle.split()]
    for start, length in zip(numbers[0::2], numbers[1::2]):
        flat[start - 1:start - 1 + length] = 1
    return flat.reshape(width, height).T  # column-major, as on Kaggle


def load(data: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images, masks = [], []
    mean, std = np.array(MEAN, np.float32), np.array(STD, np.float32)
    for row in csv.DictReader(open(data / "train.csv", newline="", encoding="utf-8")):
        picture = Image.open(data / row["image"]).convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
        images.append((np.asarray(picture, np.float32) / 255 - mean) / std)
        mask = rle_decode(row["rle"], int(row["height"]), int(row["width"]))
        masks.append(np.asarray(Image.fromarray(mask).resize((SIZE, SIZE), Image.BILINEAR)) > 0.5)
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2), torch.from_numpy(np.stack(masks)).float()[:, None]


def train(data: Path, steps: int = STEPS) -> UNet:
    images, masks = load(data)
    torch.manual_seed(0)
    model = UNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(steps):
        pick = torch.randint(0, len(images), (8,))
        batch, target = images[pick], masks[pick]
        if step % 2:
            batch, target = batch.flip(-1), target.flip(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(batch), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 99:
            print(f"step {step + 1}: loss {loss.item():.3f}")
    return model.eval()


def package(data: Path, competition: dict, folder: Path, steps: int | None = None) -> Path:
    onnx_path = folder / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = train(data, steps=steps or STEPS)
        torch.onnx.export(model, (torch.zeros(1, 3, SIZE, SIZE),), str(onnx_path), input_names=["images"], output_names=["logits"],
                          dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=17, dynamo=False)
    upload = folder / "unet.zip"
    with zipfile.ZipFile(upload, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(onnx_path, "model.onnx")
        archive.writestr("podium.yaml", f"input_size: {SIZE}\nmean: {MEAN}\nstd: {STD}\n")
    return upload


if __name__ == "__main__":
    from examples._submit import run_package

    sys.exit(run_package("Train a small U-Net, export it to ONNX and submit it.", "blob-tracer", package, "unet.zip"))
