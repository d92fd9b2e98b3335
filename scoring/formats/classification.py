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

from scoring.errors import DUPLICATE_ID, EMPTY_VALUE, UNKNOWN_LABEL, SubmissionError, TruthError, describe_values, quote
from scoring.formats.csvfile import CsvRows
from scoring.formats.idcheck import first_ids, raise_for_bad_ids
from scoring.formats.usage import PRIVATE, PUBLIC, parse_usage, require_both_subsets

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
    first_seen: dict[str, int] = {}  # label -> provisional code, in order of appearance
    codes = array("i")
    usage = bytearray()
    usage_code = {PUBLIC: 1, PRIVATE: 0}
    for row_id, label, usage_text in rows:
        if not row_id or not label:
            raise TruthError(EMPTY_VALUE, f"truth.csv line {rows.line}: the id and label must not be empty.")
        row_of[row_id] = len(ids)
        ids.append(row_id)
        codes.append(first_seen.setdefault(label, len(first_seen)))
        usage.append(usage_code.get(usage_text, 2))
    if not ids:
        raise TruthError(EMPTY_VALUE, "truth.csv has a header but no rows.")
    if len(row_of) != len(ids):
        duplicate = next(row_id for row, row_id in enumerate(ids) if row_of[row_id] != row)
        raise TruthError(DUPLICATE_ID, f"truth.csv: id {quote(duplicate)} appears more than once.")
    usage_array = np.frombuffer(bytes(usage), dtype=np.uint8)
    if (usage_array == 2).any():
        bad = int(np.argmax(usage_array == 2))
        parse_usage(_usage_at(path, bad), line=bad + 2, file="truth.csv")
    label_set = _label_set(list(first_seen), classes)
    # Re-code from order of appearance to sorted label order (sklearn's label order).
    recode = np.array([label_set.index(label) for label in first_seen], dtype=np.int32)
    labels = recode[np.frombuffer(codes, dtype=np.int32)]
    is_public = usage_array.astype(bool)
    require_both_subsets(is_public, file="truth.csv")
    return ClassificationTruth(ids=ids, row_of=row_of, labels=labels, classes=label_set, is_public=is_public)


def _label_set(present: list[str], classes: list[str] | None) -> list[str]:
    if not classes:
        return sorted(present)
    outside = sorted(set(present) - set(classes))
    if outside:
        raise TruthError(
            UNKNOWN_LABEL,
            f"truth.csv uses labels that are not among the competition's classes: "
            f"{describe_values(outside, len(outside))}. Add them to `classes` or fix the file.",
        )
    return sorted(set(classes))


def _usage_at(path: Path, row: int) -> str:
    """The Usage value of data row `row`, read again for the error message."""
    for index, (_, _, usage_text) in enumerate(CsvRows(path, TRUTH_HEADER, error=TruthError)):
        if index == row:
            return usage_text
    return ""


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
        duplicates, unknown, unknown_count, first_ids(truth.ids[row] for row in missing), int(missing.size), "test.csv"
    )
    return codes


def _label_error(label: str, line: int, row_id: str, classes: list[str]) -> SubmissionError:
    if not label.strip():
        return SubmissionError(EMPTY_VALUE, f"Line {line}: the label for id {quote(row_id)} is empty. Every row needs a label.")
    return SubmissionError(
        UNKNOWN_LABEL,
        f"Line {line}: label {quote(label)} (id {quote(row_id)}) is not one of the competition's classes: "
        f"{describe_values(classes, len(classes), limit=20)}. Labels are case-sensitive.",
    )
