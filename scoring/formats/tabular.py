"""Tabular files (SPEC section 2): `truth.csv` of a number or a class per id, and submissions of numbers or of
one probability per class.

    regression      truth id,target,Usage       submission id,target
    classification  truth id,label,Usage        submission id,<class 1>,<class 2>,... (the competition's classes,
                                                in their order; each cell a probability in [0, 1])

Values are read into float64 arrays in truth row order. A number that does not parse, NaN and
infinity are refused with codes that name the line and the id; an organizer's truth gets the same
checks as a `TruthError`.
"""
from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.errors import (BAD_NUMBER, BAD_PROBABILITY, DUPLICATE_ID, EMPTY_VALUE, NO_CLASSES, NOT_FINITE,
                            UNKNOWN_LABEL, ScoringError, SubmissionError, TruthError, describe_values, quote)
from scoring.formats.csvfile import CsvRows
from scoring.formats.idcheck import first_ids, raise_for_bad_ids
from scoring.formats.usage import parse_usage, require_both_subsets
from scoring.inputs import compare_ids, csv_rows

# keep(value, line, id): parse and keep one truth value, or raise a TruthError naming the line.
KeepValue = Callable[[str, int, str], None]


@dataclass(frozen=True)
class TabularTruth:
    ids: list[str]
    row_of: dict[str, int]
    values: np.ndarray  # float64 targets (regression) or int32 codes into `classes` (classification)
    is_public: np.ndarray  # bool
    classes: tuple[str, ...] = ()  # classification: the competition's classes, in their order


def read_regression_truth(path: Path) -> TabularTruth:
    values = array("d")

    def keep(text: str, line: int, row_id: str) -> None:
        values.append(parse_number(text, line=line, row_id=row_id, what="target", error=TruthError, file="truth.csv"))

    ids, row_of, is_public = _read_truth(path, ["id", "target", "Usage"], keep)
    return TabularTruth(ids=ids, row_of=row_of, values=np.frombuffer(values, dtype=np.float64), is_public=is_public)


def read_classification_truth(path: Path, classes: tuple[str, ...]) -> TabularTruth:
    if not classes:
        raise TruthError(NO_CLASSES, "A tabular-classification competition needs its classes (one per line, in the "
                                     "order of the submission's columns) before its truth can be read.")
    code_of = {name: code for code, name in enumerate(classes)}
    codes = array("i")

    def keep(label: str, line: int, row_id: str) -> None:
        code = code_of.get(label)
        if code is None:
            raise TruthError(UNKNOWN_LABEL, f"truth.csv line {line}: the label of id {quote(row_id)} is not one of the "
                                            f"competition's classes ({describe_values(classes, len(classes))}).")
        codes.append(code)

    ids, row_of, is_public = _read_truth(path, ["id", "label", "Usage"], keep)
    return TabularTruth(ids=ids, row_of=row_of, values=np.frombuffer(codes, dtype=np.int32), is_public=is_public,
                        classes=tuple(classes))


def _read_truth(path: Path, header: list[str], keep: KeepValue) -> tuple[list[str], dict[str, int], np.ndarray]:
    rows = CsvRows(path, header, error=TruthError)
    ids: list[str] = []
    row_of: dict[str, int] = {}
    usage = bytearray()
    for row_id, value, usage_text in rows:
        if not row_id or not value:
            raise TruthError(EMPTY_VALUE, f"truth.csv line {rows.line}: the id and {header[1]} must not be empty.")
        if row_id in row_of:
            raise TruthError(DUPLICATE_ID, f"truth.csv: id {quote(row_id)} appears more than once.")
        keep(value, rows.line, row_id)
        row_of[row_id] = len(ids)
        ids.append(row_id)
        usage.append(parse_usage(usage_text, line=rows.line, file="truth.csv"))
    if not ids:
        raise TruthError(EMPTY_VALUE, "truth.csv has a header but no rows.")
    is_public = np.frombuffer(bytes(usage), dtype=np.uint8).astype(bool)
    require_both_subsets(is_public, file="truth.csv")
    return ids, row_of, is_public


