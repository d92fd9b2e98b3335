"""COCO detection files: `truth.json` (instances, each image with a `usage`) and results JSON.

Results are validated in bulk: the common case (a well-formed list) is turned
into numpy arrays with a few C-speed passes; only when something is wrong does
a slow scan run to say exactly which detection and why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import orjson

from scoring.errors import (
    BAD_BBOX,
    BAD_JSON,
    BAD_SCORE,
    BAD_TRUTH,
    DUPLICATE_ID,
    EMPTY_FILE,
    MISSING_FIELD,
    UNKNOWN_CATEGORY,
    UNKNOWN_IMAGE,
    ScoringError,
    SubmissionError,
    TruthError,
    binary_hint,
    quote,
)
from scoring.formats.usage import parse_usage, require_both_subsets

FIELDS = ("image_id", "category_id", "bbox", "score")
_NUMBER = (int, float)


@dataclass(frozen=True)
class CocoTruth:
    image_ids: np.ndarray  # int64, sorted
    image_public: np.ndarray  # bool, per image
    category_ids: np.ndarray  # int64, sorted
    ann_image: np.ndarray  # index into image_ids
    ann_category: np.ndarray  # index into category_ids
    boxes: np.ndarray  # float64 [n, 4] x, y, w, h
    areas: np.ndarray  # float64
    crowd: np.ndarray  # bool


@dataclass(frozen=True)
class Detections:
    image: np.ndarray  # index into truth.image_ids
    category: np.ndarray  # index into truth.category_ids
    boxes: np.ndarray  # float64 [n, 4]
    scores: np.ndarray  # float64


def load_json(path: Path, error: type[ScoringError]) -> Any:
    data = Path(path).read_bytes()
    if not data.strip():
        raise error(EMPTY_FILE, "The file is empty. It must be a JSON list of detections.")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise error(BAD_JSON, f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
                              f"{binary_hint(data[:64]) or _csv_hint(data)}") from None


def _csv_hint(data: bytes) -> str:
    """A CSV sent where JSON is expected: say so, and what the JSON looks like."""
    first = data.lstrip()[:200].split(b"\n", 1)[0]
    if first[:1] not in (b"[", b"{") and first.count(b",") >= 1:
        return (" It looks like a CSV file; this competition takes COCO results JSON: a list of detections "
                '[{"image_id": 1, "category_id": 3, "bbox": [x, y, width, height], "score": 0.9}, ...].')
    return ""


# --- truth -----------------------------------------------------------------


def read_truth(path: Path) -> CocoTruth:
    data = load_json(path, TruthError)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
        raise TruthError(BAD_TRUTH, "truth.json must be an object with lists 'images', 'annotations' and 'categories'.")
    image_ids, public = _truth_images(data["images"])
    category_ids = _unique_ids(data["categories"], "categories")
    image_index = {int(i): k for k, i in enumerate(image_ids)}
    category_index = {int(c): k for k, c in enumerate(category_ids)}
    columns = _truth_annotations(data["annotations"], image_index, category_index)
    require_both_subsets(public, file="truth.json images")
    return CocoTruth(image_ids=image_ids, image_public=public, category_ids=category_ids, **columns)


def _truth_images(images: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    ids, usage = [], []
    for index, image in enumerate(images):
        if not isinstance(image, dict) or type(image.get("id")) is not int:
            raise TruthError(BAD_TRUTH, f"truth.json images[{index}] needs an integer 'id'.")
        ids.append(image["id"])
        usage.append(parse_usage(image.get("usage", ""), line=f"images[{index}]", file="truth.json"))
    if not ids:
        raise TruthError(BAD_TRUTH, "truth.json has no images.")
    order = np.argsort(np.array(ids, dtype=np.int64), kind="stable")
    sorted_ids = np.array(ids, dtype=np.int64)[order]
    if np.any(sorted_ids[1:] == sorted_ids[:-1]):
        raise TruthError(DUPLICATE_ID, "truth.json: two images share an id.")
    return sorted_ids, np.array(usage, dtype=bool)[order]


def _unique_ids(items: list[Any], name: str) -> np.ndarray:
    ids = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or type(item.get("id")) is not int:
            raise TruthError(BAD_TRUTH, f"truth.json {name}[{index}] needs an integer 'id'.")
        ids.append(item["id"])
    if len(set(ids)) != len(ids):
        raise TruthError(DUPLICATE_ID, f"truth.json: two {name} share an id.")
    return np.array(sorted(ids), dtype=np.int64)


def _truth_annotations(annotations: list[Any], image_index: dict[int, int], category_index: dict[int, int]) -> dict[str, np.ndarray]:
    n = len(annotations)
    image, category = np.empty(n, np.int64), np.empty(n, np.int64)
    boxes, areas, crowd = np.empty((n, 4)), np.empty(n), np.zeros(n, bool)
    seen: set[int] = set()
    for k, ann in enumerate(annotations):
        where = f"truth.json annotations[{k}]"
        if not isinstance(ann, dict):
            raise TruthError(BAD_TRUTH, f"{where} is not an object.")
        ann_id = ann.get("id")
        if type(ann_id) is not int or ann_id < 1 or ann_id in seen:
            raise TruthError(BAD_TRUTH, f"{where}: 'id' must be a unique positive integer.")
        seen.add(ann_id)
        if ann.get("image_id") not in image_index or type(ann.get("image_id")) is not int:
            raise TruthError(UNKNOWN_IMAGE, f"{where}: image_id {quote(ann.get('image_id'))} is not in 'images'.")
        if ann.get("category_id") not in category_index or type(ann.get("category_id")) is not int:
            raise TruthError(UNKNOWN_CATEGORY, f"{where}: category_id {quote(ann.get('category_id'))} is not in 'categories'.")
        problem = _bbox_problem(ann.get("bbox"))
        if problem:
            raise TruthError(BAD_BBOX, f"{where}: {problem}.")
        area = ann.get("area")
        if not isinstance(area, (int, float)) or type(area) not in _NUMBER or not math.isfinite(area) or area < 0:
            raise TruthError(MISSING_FIELD, f"{where}: 'area' must be a non-negative number.")
        iscrowd = ann.get("iscrowd", 0)
        if iscrowd not in (0, 1):
            raise TruthError(BAD_TRUTH, f"{where}: 'iscrowd' must be 0 or 1.")
        image[k], category[k] = image_index[ann["image_id"]], category_index[ann["category_id"]]
        boxes[k], areas[k], crowd[k] = ann["bbox"], area, bool(iscrowd)
    return {"ann_image": image, "ann_category": category, "boxes": boxes, "areas": areas, "crowd": crowd}


def _bbox_problem(bbox: Any) -> str | None:
    if not isinstance(bbox, list) or len(bbox) != 4 or any(type(v) not in _NUMBER for v in bbox):
        return f"bbox {str(bbox)[:60]} must be a list of 4 numbers [x, y, width, height]"
    if not all(math.isfinite(v) for v in bbox):
        return f"bbox {bbox} contains a non-finite number"
    if bbox[2] < 0 or bbox[3] < 0:
        return f"bbox {bbox} has a negative width or height"
    return None


# --- results -----------------------------------------------------------------


class _Detection(msgspec.Struct, gc=False):
    """One result as decoded on the fast path; extra keys (e.g. "segmentation") are ignored."""

    image_id: int
    category_id: int
    bbox: tuple[float, float, float, float]
    score: float


_DECODER = msgspec.json.Decoder(list[_Detection])


def read_detections(path: Path, truth: CocoTruth) -> Detections:
    data = Path(path).read_bytes()
    columns = _fast_columns(data)
    if columns is None:
        # Something is off: parse loosely and say exactly which detection and why.
        items = load_json(path, SubmissionError)
        if not isinstance(items, list):
            raise SubmissionError(
                BAD_JSON,
                f"The file holds a JSON {type(items).__name__}, but must be a list of detections "
                '[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}, ...].',
            )
        _raise_first_problem(items)
        # Every item has the right shape, so a number did not fit in 64 bits.
        raise SubmissionError(BAD_JSON, "A number in the file is out of range; ids must fit in 64 bits.")
    image_ids, category_ids, boxes, scores = columns
    image = _lookup(image_ids, truth.image_ids, UNKNOWN_IMAGE, "image_id", "test.json images")
    category = _lookup(category_ids, truth.category_ids, UNKNOWN_CATEGORY, "category_id", "the competition's categories")
    _check_values(boxes, scores, image_ids)
    return Detections(image=image, category=category, boxes=boxes, scores=scores)


def _fast_columns(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Arrays for a well-formed list (typed decoding, no dicts), or None if anything is off."""
    try:
        items = _DECODER.decode(data)
        n = len(items)
        return (
            np.fromiter((d.image_id for d in items), np.int64, n),
            np.fromiter((d.category_id for d in items), np.int64, n),
            np.array([d.bbox for d in items], dtype=np.float64).reshape(n, 4),
            np.fromiter((d.score for d in items), np.float64, n),
        )
    except (msgspec.DecodeError, OverflowError):
        return None


