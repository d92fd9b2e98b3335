"""Errors raised while reading or scoring files.

A `SubmissionError` is the participant's to fix: it carries a stable `code`
and a message saying what is wrong, where, and how to fix it. A `TruthError`
is the organizer's: the same shape, raised for the hidden truth file. Neither
message ever quotes a hidden label.
"""
from __future__ import annotations

from collections.abc import Iterable

# Stable error codes (SPEC section 2). Participants and scripts rely on them.
BAD_HEADER = "bad-header"
BAD_ROW = "bad-row"
DUPLICATE_ID = "duplicate-id"
MISSING_IDS = "missing-ids"
UNKNOWN_IDS = "unknown-ids"
EMPTY_VALUE = "empty-value"
UNKNOWN_LABEL = "unknown-label"
NOT_UTF8 = "not-utf8"
EMPTY_FILE = "empty-file"
BAD_JSON = "bad-json"
MISSING_FIELD = "missing-field"
UNKNOWN_IMAGE = "unknown-image"
UNKNOWN_CATEGORY = "unknown-category"
BAD_BBOX = "bad-bbox"
BAD_SCORE = "bad-score"
BAD_RLE = "bad-rle"
TOO_LARGE = "too-large"
BAD_TRUTH = "bad-truth"
# Tabular files (SPEC section 2).
BAD_NUMBER = "bad-number"
NOT_FINITE = "not-finite"
BAD_PROBABILITY = "bad-probability"
NEGATIVE_VALUE = "negative-value"
NO_CLASSES = "no-classes"


class ScoringError(Exception):
    """A file that cannot be scored, with a stable code and an actionable message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class SubmissionError(ScoringError):
    """The participant's submission is invalid; shown to them, never retried."""


class TruthError(ScoringError):
    """The organizer's truth file is invalid."""


QUOTE_CHARS = 80


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """A value from a participant's file, quoted for a message: at most `limit` characters of it.

    Files cross a trust boundary; a message quoting a 50 MB line whole would make every page and
    API response that shows it 50 MB.
    """
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def describe_values(values: Iterable[object], total: int, limit: int = 5) -> str:
    """'a', 'b', 'c' and 12 more: the first few offending values and a count of the rest."""
    shown = [quote(value) if not isinstance(value, int) else str(value) for value in list(values)[:limit]]
    text = ", ".join(shown)
    if total > len(shown):
        text += f" and {total - len(shown)} more"
    return text


# The first bytes of files participants upload as predictions by mistake: what they are, and what to do.
_BINARY_KINDS = (
    (b"PK\x03\x04", "a zip archive (a TorchScript model or a zipped model package)", True),
    (b"\x89PNG", "a PNG image", False),
    (b"\xff\xd8\xff", "a JPEG image", False),
    (b"\x80\x02", "a pickle (a PyTorch checkpoint, for one)", True),
)


def binary_hint(head: bytes) -> str:
    """A sentence for a predictions file that is not text: what it seems to be (a model, an image), and the fix."""
    for magic, kind, model in _BINARY_KINDS:
        if head.startswith(magic):
            fix = ("If it is your model, submit it as a Model (Submit page: Model; CLI: --model) where the competition "
                   "takes models. " if model else "")
            return f" This file looks like {kind}, not a predictions file. {fix}Predictions are the text file the " \
                   "Evaluation page describes."
    if head[:1] == b"\x08" and b"\x12" in head[:16]:  # protobuf: ONNX's ir_version, then its producer
        return (" This file looks like an ONNX model, not a predictions file. If it is your model, submit it as a "
                "Model (Submit page: Model; CLI: --model) where the competition takes models.")
    return ""
