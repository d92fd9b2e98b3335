"""The hostile corpus (tests/hostile_corpus.py) against the scoring library: a stable code, never a crash."""
from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pytest
import yaml

from competitions.demo_data import detection_bundle, segmentation_bundle, text_classification_bundle
from scoring import ScoringOptions, SubmissionError, get_task
from tests.hostile_corpus import SCORED, Case, detection_cases, segmentation_cases, text_cases


def _build(root: Path) -> tuple[list[Case], dict[str, Path], list[str]]:
    text = text_classification_bundle(root / "text", n_train=20, n_test=60)
    detection = detection_bundle(root / "detection", n_train=2, n_test=8)
    segmentation = segmentation_bundle(root / "segmentation", n_train=2, n_test=8)
    classes = yaml.safe_load((text.path / "competition.yaml").read_text())["classes"]
    coco = json.loads((detection.path / "truth.json").read_text())
    cases = (
        text_cases([row["id"] for row in csv.DictReader(open(text.path / "truth.csv"))], classes)
        + detection_cases([image["id"] for image in coco["images"]], [c["id"] for c in coco["categories"]])
        + segmentation_cases([row["id"] for row in csv.DictReader(open(segmentation.path / "truth.csv"))])
    )
    truths = {"text-classification": text.path / "truth.csv", "detection": detection.path / "truth.json",
              "segmentation": segmentation.path / "truth.csv"}
    return cases, truths, classes


_ROOT = Path(tempfile.mkdtemp(prefix="podium-hostile-"))
CASES, TRUTHS, CLASSES = _build(_ROOT)


def test_the_corpus_is_large_and_covers_every_task() -> None:
    assert len(CASES) >= 50
    assert {case.task for case in CASES} == set(TRUTHS)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_each_hostile_file_gets_its_code_and_a_message(case: Case, tmp_path: Path) -> None:
    task = get_task(case.task)
    options = ScoringOptions(classes=tuple(CLASSES) if case.task == "text-classification" else (), max_bytes=50 * 1024 * 1024)
    truth = task.load_truth(TRUTHS[case.task], options)
    submission = tmp_path / "submission"
    submission.write_bytes(case.data)
    if SCORED in case.codes:
        scores = task.score(truth, submission, options)
        assert {"public", "private"} <= set(scores) <= {"public", "private", "per_class"}
        assert all(isinstance(value, float) for board in ("public", "private") for value in scores[board].values())
        return
    with pytest.raises(SubmissionError) as raised:
        task.score(truth, submission, options)
    assert raised.value.code in case.codes, raised.value.message
    assert len(raised.value.message) > 15 and "Traceback" not in raised.value.message
