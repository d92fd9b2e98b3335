"""The id checks every row-based format shares: duplicates, unknown ids, missing ids."""
from __future__ import annotations

import heapq
from collections.abc import Iterable

from scoring.errors import DUPLICATE_ID, MISSING_IDS, UNKNOWN_IDS, SubmissionError, describe_values, quote


def first_ids(ids: Iterable[str], count: int = 5) -> list[str]:
    """The first few ids in sorted order: never in the truth file's order, which may follow the hidden split."""
    return heapq.nsmallest(count, ids)


def raise_for_bad_ids(
    duplicates: list[tuple[str, int]],
    unknown: list[str],
    unknown_count: int,
    missing: list[str],
    missing_count: int,
    source: str,
) -> None:
    """Raise the first id problem found, naming the first few ids and counting the rest."""
    if duplicates:
        shown = "; ".join(f"{quote(row_id)} (again on line {line})" for row_id, line in duplicates[:5])
        more = f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else ""
        raise SubmissionError(DUPLICATE_ID, f"Some ids appear more than once: {shown}{more}. Keep one row per id.")
    if unknown_count:
        raise SubmissionError(
            UNKNOWN_IDS,
            f"{unknown_count} ids are not in the test set: {describe_values(unknown, unknown_count)}. "
            f"Use the ids from {source}.",
        )
    if missing_count:
        raise SubmissionError(
            MISSING_IDS,
            f"{missing_count} test ids have no prediction: {describe_values(missing, missing_count)}. "
            f"Submit one row for every id in {source}.",
        )
