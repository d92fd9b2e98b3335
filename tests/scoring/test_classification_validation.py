"""Malformed text-classification files fail with a stable code and a message that says where."""
from __future__ import annotations

from pathlib import Path

import pytest

from scoring import ScoringOptions, SubmissionError, TruthError, get_task
from scoring.registry import score_file

TASK = get_task("text-classification")
TRUTH = "id,label,Usage\n" + "".join(f"r{i},{'secretcat' if i % 2 else 'dog'},{'Public' if i < 5 else 'Private'}\n" for i in range(10))
VALID = "id,label\n" + "".join(f"r{i},dog\n" for i in range(10))


@pytest.fixture
def truth_path(tmp_path: Path) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text(TRUTH)
    return path


def fail(tmp_path: Path, truth_path: Path, content: bytes | str, **options: object) -> SubmissionError:
    path = tmp_path / "submission.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(SubmissionError) as caught:
        score_file(TASK, truth_path, path, ScoringOptions(**options))
    # A message never tells which ids are scored on which (hidden) subset.
    assert "Private" not in caught.value.message and "Public" not in caught.value.message
    return caught.value


def test_a_valid_file_scores(tmp_path: Path, truth_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(VALID)
    scores = score_file(TASK, truth_path, path)
    assert scores["public"]["accuracy"] == pytest.approx(3 / 5)


def test_a_byte_order_mark_is_accepted(tmp_path: Path, truth_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert score_file(TASK, truth_path, path)["private"]["accuracy"] == pytest.approx(2 / 5)


def test_crlf_line_endings_are_accepted(tmp_path: Path, truth_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(VALID.replace("\n", "\r\n").encode())
    assert score_file(TASK, truth_path, path)["public"]["accuracy"] == pytest.approx(3 / 5)


@pytest.mark.parametrize(
    "content,code,where",
    [
        ("", "empty-file", "empty"),
        ("identifier,label\nr0,dog\n", "bad-header", "id,label"),
        ("r0,dog\nr1,dog\n", "bad-header", "id,label"),
        ("id,label,extra\nr0,dog,1\n", "bad-header", "no extra columns"),
        ("id,label\nr0,dog,1\n", "bad-row", "Line 2"),
        ("id,label\nr0\n", "bad-row", "Line 2"),
        (VALID + "r3,dog\n", "duplicate-id", "'r3' (again on line 12)"),
        (VALID + "zz1,dog\nzz2,dog\n", "unknown-ids", "'zz1', 'zz2'"),
        ("id,label\nr0,dog\n", "missing-ids", "9 test ids"),
        ("id,label\nr0,\n", "empty-value", "Line 2"),
        ("id,label\n,dog\n", "empty-value", "Line 2"),
        ("id,label\nr0,wolf\n", "unknown-label", "Line 2"),
        ("id,label\nr0,\"unterminated\n", "bad-row", "Line"),
    ],
)
def test_it_rejects_malformed_submissions(tmp_path: Path, truth_path: Path, content: str, code: str, where: str) -> None:
    error = fail(tmp_path, truth_path, content)
    assert error.code == code
    assert where in error.message


def test_it_rejects_bytes_that_are_not_utf8_and_names_the_line(tmp_path: Path, truth_path: Path) -> None:
    error = fail(tmp_path, truth_path, b"id,label\nr0,dog\nr1,d\xe9j\xe0\n")
    assert error.code == "not-utf8"
    assert "Line 3, column 5" in error.message


def test_many_unknown_ids_are_listed_with_a_count_of_the_rest(tmp_path: Path, truth_path: Path) -> None:
    content = VALID + "".join(f"x{i},dog\n" for i in range(40))
    error = fail(tmp_path, truth_path, content)
    assert error.code == "unknown-ids"
    assert "40 ids" in error.message and "and 35 more" in error.message


def test_an_oversize_file_is_refused_before_it_is_parsed(tmp_path: Path, truth_path: Path) -> None:
    error = fail(tmp_path, truth_path, b"\xff" * 2000, max_bytes=1000)
    assert error.code == "too-large"


def test_unknown_label_message_lists_the_competition_classes_not_the_truth(tmp_path: Path, truth_path: Path) -> None:
    error = fail(tmp_path, truth_path, "id,label\nr0,wolf\n", classes=("dog", "secretcat"))
    assert error.code == "unknown-label" and "'dog'" in error.message


@pytest.mark.parametrize(
    "content,code",
    [
        ("id,label\nr0,dog\n", "bad-header"),
        ("id,label,Usage\nr0,dog,Public\nr0,dog,Private\n", "duplicate-id"),
        ("id,label,Usage\nr0,dog,public\n", "bad-truth"),
        ("id,label,Usage\nr0,dog,Public\nr1,dog,Public\n", "bad-truth"),
        ("id,label,Usage\nr0,,Public\n", "empty-value"),
        ("id,label,Usage\n", "empty-value"),
    ],
)
def test_it_validates_truth_files_too(tmp_path: Path, content: str, code: str) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(content)
    with pytest.raises(TruthError) as caught:
        TASK.load_truth(path, ScoringOptions())
    assert caught.value.code == code


def test_truth_labels_outside_the_configured_classes_are_refused(tmp_path: Path, truth_path: Path) -> None:
    with pytest.raises(TruthError) as caught:
        TASK.load_truth(truth_path, ScoringOptions(classes=("dog",)))
    assert caught.value.code == "unknown-label"
