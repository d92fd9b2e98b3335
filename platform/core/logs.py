"""Logs that follow one submission through the web server, the scoring worker and the inference worker.

`submission_context(id)` binds a submission id to the current thread of work;
`SubmissionFilter` stamps it on every record logged meanwhile (Podium's and
Celery's own), and both formats print it: `submission=42` in plain text, a
`"submission": 42` key in JSON lines (LOG_FORMAT=json). Workers bind it from
each task's arguments (workers/app.py), so `grep submission=42` across all
logs tells one submission's story.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_current: ContextVar[int | None] = ContextVar("podium_submission", default=None)


@contextmanager
def submission_context(submission_id: int | None) -> Iterator[None]:
    token = _current.set(submission_id)
    try:
        yield
    finally:
        _current.reset(token)


def bind_submission(submission_id: int | None) -> Token[int | None]:
    """For code that cannot use a `with` block (Celery's prerun/postrun signals): returns the reset token."""
    return _current.set(submission_id)


def unbind_submission(token: Token[int | None]) -> None:
    _current.reset(token)


class SubmissionFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "submission"):
            current = _current.get()
            record.submission = "-" if current is None else current
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, submission (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "submission": getattr(record, "submission", "-"),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