def parse_number(text: str, *, line: int, row_id: str, what: str, error: type[ScoringError] = SubmissionError,
                 file: str = "") -> float:
    """A finite float from a cell, or an error naming the line, the id and the value."""
    where = f"{file} line {line}" if file else f"Line {line}"
    try:
        value = float(text)
    except ValueError:
        if not text.strip():
            raise error(EMPTY_VALUE, f"{where}: the {what} of id {quote(row_id)} is empty.") from None
        raise error(BAD_NUMBER, f"{where}: the {what} of id {quote(row_id)} is {quote(text)}, not a number.") from None
    if not math.isfinite(value):
        raise error(NOT_FINITE, f"{where}: the {what} of id {quote(row_id)} is {quote(text)}; only finite numbers "
                                "can be scored (replace NaN and infinity, e.g. with the training mean).")
    return value


def read_regression_predictions(path: Path, truth: TabularTruth) -> np.ndarray:
    """One finite number per test id, in truth row order."""
    rows = CsvRows(path, ["id", "target"])
    predicted = np.full(len(truth.ids), np.nan)
    seen = np.zeros(len(truth.ids), dtype=bool)
    tracker = _IdTracker()
    for row_id, text in rows:
        row = tracker.row(row_id, truth.row_of, rows.line, seen)
        if row is not None:
            predicted[row] = parse_number(text, line=rows.line, row_id=row_id, what="target")
    tracker.raise_problems(truth, seen)
    return predicted


def read_probabilities(path: Path, truth: TabularTruth) -> np.ndarray:
    """An [N, C] matrix of probabilities in [0, 1], in truth row order and the classes' column order."""
    classes = list(truth.classes)
    rows = CsvRows(path, ["id", *classes])
    matrix = np.zeros((len(truth.ids), len(classes)))
    seen = np.zeros(len(truth.ids), dtype=bool)
    tracker = _IdTracker()
    for row_id, *cells in rows:
        row = tracker.row(row_id, truth.row_of, rows.line, seen)
        if row is None:
            continue
        for column, (name, text) in enumerate(zip(classes, cells)):
            value = parse_number(text, line=rows.line, row_id=row_id, what=f"probability of {quote(name)}")
            if not 0.0 <= value <= 1.0:
                raise SubmissionError(BAD_PROBABILITY, (
                    f"Line {rows.line}: the probability of {quote(name)} for id {quote(row_id)} is {quote(text)}; "
                    "each cell must lie in [0, 1] (apply a softmax to logits first)."))
            matrix[row, column] = value
    tracker.raise_problems(truth, seen)
    return matrix


class _IdTracker:
    """Duplicate and unknown ids as rows go by; missing ones at the end (idcheck's messages)."""

    def __init__(self) -> None:
        self.duplicates: list[tuple[str, int]] = []
        self.unknown: list[str] = []
        self.unknown_count = 0

    def row(self, row_id: str, row_of: dict[str, int], line: int, seen: np.ndarray) -> int | None:
        row = row_of.get(row_id)
        if row is None:
            if not row_id:
                raise SubmissionError(EMPTY_VALUE, f"Line {line}: the id is empty. Every row needs an id.")
            self.unknown_count += 1
            if len(self.unknown) < 5:
                self.unknown.append(row_id)
            return None
        if seen[row]:
            self.duplicates.append((row_id, line))
            return None
        seen[row] = True
        return row

    def raise_problems(self, truth: TabularTruth, seen: np.ndarray) -> None:
        missing = np.flatnonzero(~seen)
        raise_for_bad_ids(self.duplicates, self.unknown, self.unknown_count,
                          first_ids(truth.ids[row] for row in missing), int(missing.size), "test.csv")


def check_test_inputs(truth: TabularTruth, public_dir: Path, problems: list[str], rewrites: dict[Path, bytes]) -> None:
    """test.csv: `id` then feature columns of numbers (an empty cell is a missing value), one row per truth id."""
    name = f"{public_dir.name}/test.csv"
    rows = csv_rows(public_dir / "test.csv", problems)
    if rows is None:
        return
    compare_ids(name, {row.get("id") for row in rows}, set(truth.ids), problems)
    header = list(rows[0]) if rows else []
    if len(header) < 2 or header[0] != "id":
        problems.append(f"{name} must have the header id then at least one feature column")
        return
    for line, row in enumerate(rows, start=2):
        for column in header[1:]:
            text = (row.get(column) or "").strip()
            if text and not _is_number(text):
                problems.append(f"{name} line {line}: feature {column!r} is {text[:40]!r}, not a number "
                                "(leave a missing value empty)")
                return


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
