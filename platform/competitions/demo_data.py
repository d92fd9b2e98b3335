"""Synthetic but meaningful competition bundles, for the demo and the tests.

Pure Python, numpy and Pillow: no Django. Each `*_bundle` function writes a folder
in the bundle layout (SPEC section 4): headlines whose topic is learnable from their
words, shapes on noise, blobs in grain, plus a few baseline prediction files.
"""
from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

if TYPE_CHECKING:  # Pillow is imported where images are drawn
    from PIL import Image

TOPICS: dict[str, list[str]] = {
    "sports": ["match", "goal", "coach", "league", "striker", "season", "stadium", "referee", "tournament", "score"],
    "technology": ["software", "chip", "laptop", "startup", "algorithm", "cloud", "battery", "robot", "network", "update"],
    "food": ["recipe", "kitchen", "flavor", "chef", "dessert", "spice", "bakery", "noodles", "harvest", "menu"],
    "travel": ["flight", "hotel", "beach", "passport", "museum", "island", "luggage", "itinerary", "train", "tourist"],
}
FILLER = ["the", "a", "new", "local", "big", "quiet", "today", "after", "really", "every", "our", "their", "this"]
TEMPLATES = [
    "{a} {f} {b} was all anyone talked about near the {c}",
    "why the {a} and the {b} matter more than the {c}",
    "{f} {a} meets {b}: what it means for the {c}",
    "notes on a {a}, a {b} and one {c}",
    "is the {a} {f} enough to save the {c}",
]


@dataclass(frozen=True)
class Bundle:
    path: Path
    baselines: dict[str, Path]  # team name -> predictions file


def _sentence(rng: np.random.Generator, topic: str, noise: float) -> str:
    words = []
    for _ in range(3):
        # Some words come from another topic, so the task is not trivially separable.
        source = topic if rng.random() > noise else rng.choice(list(TOPICS))
        words.append(rng.choice(TOPICS[source]))
    template = rng.choice(TEMPLATES)
    return template.format(a=words[0], b=words[1], c=words[2], f=rng.choice(FILLER))


def text_classification_bundle(
    folder: Path, *, slug: str = "topic-detective", n_train: int = 2000, n_test: int = 1000, seed: int = 7
) -> Bundle:
    rng = np.random.default_rng(seed)
    classes = sorted(TOPICS)
    folder = Path(folder)
    public = folder / "public"
    public.mkdir(parents=True, exist_ok=True)
    train_labels = rng.choice(classes, size=n_train)
    test_labels = rng.choice(classes, size=n_test)
    train_text = [_sentence(rng, str(label), noise=0.25) for label in train_labels]
    test_text = [_sentence(rng, str(label), noise=0.25) for label in test_labels]
    test_ids = [f"t{index:05d}" for index in range(n_test)]
    usage = np.where(rng.random(n_test) < 0.4, "Public", "Private")
    _write(public / "train.csv", ["id", "text", "label"],
           [(f"r{i:05d}", text, label) for i, (text, label) in enumerate(zip(train_text, train_labels))])
    _write(public / "test.csv", ["id", "text"], list(zip(test_ids, test_text)))
    _write(folder / "truth.csv", ["id", "label", "Usage"], list(zip(test_ids, test_labels, usage)))
    _write(public / "sample_submission.csv", ["id", "label"], [(i, classes[0]) for i in test_ids])
    _write_meta(
        folder, slug=slug, title="Topic Detective", task="text-classification", classes=classes,
        subtitle="Tell sports from technology, food and travel in short headlines",
        overview=("## Which topic is this headline about?\n\n"
                  f"Each row of `test.csv` is a short headline about one of {len(classes)} topics: "
                  f"{', '.join(classes)}. Headlines borrow words from other topics now and then, so a keyword list "
                  "only gets you so far.\n\n`train.csv` has labelled examples. Predict a label for every id of `test.csv`."),
    )
    return Bundle(path=folder, baselines=_text_baselines(folder, rng, test_ids, test_text, classes))


def _text_baselines(
    folder: Path, rng: np.random.Generator, ids: list[str], texts: list[str], classes: list[str]
) -> dict[str, Path]:
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    vocabulary = {word: topic for topic, words in TOPICS.items() for word in words}

    def keyword_vote(text: str) -> str:
        votes = [vocabulary[w] for w in text.split() if w in vocabulary]
        # Sorted first: ties break the same way in every process (set order depends on the hash seed).
        return max(sorted(set(votes)), key=votes.count) if votes else classes[0]

    predictions = {
        "Keyword Voters": [keyword_vote(text) for text in texts],
        "First Word Wins": [next((vocabulary[w] for w in t.split() if w in vocabulary), classes[0]) for t in texts],
        "Coin Flippers": [str(rng.choice(classes)) for _ in texts],
    }
    files = {}
    for team, labels in predictions.items():
        path = baselines / f"{team.lower().replace(' ', '_')}.csv"
        _write(path, ["id", "label"], list(zip(ids, labels)))
        files[team] = path
    return files