def _lookup(values: np.ndarray, known: np.ndarray, code: str, field: str, source: str) -> np.ndarray:
    index = np.minimum(np.searchsorted(known, values), len(known) - 1)
    bad = np.flatnonzero(known[index] != values)
    if bad.size:
        first = int(bad[0])
        distinct = np.unique(values[bad])
        raise SubmissionError(
            code,
            f"Detection at index {first}: {field} {values[first]} is not in {source} "
            f"({bad.size} detections use {distinct.size} unknown {field} values).",
        )
    return index


def _check_values(boxes: np.ndarray, scores: np.ndarray, image_ids: np.ndarray) -> None:
    bad_box = np.flatnonzero(~np.isfinite(boxes).all(axis=1) | (boxes[:, 2] < 0) | (boxes[:, 3] < 0))
    if bad_box.size:
        k = int(bad_box[0])
        raise SubmissionError(
            BAD_BBOX,
            f"Detection at index {k} (image_id {image_ids[k]}): {_bbox_problem(boxes[k].tolist())} "
            f"({bad_box.size} such boxes). Boxes are [x, y, width, height] in pixels, width and height >= 0.",
        )
    bad_score = np.flatnonzero(~np.isfinite(scores))
    if bad_score.size:
        k = int(bad_score[0])
        raise SubmissionError(BAD_SCORE, f"Detection at index {k} (image_id {image_ids[k]}): score {scores[k]} is not a finite number.")


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


