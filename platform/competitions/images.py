"""Image previews: test-image thumbnails, and a submission's predictions drawn on one public image."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from competitions.models import Competition, CompetitionFile, Phase
from core.storage import local_path, stored_name
from scoring import TASKS
from scoring.formats import coco
from scoring.formats.rle import rle_decode
from submissions.models import Submission
from competitions.truth import load_truth

IMAGE_TASKS = tuple(name for name, task in TASKS.items() if task.images)  # as each task type declares
COLORS = ["#ff4d4f", "#36cfc9", "#ffc53d", "#9254de", "#73d13d", "#40a9ff"]


def test_image_files(*, competition: Competition, limit: int = 6) -> list[CompetitionFile]:
    if competition.task not in IMAGE_TASKS:
        return []
    return list(competition.files.filter(name__startswith="images/").order_by("name")[:limit])


def thumbnail_png(item: CompetitionFile, size: int = 160) -> bytes:
    with item.file.open("rb") as stored, Image.open(stored) as opened:
        image = opened.convert("RGB")
        image.thumbnail((size, size))
        return _png(image)


def overlay_png(*, submission: Submission) -> bytes | None:
    """One public test image (the same for every submission, see `_busiest`) with this submission's predictions
    drawn on it; None where there is nothing to draw (no image, or its predictions no longer kept)."""
    competition = submission.competition
    predictions = submission.predictions_file if submission.kind == "model" else submission.file
    draw = {"detection": _detection_overlay, "segmentation": _segmentation_overlay}.get(competition.task)
    if draw is None or not predictions:
        return None
    try:
        with local_path(predictions.storage, stored_name(predictions)) as path:
            return draw(competition, path, submission.phase)
    except FileNotFoundError:  # purged, or lost with its storage: the page shows no picture, not an error
        return None


def _public_file(competition: Competition, name: str) -> io.BytesIO | None:
    """A public file's bytes (images and indexes are small), or None if there is no such file."""
    item = competition.files.filter(name=name).first()
    if item is None:
        return None
    with item.file.open("rb") as stored:
        return io.BytesIO(stored.read())


def _detection_overlay(competition: Competition, predictions: Path, phase: Phase | None) -> bytes | None:
    truth = load_truth(competition, phase)
    test_json = _public_file(competition, "test.json")
    if test_json is None:
        return None
    names = {image["id"]: image["file_name"] for image in json.load(test_json)["images"]}
    detections = coco.read_detections(predictions, truth)
    index = _busiest(truth.image_public, np.bincount(truth.ann_image, minlength=len(truth.image_ids)))
    image_path = _public_file(competition, f"images/{names.get(int(truth.image_ids[index]), '')}")
    if image_path is None:
        return None
    with Image.open(image_path) as opened:
        image = opened.convert("RGB").resize((opened.width * 3, opened.height * 3), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(image)
    mine = np.flatnonzero(detections.image == index)
    for k in mine[np.argsort(-detections.scores[mine])][:30]:
        x, y, w, h = (float(v) * 3 for v in detections.boxes[k])
        color = COLORS[int(detections.category[k]) % len(COLORS)]
        draw.rectangle([x, y, x + w, y + h], outline=color, width=2)
        draw.text((x + 3, y + 2), f"{int(truth.category_ids[detections.category[k]])}: {detections.scores[k]:.2f}", fill=color)
    return _png(image)


def _segmentation_overlay(competition: Competition, predictions: Path, phase: Phase | None) -> bytes | None:
    truth = load_truth(competition, phase)
    test_csv = _public_file(competition, "test.csv")
    if test_csv is None:
        return None
    images = {row["id"]: row for row in csv.DictReader(io.TextIOWrapper(test_csv, encoding="utf-8-sig", newline=""))}
    first_public = truth.ids[_busiest(truth.is_public, truth.runs.areas())] if truth.is_public.any() else None
    rle = next(
        (row["rle"] for row in csv.DictReader(open(predictions, newline="", encoding="utf-8-sig")) if row.get("id") == first_public), None
    )
    row = images.get(first_public or "")
    image_path = _public_file(competition, row["image"]) if row else None
    if image_path is None or rle is None:
        return None
    with Image.open(image_path) as opened:
        image = opened.convert("RGB")
    mask = rle_decode(rle, image.height, image.width)
    pixels = np.asarray(image, dtype=np.float32)
    pixels[mask] = pixels[mask] * 0.45 + np.array([255, 77, 79]) * 0.55
    shown = Image.fromarray(pixels.astype(np.uint8))
    return _png(shown.resize((shown.width * 3, shown.height * 3), Image.Resampling.NEAREST))


def _busiest(public: np.ndarray, sizes: np.ndarray) -> int:
    """The public image with the most truth in it (objects, mask pixels), the first of a tie: the same image for
    every submission, since one chosen by what a submission holds would tell, one submission per image, which
    images are public; and one worth looking at, not an empty background."""
    candidates = np.flatnonzero(public)
    return int(candidates[np.argmax(np.asarray(sizes)[candidates])])


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
