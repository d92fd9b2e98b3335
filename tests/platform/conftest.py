"""Fixtures of the platform tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def broker_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The services run in-process here: what they would send to the broker is recorded, not sent."""
    sent: list[int] = []
    record = lambda *, submission_id: sent.append(submission_id)  # noqa: E731
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", record)
    monkeypatch.setattr("submissions.dispatch.submission_enqueue_scoring", record)
    return sent
