"""Text-classification files: `truth.csv` (id,label,Usage) and submissions (id,label).

Labels are coded as integers, in sorted label order (sklearn's default label
order), so metrics work on compact arrays and a prediction file is never held
in memory as text.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.errors import DUPLICATE_ID, EMPTY_VALUE, UNKNOWN_LABEL, SubmissionError, TruthError, describe_values
from scoring.formats.csvfile import CsvRows
from scoring.formats.idcheck import raise_for_bad_ids
from scoring.formats.usage import parse_usage, require_both_subsets

TRUTH_HEADER = ["id", "label", "Usage"]
SUBMISSION_HEADER = ["id", "label"]


@dataclass(frozen=True)
class ClassificationTruth:
    ids: list[str]
    row_of: dict[str, int]
    labels: np.ndarray  # int32 codes into `classes`
    classes: list[str]  # sorted
    is_public: np.ndarray  # bool

    @property
    def code_of(self) -> dict[str, int]:
        return {label: code for code, label in enumerate(self.classes)}


def read_truth(path: Path, classes: list[str] | None = None) -> ClassificationTruth:
    """Parse and validate a truth file; `classes` (if given) must cover every label."""
    rows = CsvRows(path, TRUTH_HEADER, error=TruthError)
    ids: list[str] = []
    row_of: dict[str, int] = {}
    raw_labels: list[str] = []
    usage = bytearray()
    for row_id, label, usage_text in rows:
        if not row_id or not label:
            raise TruthError(EMPTY_VALUE, f"truth.csv line {rows.line}: the id and label must not be empty.")
        if row_id in row_of:
            raise TruthError(DUPLICATE_ID, f"truth.csv line {rows.line}: id {row_id!r} appears twice.")
        row_of[row_id] = len(ids)
        ids.append(row_id)
        raw_labels.append(label)
        usage.append(parse_usage(usage_text, line=rows.line, file="truth.csv"))
    if not ids:
        raise TruthError(EMPTY_VALUE, "truth.csv has a header but no rows.")
    present = sorted(set(raw_labels))
    if classes:
        outside = [label for label in present if label not in set(classes)]
        if outside:
            raise TruthError(
                UNKNOWN_LABEL,
                f"truth.csv uses labels that are not among the competition's classes: "
                f"{describe_values(outside, len(outside))}. Add them to `classes` or fix the file.",
            )
    label_set = sorted(set(classes) if classes else present)
    code_of = {label: code for code, label in enumerate(label_set)}
    is_public = np.frombuffer(bytes(usage), dtype=np.uint8).astype(bool)
    require_both_subsets(is_public, file="truth.csv")
    labels = np.fromiter((code_of[label] for label in raw_labels), dtype=np.int32, count=len(raw_labels))
    return ClassificationTruth(ids=ids, row_of=row_of, labels=labels, classes=label_set, is_public=is_public)


def read_predictions(path: Path, truth: ClassificationTruth) -> np.ndarray:
    """Read a submission, validate it against the truth, and return label codes in truth row order."""
    rows = CsvRows(path, SUBMISSION_HEADER)
    row_of = truth.row_of
    code_of = truth.code_of
    predicted = array("i", [-1]) * len(truth.ids)
    duplicates: list[tuple[str, int]] = []
    unknown: list[str] = []
    unknown_count = 0
    for row_id, label in rows:
        row = row_of.get(row_id)
        if row is None:
            if not row_id:
                raise SubmissionError(EMPTY_VALUE, f"Line {rows.line}: the id is empty. Every row needs an id and a label.")
            unknown_count += 1
            if len(unknown) < 5:
                unknown.append(row_id)
            continue
        code = code_of.get(label)
        if code is None:
            raise _label_error(label, rows.line, row_id, truth.classes)
        if predicted[row] != -1:
            duplicates.append((row_id, rows.line))
            continue
        predicted[row] = code
    codes = np.frombuffer(predicted, dtype=np.int32)
    missing = np.flatnonzero(codes < 0)
    raise_for_bad_ids(
        duplicates, unknown, unknown_count, [truth.ids[row] for row in missing[:5]], int(missing.size), "test.csv"
    )
    return codes


def _label_error(label: str, line: int, row_id: str, classes: list[str]) -> SubmissionError:
    if not label.strip():
        return SubmissionError(EMPTY_VALUE, f"Line {line}: the label for id {row_id!r} is empty. Every row needs a label.")
    return SubmissionError(
        UNKNOWN_LABEL,
        f"Line {line}: label {label!r} (id {row_id!r}) is not one of the competition's classes: "
        f"{describe_values(classes, len(classes), limit=20)}. Labels are case-sensitive.",
    )
