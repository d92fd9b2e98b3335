"""The four common mistakes get a message that names their likely cause (and each hint only for its cause)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scoring import SubmissionError
from scoring.formats.classification import read_predictions, read_truth
from scoring.formats.coco import read_detections
from scoring.formats.coco import read_truth as read_coco_truth

TRUTH = "id,label,Usage\nr0,cat,Public\nr1,dog,Private\n"
COCO = {"images": [{"id": 1, "file_name": "0001.png", "width": 8, "height": 8, "usage": "Public"},
                   {"id": 2, "file_name": "0002.png", "width": 8, "height": 8, "usage": "Private"}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}]}


def _error(tmp_path: Path, text: str) -> SubmissionError:
    (tmp_path / "truth.csv").write_text(TRUTH)
    (tmp_path / "sub.csv").write_text(text)
    with pytest.raises(SubmissionError) as caught:
        read_predictions(tmp_path / "sub.csv", read_truth(tmp_path / "truth.csv"))
    return caught.value


@pytest.mark.parametrize("header", [",id,label", "Unnamed: 0,id,label"])
def test_a_pandas_index_column_is_named_as_the_cause(tmp_path: Path, header: str) -> None:
    error = _error(tmp_path, f"{header}\n0,r0,cat\n1,r1,dog\n")
    assert error.code == "bad-header" and "index=False" in error.message and "index that pandas writes" in error.message


def test_semicolons_are_named_as_the_cause(tmp_path: Path) -> None:
    error = _error(tmp_path, "id;label\nr0;cat\nr1;dog\n")
    assert error.code == "bad-header" and "separated by ';'" in error.message


def test_other_wrong_headers_get_no_guess(tmp_path: Path) -> None:
    error = _error(tmp_path, "identifier,label\nr0,cat\nr1,dog\n")
    assert error.code == "bad-header" and "pandas" not in error.message and "';'" not in error.message


def _detection_error(tmp_path: Path, content: str) -> SubmissionError:
    (tmp_path / "truth.json").write_text(json.dumps(COCO))
    (tmp_path / "sub.json").write_text(content)
    with pytest.raises(SubmissionError) as caught:
        read_detections(tmp_path / "sub.json", read_coco_truth(tmp_path / "truth.json"))
    return caught.value


def test_a_csv_sent_to_a_json_competition_is_named_as_such(tmp_path: Path) -> None:
    error = _detection_error(tmp_path, "image_id,category_id,x,y,w,h,score\n1,1,1,1,2,2,0.9\n")
    assert error.code == "bad-json" and "looks like a CSV file" in error.message and '"image_id": 1' in error.message
    broken = _detection_error(tmp_path, '[{"image_id": 1,')
    assert broken.code == "bad-json" and "CSV" not in broken.message


def test_an_image_file_name_for_image_id_points_at_test_json(tmp_path: Path) -> None:
    item = {"image_id": "0001.png", "category_id": 1, "bbox": [1, 1, 2, 2], "score": 0.9}
    error = _detection_error(tmp_path, json.dumps([item]))
    assert error.code == "unknown-image" and "file name" in error.message and "test.json" in error.message
    other = _detection_error(tmp_path, json.dumps([{**item, "image_id": "one"}]))
    assert other.code == "unknown-image" and "file name" not in other.message


@pytest.mark.parametrize("head, said", [
    (b"PK\x03\x04" + bytes(200), "submit it as a Model"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "a PNG image"),
    (b"\x08\x07\x12\x07pytorch" + bytes(200), "an ONNX model"),
])
def test_a_model_or_an_image_uploaded_as_predictions_is_named_with_the_fix(tmp_path, head: bytes, said: str) -> None:
    from scoring import SubmissionError, get_task
    from scoring.tasktype import ScoringOptions

    path = tmp_path / "upload.csv"
    path.write_bytes(head + b"\xbf\xff" * 50)
    truth = tmp_path / "truth.csv"
    truth.write_text("id,label,Usage\n1,a,Public\n2,b,Private\n")
    task = get_task("text-classification")
    with pytest.raises(SubmissionError) as caught:
        task.score(task.load_truth(truth, ScoringOptions()), path, ScoringOptions())
    assert caught.value.code == "not-utf8" and said in caught.value.message
    detection = get_task("detection")
    coco_truth = tmp_path / "truth.json"
    coco_truth.write_text('{"images": [{"id": 1, "file_name": "a.png", "width": 9, "height": 9, "usage": "Public"},'
                          ' {"id": 2, "file_name": "b.png", "width": 9, "height": 9, "usage": "Private"}],'
                          ' "annotations": [], "categories": [{"id": 1, "name": "x"}]}')
    with pytest.raises(SubmissionError) as caught:
        detection.score(detection.load_truth(coco_truth, ScoringOptions()), path, ScoringOptions())
    assert caught.value.code == "bad-json" and said in caught.value.message