def _write(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --- detection: shapes on noise -------------------------------------------------

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
        images, annotations = [], []
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
    _write_meta(folder, slug=slug, title="Shape Spotter", task="detection",
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


# --- segmentation: blobs ----------------------------------------------------------


def segmentation_bundle(folder: Path, *, slug: str = "blob-tracer", n_train: int = 40, n_test: int = 40, seed: int = 5) -> Bundle:
    from PIL import Image
    from scipy.ndimage import uniform_filter

    from scoring.formats.rle import rle_encode
    from scoring.synthetic import blob_mask

    rng = np.random.default_rng(seed)
    folder = Path(folder)
    public = folder / "public"
    size = 96
    rows: dict[str, list[tuple[object, ...]]] = {"train": [], "test": []}
    masks: dict[str, np.ndarray] = {}
    images: dict[str, np.ndarray] = {}
    for split, count in (("train", n_train), ("test", n_test)):
        image_dir = public / ("images" if split == "test" else "train_images")
        image_dir.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            mask = blob_mask(rng, size, size, int(rng.integers(0, 3)))
            pixels = rng.normal(90, 30, (size, size)) + mask * 70
            pixels = np.clip(pixels, 0, 255).astype(np.uint8)
            image_id = f"{split}_{index:04d}"
            Image.fromarray(np.stack([pixels] * 3, axis=-1), "RGB").save(image_dir / f"{image_id}.png")
            usage = "Public" if index % 2 == 0 else "Private"
            rows[split].append((image_id, rle_encode(mask), size, size, usage))
            masks[image_id], images[image_id] = mask, pixels
    _write(public / "train.csv", ["id", "image", "height", "width", "rle"],
           [(i, f"train_images/{i}.png", h, w, rle) for i, rle, h, w, _ in rows["train"]])
    _write(public / "test.csv", ["id", "image", "height", "width"],
           [(i, f"images/{i}.png", h, w) for i, _, h, w, _ in rows["test"]])
    _write(folder / "truth.csv", ["id", "rle", "height", "width", "Usage"], rows["test"])
    _write(public / "sample_submission.csv", ["id", "rle"], [(i, "") for i, *_ in rows["test"]])
    _write_meta(folder, slug=slug, title="Blob Tracer", task="segmentation",
                subtitle="Outline the bright blobs hiding in grainy images",
                overview=("## Trace every blob\n\nEach test image holds zero to two bright blobs in grain. Submit one "
                          "mask per id of `test.csv`, run-length encoded as on Kaggle (1-indexed, column-major).\n\n"
                          "`train.csv` has the masks of the training images."))
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    test_ids = [row[0] for row in rows["test"]]
    strategies = {
        "Smooth Operators": lambda i: uniform_filter(images[i].astype(float), size=5) > 125,
        "Raw Threshold": lambda i: images[i] > 140,
        "Nothing Here": lambda i: np.zeros_like(masks[i]),
    }
    files = {}
    for team, predict in strategies.items():
        path = baselines / f"{team.lower().replace(' ', '_')}.csv"
        _write(path, ["id", "rle"], [(i, rle_encode(predict(i))) for i in test_ids])
        files[team] = path
    return Bundle(path=folder, baselines=files)


def _write_meta(folder: Path, *, slug: str, title: str, task: str, subtitle: str, overview: str, **extra: object) -> None:
    (folder / "competition.yaml").write_text(yaml.safe_dump({
        "slug": slug, "title": title, "subtitle": subtitle, "task": task,
        "daily_submission_limit": 10, "submission_kinds": ["predictions", "model"], "published": True, **extra,
    }, sort_keys=False))
    (folder / "overview.md").write_text(overview)
    (folder / "rules.md").write_text(
        "1. One account per person.\n2. No hand-labelling of the test set.\n"
        "3. Up to 10 submissions a day; select up to 2 for the final ranking."
    )


def all_bundles(folder: Path) -> list[Bundle]:
    """The three demo competitions, one per task type."""
    folder = Path(folder)
    return [
        text_classification_bundle(folder / "topic-detective"),
        detection_bundle(folder / "shape-spotter"),
        segmentation_bundle(folder / "blob-tracer"),
    ]


EXAMPLE_SIZES = {
    "text-classification": (text_classification_bundle, {"n_train": 40, "n_test": 60}),
    "detection": (detection_bundle, {"n_train": 4, "n_test": 8}),
    "segmentation": (segmentation_bundle, {"n_train": 4, "n_test": 8}),
}


def example_bundle_zip(task: str, target: Path) -> Path:
    """A small, valid bundle of this task type as a .zip (a draft: `published` is left out), for organizers to copy."""
    import zipfile

    make, sizes = EXAMPLE_SIZES[task]
    with tempfile.TemporaryDirectory() as tmp:
        bundle = make(Path(tmp) / f"example-{task}", slug=f"example-{task}", **sizes)
        meta_path = bundle.path / "competition.yaml"
        meta = yaml.safe_load(meta_path.read_text())
        meta.pop("published", None)
        meta_path.write_text(yaml.safe_dump(meta, sort_keys=False))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(bundle.path.rglob("*")):
                if path.is_file() and "baselines" not in path.relative_to(bundle.path).parts:
                    archive.write(path, Path(bundle.path.name) / path.relative_to(bundle.path))
    return target
