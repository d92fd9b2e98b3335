"""Kaggle's run-length encoding of binary masks.

`start length` pairs, space-separated; starts are 1-indexed; pixels are
numbered top to bottom, then left to right (column-major); runs are sorted and
do not overlap; the empty string is the empty mask. Masks are never decoded to
pixels for scoring: `RunSet` keeps every row's runs as intervals on one global
pixel axis, so a whole file is validated and compared with a few numpy calls.
"""
from __future__ import annotations

from scoring.errors import quote

from dataclasses import dataclass

import numpy as np


def rle_encode(mask: np.ndarray) -> str:
    """Encode a 2-D binary mask (height × width)."""
    pixels = np.asarray(mask, dtype=bool).ravel(order="F")
    edges = np.flatnonzero(np.diff(np.concatenate(([False], pixels, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    runs = np.empty(starts.size * 2, dtype=np.int64)
    runs[0::2], runs[1::2] = starts + 1, ends - starts
    return " ".join(map(str, runs.tolist()))


@dataclass(frozen=True)
class RleProblem:
    row: int  # index into the rows given
    message: str


@dataclass(frozen=True)
class RunSet:
    """Runs of many masks as half-open intervals [start, end) on one global pixel axis.

    Row r's pixel p (1-indexed) sits at `offsets[r] + p - 1`; intervals are
    sorted globally because rows are laid out one after another.
    """

    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    rows: np.ndarray  # int64 row of each run
    n_rows: int

    def areas(self) -> np.ndarray:
        return np.bincount(self.rows, weights=self.ends - self.starts, minlength=self.n_rows)

    def intersection_areas(self, other: "RunSet") -> np.ndarray:
        """|self_r ∩ other_r| for every row r (both laid out on the same axis)."""
        covered = _coverage_below(other, self.ends) - _coverage_below(other, self.starts)
        return np.bincount(self.rows, weights=covered, minlength=self.n_rows)


def _coverage_below(runs: RunSet, points: np.ndarray) -> np.ndarray:
    """For each point x, how many pixels of `runs` lie below x."""
    if runs.starts.size == 0:
        return np.zeros(points.shape, dtype=np.int64)
    lengths = runs.ends - runs.starts
    before = np.concatenate(([0], np.cumsum(lengths)))  # before[k]: pixels in runs[:k]
    # Runs starting at or below x: all but the last of them lie wholly below x.
    count = np.searchsorted(runs.starts, points, side="right")
    last = np.maximum(count - 1, 0)
    partial = np.clip(points - runs.starts[last], 0, lengths[last])
    return np.where(count > 0, before[last] + partial, 0)


def parse_runs(texts: list[str], sizes: np.ndarray) -> tuple[RunSet, RleProblem | None]:
    """Parse one RLE string per row (row r has `sizes[r]` pixels); report the first problem, if any."""
    sizes = np.asarray(sizes, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    chunks, counts = [], np.zeros(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = text.split()
        if len(tokens) % 2:
            return _empty(len(texts)), RleProblem(row, f"has {len(tokens)} numbers; RLE needs start/length pairs")
        try:
            values = np.array(tokens, dtype=np.int64)
        except (ValueError, OverflowError):
            bad = next((t for t in tokens if not t.lstrip("-").isdigit()), None)
            if bad is None:
                return _empty(len(texts)), RleProblem(row, f"contains a number past the image's {sizes[row]} pixels")
            return _empty(len(texts)), RleProblem(row, f"contains {quote(bad, 20)}, which is not a whole number")
        if values.size and int(np.abs(values).max()) > sizes[row]:
            # Checked before any arithmetic: start + length must not overflow int64.
            return _empty(len(texts)), RleProblem(row, f"contains {int(np.abs(values).max())}, past the image's {sizes[row]} pixels")
        chunks.append(values)
        counts[row] = values.size // 2
    flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    starts, lengths = flat[0::2], flat[1::2]
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    problem = _check(starts, lengths, rows, sizes)
    if problem is not None:
        return _empty(len(texts)), problem
    global_starts = starts - 1 + offsets[rows]
    return RunSet(global_starts, global_starts + lengths, rows, len(texts)), None


def _check(starts: np.ndarray, lengths: np.ndarray, rows: np.ndarray, sizes: np.ndarray) -> RleProblem | None:
    """The first run (in file order) that breaks a rule, as a problem to report."""
    ends = starts + lengths - 1  # last pixel, 1-indexed
    same_row = np.concatenate((rows[1:] == rows[:-1], [False]))
    next_start = np.concatenate((starts[1:], [0]))
    checks = [
        (starts < 1, "starts at {start}; starts are 1-indexed (the first pixel is 1)"),
        (lengths < 1, "has length {length}; lengths must be at least 1"),
        (ends > sizes[rows], "ends at pixel {end}, past the image's {size} pixels (height × width)"),
        (same_row & (next_start <= ends), "overlaps or precedes the next run; runs must be sorted and not overlap"),
    ]
    first: tuple[int, str] | None = None
    for broken, template in checks:
        hits = np.flatnonzero(broken)
        if hits.size and (first is None or hits[0] < first[0]):
            first = (int(hits[0]), template)
    if first is None:
        return None
    index, template = first
    row = int(rows[index])
    run_in_row = index - int(np.searchsorted(rows, row))
    detail = template.format(start=starts[index], length=lengths[index], end=ends[index], size=sizes[row])
    return RleProblem(row, f"run {run_in_row + 1} ({starts[index]} {lengths[index]}) {detail}")


def _empty(n_rows: int) -> RunSet:
    zero = np.zeros(0, dtype=np.int64)
    return RunSet(zero, zero, zero, n_rows)


def rle_decode(text: str, height: int, width: int) -> np.ndarray:
    """The 2-D mask an RLE string describes (assumed valid: parse_runs checks)."""
    flat = np.zeros(height * width, dtype=bool)
    runs = np.array(text.split(), dtype=np.int64)
    for start, length in zip(runs[0::2], runs[1::2]):
        flat[start - 1:start - 1 + length] = True
    return flat.reshape((width, height)).T