def _file_name_hint(value: object) -> str:
    if isinstance(value, str) and value.lower().endswith(_IMAGE_SUFFIXES):
        return (" It looks like an image's file name: use the numeric \"id\" that test.json's \"images\" list gives "
                "for that \"file_name\".")
    return ""


def _raise_first_problem(items: list[Any]) -> None:
    for index, item in enumerate(items):
        where = f"Detection at index {index}"
        if not isinstance(item, dict):
            raise SubmissionError(BAD_JSON, f"{where} is a JSON {type(item).__name__}, not an object.")
        missing = [name for name in FIELDS if name not in item]
        if missing:
            raise SubmissionError(MISSING_FIELD, f"{where} has no {', '.join(repr(m) for m in missing)}; each needs {', '.join(FIELDS)}.")
        if type(item["image_id"]) is not int:
            raise SubmissionError(UNKNOWN_IMAGE, f"{where}: image_id {quote(item['image_id'])} is not an integer image id."
                                                 f"{_file_name_hint(item['image_id'])}")
        if type(item["category_id"]) is not int:
            raise SubmissionError(UNKNOWN_CATEGORY, f"{where}: category_id {quote(item['category_id'])} is not an integer category id.")
        problem = _bbox_problem(item["bbox"])
        if problem:
            raise SubmissionError(BAD_BBOX, f"{where} (image_id {item['image_id']}): {problem}.")
        if type(item["score"]) not in _NUMBER or not math.isfinite(item["score"]):
            raise SubmissionError(BAD_SCORE, f"{where} (image_id {item['image_id']}): score {quote(item['score'])} is not a finite number.")
