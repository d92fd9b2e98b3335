"""Segmentation files: `truth.csv` (id,rle,height,width,Usage, or with a `class` column before Usage where rows are
image–class pairs) and submissions (id,rle)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoring.errors import BAD_RLE, BAD_TRUTH, DUPLICATE_ID, EMPTY_VALUE, SubmissionError, TruthError, quote
from scoring.formats.csvfile import CsvRows
from scoring.formats.idcheck import first_ids, raise_for_bad_ids
from scoring.formats.rle import RunSet, parse_runs
from scoring.formats.usage import parse_usage, require_both_subsets

TRUTH_HEADER = ["id", "rle", "height", "width", "Usage"]
TRUTH_HEADER_WITH_CLASS = ["id", "rle", "height", "width", "class", "Usage"]
SUBMISSION_HEADER = ["id", "rle"]


@dataclass(frozen=True)
class SegmentationTruth:
    ids: list[str]
    row_of: dict[str, int]
    sizes: np.ndarray  # pixels per row (height × width)
    runs: RunSet
    is_public: np.ndarray
    classes: list[str] = field(default_factory=list)  # sorted; empty without a class column
    class_codes: np.ndarray | None = None  # per row, into `classes`


def _truth_header(path: Path) -> list[str]:
    """The header with a class column if the file's first line is that one (checked strictly by CsvRows either way)."""
    with open(path, "rb") as raw:
        first = raw.readline(4096).decode("utf-8-sig", errors="replace").strip()
    return TRUTH_HEADER_WITH_CLASS if first.split(",") == TRUTH_HEADER_WITH_CLASS else TRUTH_HEADER


def read_truth(path: Path) -> SegmentationTruth:
    header = _truth_header(path)
    rows = CsvRows(path, header, error=TruthError)
    ids: list[str] = []
    row_of: dict[str, int] = {}
    texts: list[str] = []
    sizes: list[int] = []
    row_classes: list[str] = []
    usage = bytearray()
    for row in rows:
        row_id, rle, height, width, usage_text = row[0], row[1], row[2], row[3], row[-1]
        if len(row) == len(TRUTH_HEADER_WITH_CLASS):
            if not row[4]:
                raise TruthError(EMPTY_VALUE, f"truth.csv line {rows.line}: the class is empty.")
            row_classes.append(row[4])
        if not row_id:
            raise TruthError(EMPTY_VALUE, f"truth.csv line {rows.line}: the id is empty.")
        if row_id in row_of:
            raise TruthError(DUPLICATE_ID, f"truth.csv line {rows.line}: id {quote(row_id)} appears twice.")
        sizes.append(_pixels(height, width, rows.line))
        row_of[row_id] = len(ids)
        ids.append(row_id)
        texts.append(rle)
        usage.append(parse_usage(usage_text, line=rows.line, file="truth.csv"))
    if not ids:
        raise TruthError(EMPTY_VALUE, "truth.csv has a header but no rows.")
    size_array = np.array(sizes, dtype=np.int64)
    runs, problem = parse_runs(texts, size_array)
    if problem is not None:
        raise TruthError(BAD_RLE, f"truth.csv line {problem.row + 2} (id {ids[problem.row]!r}): the RLE {problem.message}.")
    is_public = np.frombuffer(bytes(usage), dtype=np.uint8).astype(bool)
    require_both_subsets(is_public, file="truth.csv")
    classes = sorted(set(row_classes))
    codes = None
    if classes:
        code_of = {name: code for code, name in enumerate(classes)}
        codes = np.array([code_of[name] for name in row_classes], dtype=np.int64)
    return SegmentationTruth(ids=ids, row_of=row_of, sizes=size_array, runs=runs, is_public=is_public,
                             classes=classes, class_codes=codes)


def _pixels(height: str, width: str, line: int) -> int:
    try:
        h, w = int(height), int(width)
    except ValueError:
        raise TruthError(BAD_TRUTH, f"truth.csv line {line}: height and width must be whole numbers.") from None
    if h < 1 or w < 1:
        raise TruthError(BAD_TRUTH, f"truth.csv line {line}: height and width must be at least 1.")
    return h * w


def read_predictions(path: Path, truth: SegmentationTruth) -> RunSet:
    """Read a submission and return its runs laid out in truth row order."""
    rows = CsvRows(path, SUBMISSION_HEADER)
    texts: list[str | None] = [None] * len(truth.ids)
    lines = np.zeros(len(truth.ids), dtype=np.int64)
    duplicates: list[tuple[str, int]] = []
    unknown: list[str] = []
    unknown_count = 0
    for row_id, rle in rows:
        row = truth.row_of.get(row_id)
        if row is None:
            if not row_id:
                raise SubmissionError(EMPTY_VALUE, f"Line {rows.line}: the id is empty. Every row needs an id.")
            unknown_count += 1
            if len(unknown) < 5:
                unknown.append(row_id)
        elif texts[row] is not None:
            duplicates.append((row_id, rows.line))
        else:
            texts[row] = rle
            lines[row] = rows.line
    missing = [k for k, text in enumerate(texts) if text is None]
    raise_for_bad_ids(duplicates, unknown, unknown_count, first_ids(truth.ids[k] for k in missing), len(missing), "test.csv")
    runs, problem = parse_runs([text or "" for text in texts], truth.sizes)  # none is None: missing ids raised above
    if problem is not None:
        raise SubmissionError(
            BAD_RLE,
            f"Line {lines[problem.row]} (id {truth.ids[problem.row]!r}): the RLE {problem.message}. "
            "Use Kaggle's encoding: 'start length' pairs, 1-indexed, column-major, sorted; empty for no mask.",
        )
    return runs
