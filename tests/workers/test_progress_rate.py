"""However often a model reports progress, at most one update a second reaches the scoring queue."""
from __future__ import annotations

import time

import pytest


def test_five_thousand_reports_send_at_most_one_message_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import tasks

    sent: list[tuple] = []
    monkeypatch.setattr(tasks.app, "send_task", lambda name, args, queue: sent.append((name, tuple(args), queue)))
    report = tasks._progress_sender(7, "celery@here")
    started = time.monotonic()
    for done in range(5000):
        report(done, 5000)
        if done % 1000 == 999:
            time.sleep(0.3)  # the run takes over a second: a second message may go
    elapsed = time.monotonic() - started
    assert 1 <= len(sent) <= int(elapsed) + 1
    assert sent[0] == ("workers.tasks.inference_progress", (7, 0, 5000, "celery@here"), "scoring")
