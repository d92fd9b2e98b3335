"""Detection metrics equal pycocotools' COCOeval(gt, dt, "bbox").stats on each subset, to 1e-9."""
from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from scoring import ScoringOptions, SubmissionError, TruthError, get_task
from scoring.metrics.coco import METRICS
from scoring.synthetic import coco_detections, coco_truth

TASK = get_task("detection")


def pycocotools_per_category(truth: dict, detections: list[dict]) -> dict[str, dict[str, float]]:
    """Each category's AP, AP@0.5 and AP@0.75 on the public images, from COCOeval's precision array."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(truth)
        gt.createIndex()
        evaluator = COCOeval(gt, gt.loadRes(copy.deepcopy(detections)), "bbox")
        evaluator.params.imgIds = [im["id"] for im in truth["images"] if im["usage"] == "Public"]
        evaluator.evaluate()
        evaluator.accumulate()
    precision = evaluator.eval["precision"]  # [T, R, K, A, M]

    def mean(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    return {str(category): {"ap": mean(precision[:, :, k, 0, 2]), "ap_50": mean(precision[0, :, k, 0, 2]),
                            "ap_75": mean(precision[5, :, k, 0, 2])}
            for k, category in enumerate(evaluator.params.catIds)}


def pycocotools_stats(truth: dict, detections: list[dict]) -> dict[str, list[float]]:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(truth)
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(detections))
        result = {}
        for board, usage in (("public", "Public"), ("private", "Private")):
            evaluator = COCOeval(gt, dt, "bbox")
            evaluator.params.imgIds = [im["id"] for im in truth["images"] if im["usage"] == usage]
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
            result[board] = list(evaluator.stats)
    return result


def ours(tmp_path: Path, truth: dict, detections: list[dict]) -> dict[str, dict[str, float]]:
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    (tmp_path / "results.json").write_text(json.dumps(detections))
    loaded = TASK.load_truth(tmp_path / "truth.json", ScoringOptions())
    return TASK.score(loaded, tmp_path / "results.json", ScoringOptions())


def assert_matches_pycocotools(tmp_path: Path, truth: dict, detections: list[dict]) -> None:
    reference = pycocotools_stats(truth, detections)
    result = ours(tmp_path, truth, detections)
    for board in ("public", "private"):
        assert list(result[board]) == list(METRICS)
        np.testing.assert_allclose([result[board][m] for m in METRICS], reference[board], rtol=0, atol=1e-9, err_msg=board)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_it_matches_pycocotools_on_random_data(tmp_path: Path, seed: int) -> None:
    truth = coco_truth(n_images=300, n_categories=12, n_boxes=2500, seed=seed, crowd_fraction=0.05)
    detections = coco_detections(truth, n_detections=20000, seed=seed + 10)
    assert_matches_pycocotools(tmp_path, truth, detections)


@pytest.mark.parametrize("seed", [0, 3])
def test_per_category_ap_matches_pycocotools(tmp_path: Path, seed: int) -> None:
    truth = coco_truth(n_images=200, n_categories=8, n_boxes=1500, seed=seed, crowd_fraction=0.05)
    detections = coco_detections(truth, n_detections=9000, seed=seed + 10)
    reference = pycocotools_per_category(truth, detections)
    result = ours(tmp_path, truth, detections)["per_class"]["public"]
    assert set(result) == set(reference)
    for category, values in reference.items():
        assert result[category] == pytest.approx(values, abs=1e-9), category


def small_truth() -> dict:
    return {
        "images": [{"id": i, "width": 200, "height": 200, "usage": "Public" if i % 2 else "Private"} for i in range(1, 7)],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "never-in-truth"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [12, 12, 50, 50], "area": 2500, "iscrowd": 0},
            {"id": 3, "image_id": 1, "category_id": 2, "bbox": [100, 100, 20, 20], "area": 400, "iscrowd": 0},
            {"id": 4, "image_id": 2, "category_id": 1, "bbox": [0, 0, 150, 150], "area": 20000, "iscrowd": 1},
            {"id": 5, "image_id": 2, "category_id": 1, "bbox": [20, 20, 30, 30], "area": 900, "iscrowd": 0},
            {"id": 6, "image_id": 3, "category_id": 2, "bbox": [5, 5, 10, 10], "area": 100, "iscrowd": 0},
            {"id": 7, "image_id": 4, "category_id": 1, "bbox": [40, 40, 100, 100], "area": 10000, "iscrowd": 0},
            {"id": 8, "image_id": 5, "category_id": 2, "bbox": [0, 0, 0, 0], "area": 0, "iscrowd": 0},
        ],
    }


def test_crowd_regions_ties_and_categories_without_truth_match_pycocotools(tmp_path: Path) -> None:
    detections = [
        # Two detections with equal scores on overlapping boxes: ties break by file order.
        {"image_id": 1, "category_id": 1, "bbox": [11, 11, 50, 50], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [60, 60, 50, 50], "score": 0.3},
        # Inside a crowd region: matched to it and ignored, several times over.
        {"image_id": 2, "category_id": 1, "bbox": [30, 30, 40, 40], "score": 0.8},
        {"image_id": 2, "category_id": 1, "bbox": [60, 60, 40, 40], "score": 0.7},
        {"image_id": 2, "category_id": 1, "bbox": [20, 20, 30, 30], "score": 0.6},
        # A category absent from the truth, and an image (6) with no truth at all.
        {"image_id": 3, "category_id": 3, "bbox": [5, 5, 10, 10], "score": 0.5},
        {"image_id": 6, "category_id": 2, "bbox": [5, 5, 10, 10], "score": 0.95},
        {"image_id": 4, "category_id": 1, "bbox": [40, 40, 100, 100], "score": 0.2},
        {"image_id": 5, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5},
    ]
    assert_matches_pycocotools(tmp_path, small_truth(), detections)


def test_only_the_100_best_detections_of_an_image_and_category_count(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    truth = small_truth()
    detections = [
        {"image_id": 1, "category_id": 1, "bbox": [float(x) for x in rng.uniform(0, 60, 4)], "score": float(s)}
        for s in rng.random(250)
    ]
    detections.append({"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.0001})
    detections.append({"image_id": 4, "category_id": 1, "bbox": [40, 40, 100, 100], "score": 0.5})
    assert_matches_pycocotools(tmp_path, truth, detections)


def test_images_without_detections_count_as_misses(tmp_path: Path) -> None:
    detections = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9}]
    assert_matches_pycocotools(tmp_path, small_truth(), detections)


def test_an_empty_list_scores_zero_where_there_is_truth(tmp_path: Path) -> None:
    # pycocotools cannot load an empty result list; by its definition every AP and AR
    # is 0 where the subset has countable truth and -1 where it has none.
    result = ours(tmp_path, small_truth(), [])
    assert result["public"]["map"] == 0.0 and result["public"]["mar_100"] == 0.0
    assert result["public"]["map_large"] == -1.0  # no large box on a public image


@pytest.mark.parametrize(
    "detections,code,where",
    [
        ({"image_id": 1}, "bad-json", "a JSON dict"),
        ([1, 2], "bad-json", "index 0"),
        ([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}], "missing-field", "'score'"),
        ([{"image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}], "unknown-image", "image_id 99"),
        ([{"image_id": "1", "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}], "unknown-image", "'1'"),
        ([{"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1], "score": 1}], "unknown-category", "category_id 9"),
        ([{"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1], "score": 1}], "bad-bbox", "negative"),
        ([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 1}], "bad-bbox", "4 numbers"),
        ([{"image_id": 1, "category_id": 1, "bbox": [0, 0, "1", 1], "score": 1}], "bad-bbox", "4 numbers"),
        ([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": "high"}], "bad-score", "'high'"),
        ([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": None}], "bad-score", "None"),
    ],
)
def test_it_rejects_malformed_results(tmp_path: Path, detections: object, code: str, where: str) -> None:
    valid = [{"image_id": 2, "category_id": 2, "bbox": [1, 1, 5, 5], "score": 0.5}]
    if isinstance(detections, list) and detections and isinstance(detections[0], dict):
        detections = valid + detections  # the bad one is at index 1
    with pytest.raises(SubmissionError) as caught:
        ours(tmp_path, small_truth(), detections)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert where in caught.value.message


@pytest.mark.parametrize(
    "text,code",
    [
        ("", "empty-file"),
        ("[{", "bad-json"),
        ('[{"image_id": 1, "bbox": [0,0,1e999,1]}]', "bad-json"),
        ('[{"image_id": 1, "bbox": [0,0,1,1]}]', "missing-field"),
    ],
)
def test_broken_json_is_reported_with_its_position(tmp_path: Path, text: str, code: str) -> None:
    (tmp_path / "truth.json").write_text(json.dumps(small_truth()))
    (tmp_path / "results.json").write_text(text)
    truth = TASK.load_truth(tmp_path / "truth.json", ScoringOptions())
    with pytest.raises(SubmissionError) as caught:
        TASK.score(truth, tmp_path / "results.json", ScoringOptions())
    assert caught.value.code == code


def test_non_finite_boxes_are_refused(tmp_path: Path) -> None:
    (tmp_path / "truth.json").write_text(json.dumps(small_truth()))
    (tmp_path / "results.json").write_text('[{"image_id": 1, "category_id": 1, "bbox": [0, 0, NaN, 1], "score": 1}]')
    truth = TASK.load_truth(tmp_path / "truth.json", ScoringOptions())
    with pytest.raises(SubmissionError) as caught:
        TASK.score(truth, tmp_path / "results.json", ScoringOptions())
    assert caught.value.code in ("bad-json", "bad-bbox")


@pytest.mark.parametrize(
    "change,code",
    [
        (lambda t: t["images"][0].pop("usage"), "bad-truth"),
        (lambda t: t["annotations"][0].update(image_id=42), "unknown-image"),
        (lambda t: t["annotations"][0].update(category_id=42), "unknown-category"),
        (lambda t: t["annotations"][0].update(bbox=[0, 0, -5, 5]), "bad-bbox"),
        (lambda t: t["annotations"][0].pop("area"), "missing-field"),
        (lambda t: t["annotations"][1].update(id=1), "bad-truth"),
        (lambda t: [im.update(usage="Public") for im in t["images"]], "bad-truth"),
        (lambda t: t.pop("categories"), "bad-truth"),
    ],
)
def test_truth_files_are_validated(tmp_path: Path, change, code: str) -> None:
    truth = small_truth()
    change(truth)
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    with pytest.raises(TruthError) as caught:
        TASK.load_truth(tmp_path / "truth.json", ScoringOptions())
    assert caught.value.code == code


def pycocotools_at(truth: dict, detections: list[dict], iou: float) -> dict[str, tuple[float, float]]:
    """COCOeval with params.iouThrs = [iou]: its AP (stats[0]) and AR@100 (stats[8]) on each subset."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(truth)
        gt.createIndex()
        dt = gt.loadRes(copy.deepcopy(detections))
        result = {}
        for board, usage in (("public", "Public"), ("private", "Private")):
            evaluator = COCOeval(gt, dt, "bbox")
            evaluator.params.imgIds = [im["id"] for im in truth["images"] if im["usage"] == usage]
            evaluator.params.iouThrs = np.array([iou])
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
            result[board] = (evaluator.stats[0], evaluator.stats[8])
    return result


@pytest.mark.parametrize("iou", [0.3, 0.6, 0.85])
def test_one_other_threshold_matches_pycocotools_with_that_threshold(tmp_path: Path, iou: float) -> None:
    """`evaluate_at`, what a scoring program reuses for another IoU (examples/scoring_programs/coco_iou30)."""
    from scoring.formats import coco
    from scoring.metrics.coco import evaluate_at

    truth = coco_truth(n_images=200, n_categories=6, n_boxes=1500, seed=4, crowd_fraction=0.05)
    detections = coco_detections(truth, n_detections=9000, seed=5)
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    (tmp_path / "results.json").write_text(json.dumps(detections))
    loaded = coco.read_truth(tmp_path / "truth.json")
    ours_at = evaluate_at(loaded, coco.read_detections(tmp_path / "results.json", loaded),
                          {"public": loaded.image_public, "private": ~loaded.image_public}, iou=iou)
    reference = pycocotools_at(truth, detections, iou)
    for board in ("public", "private"):
        np.testing.assert_allclose([ours_at[board]["ap"], ours_at[board]["ar"]], reference[board], rtol=0, atol=1e-9)
