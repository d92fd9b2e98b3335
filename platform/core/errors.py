"""Errors a request can end in, each with a stable code shown to the user."""
from __future__ import annotations

import scoring.errors as scoring_errors


class PodiumError(Exception):
    """A request the platform refuses: a stable `code`, a message saying what to do, an HTTP status.

    Every code is a constant here (`PodiumError.DAILY_LIMIT`), and only here: raise with the constant.
    """

    ALREADY_MEMBER = "already-member"
    BAD_CREDENTIALS = "bad-credentials"
    COMPETITION_ENDED = "competition-ended"
    COMPETITION_NOT_STARTED = "competition-not-started"
    DAILY_LIMIT = "daily-limit"
    EDIT_WINDOW_CLOSED = "edit-window-closed"
    EMPTY_FILE = scoring_errors.EMPTY_FILE  # an upload refused before scoring, as the scorer would
    INVALID = "invalid"
    INVALID_INVITE = "invalid-invite"
    KIND_NOT_ALLOWED = "kind-not-allowed"
    LAST_MEMBER = "last-member"
    MERGER_CLOSED = "merger-closed"
    MERGER_TOO_MANY_SUBMISSIONS = "merger-too-many-submissions"
    MODEL_FAILURE_LIMIT = "model-failure-limit"
    NAME_TAKEN = "name-taken"
    NOT_AUTHOR = "not-author"
    NOT_FOUND = "not-found"
    NOT_JOINED = "not-joined"
    NOT_ORGANIZER = "not-organizer"
    NOT_READY = "not-ready"
    NOT_REVEALED = "not-revealed"
    NOT_SCORED = "not-scored"
    POSTING_TOO_FAST = "posting-too-fast"
    RULES_NOT_ACCEPTED = "rules-not-accepted"
    SELECTION_CLOSED = "selection-closed"
    SELECTION_LIMIT = "selection-limit"
    TEAM_DISQUALIFIED = "team-disqualified"
    TEAM_FULL = "team-full"
    TOO_LARGE = scoring_errors.TOO_LARGE
    TOO_MANY_PENDING = "too-many-pending"
    TOPIC_LOCKED = "topic-locked"
    UNKNOWN_USER = "unknown-user"
    UPLOAD_QUOTA = "upload-quota"
    # Answered by the web layer itself, without a PodiumError raised.
    BAD_REQUEST = "bad-request"
    FORBIDDEN = "forbidden"
    PLATFORM_ERROR = "platform-error"  # a submission failed on the platform's side (stored, retried)
    BODY_TIMEOUT = "body-timeout"
    SERVER_ERROR = "server-error"

    def __init__(self, code: str, message: str, *, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
