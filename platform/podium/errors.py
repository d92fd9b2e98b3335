"""Errors a request can end in, each with a stable code shown to the user."""
from __future__ import annotations


class PodiumError(Exception):
    """A request the platform refuses: a stable `code`, a message saying what to do, an HTTP status."""

    def __init__(self, code: str, message: str, *, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
