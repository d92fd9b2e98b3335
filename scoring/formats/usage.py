"""Kaggle's `Usage` column: which rows score the public and the private leaderboard."""
from __future__ import annotations

import numpy as np

from scoring.errors import BAD_TRUTH, TruthError, quote

PUBLIC = "Public"
PRIVATE = "Private"


def parse_usage(value: str, *, line: int | str, file: str) -> int:
    """1 for Public, 0 for Private; anything else is an organizer's mistake."""
    if value == PUBLIC:
        return 1
    if value == PRIVATE:
        return 0
    raise TruthError(BAD_TRUTH, f"{file} line {line}: Usage is {quote(value)} but must be 'Public' or 'Private'.")


def require_both_subsets(is_public: np.ndarray, *, file: str) -> None:
    if not is_public.any() or is_public.all():
        raise TruthError(
            BAD_TRUTH,
            f"{file} must mark some rows Usage=Public and some Usage=Private "
            f"(it has {int(is_public.sum())} public and {int((~is_public).sum())} private).",
        )
