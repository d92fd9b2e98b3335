"""The detection demo: bright shapes on noisy backgrounds, in COCO format."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scoring.demos import Bundle, write_meta

if TYPE_CHECKING:  # Pillow is imported where images are drawn
    from PIL import Image

SHAPES = ["circle", "square", "triangle"]


def _shape_image(rng: np.random.Generator, size: int, n_shapes: int) -> tuple["Image.Image", list[tuple[int, list[float]]]]:
    from PIL import Image, ImageDraw

    noise = rng.integers(40, 110, (size, size, 3), dtype=np.uint8)
    image = Image.fromarray(noise, "RGB")
    draw = ImageDraw.Draw(image)
    objects = []
    for _ in range(n_shapes):
        category = int(rng.integers(0, len(SHAPES)))
        side = float(rng.uniform(size * 0.12, size * 0.4))
        x, y = float(rng.uniform(0, size - side)), float(rng.uniform(0, size - side))
        color = tuple(int(c) for c in rng.integers(150, 256, 3))
        box = [x, y, x + side, y + side]
        if SHAPES[category] == "circle":
            draw.ellipse(box, fill=color)
        elif SHAPES[category] == "square":
            draw.rectangle(box, fill=color)
        else:
            draw.polygon([(x, y + side), (x + side, y + side), (x + side / 2, y)], fill=color)
        objects.append((category + 1, [round(x, 1), round(y, 1), round(side, 1), round(side, 1)]))
    return image, objects


def detection_bundle(folder: Path, *, slug: str = "shape-spotter", n_train: int = 60, n_test: int = 40, seed: int = 11) -> Bundle:
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    public = folder / "public"
    categories = [{"id": k + 1, "name": name, "supercategory": "shape"} for k, name in enumerate(SHAPES)]
    splits = {}
    for split, count in (("train", n_train), ("test", n_test)):
        image_dir = public / ("images" if split == "test" else "train_images")
        image_dir.mkdir(parents=True, exist_ok=True)
        images: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        for index in range(count):
            image, objects = _shape_image(rng, 128, int(rng.integers(0, 4)))
            name = f"{split}_{index:04d}.png"
            image.save(image_dir / name)
            record = {"id": index + 1, "file_name": name, "width": 128, "height": 128}
            if split == "test":
                record["usage"] = "Public" if index % 2 == 0 else "Private"
            images.append(record)
            for category, bbox in objects:
                annotations.append({"id": len(annotations) + 1, "image_id": index + 1, "category_id": category,
                                    "bbox": bbox, "area": round(bbox[2] * bbox[3], 2), "iscrowd": 0})
        splits[split] = (images, annotations)
    train_images, train_annotations = splits["train"]
    test_images, truth_annotations = splits["test"]
    (public / "train.json").write_text(json.dumps({"images": train_images, "annotations": train_annotations, "categories": categories}))
    (public / "test.json").write_text(json.dumps({"images": [_without_usage(i) for i in test_images], "categories": categories}))
    (folder / "truth.json").write_text(json.dumps({"images": test_images, "annotations": truth_annotations, "categories": categories}))
    (public / "sample_submission.json").write_text(json.dumps(
        [{"image_id": im["id"], "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.1} for im in test_images]))
    write_meta(folder, slug=slug, title="Shape Spotter", task="detection",
                subtitle="Find every circle, square and triangle on noisy backgrounds",
                overview=("## Box every shape\n\nEach test image (`images/`, listed in `test.json`) holds up to three "
                          "bright shapes on a noisy background. Predict boxes in COCO results format.\n\n"
                          "`train.json` has labelled training images in COCO format."))
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    files = {}
    for team, keep, jitter in (("Sharp Eyes", 0.95, 1.0), ("Blurry Boxes", 0.9, 6.0), ("Half Blind", 0.5, 2.0)):
        detections = []
        for ann in truth_annotations:
            if rng.random() < keep:
                box = [max(0.0, v + float(rng.normal(0, jitter))) for v in ann["bbox"]]
                detections.append({"image_id": ann["image_id"], "category_id": ann["category_id"],
                                   "bbox": [round(v, 1) for v in box], "score": round(float(rng.uniform(0.5, 1)), 3)})
        path = baselines / f"{team.lower().replace(' ', '_')}.json"
        path.write_text(json.dumps(detections))
        files[team] = path
    return Bundle(path=folder, baselines=files)


def _without_usage(image: dict) -> dict:
    return {k: v for k, v in image.items() if k != "usage"}
