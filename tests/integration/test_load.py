"""Load, scaled down for CI: concurrent uploads from many users while clients poll the leaderboard.

The full-size run (200 uploads, 500 pollers, 60 s, with figures) is `python bench/run.py load`;
it uses the same `run_load`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from submissions import states
from submissions.models import Submission

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from load import create_world, run_load  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UPLOADS, POLLERS, SECONDS = 30, 60, 8


def test_concurrent_uploads_under_polling_are_all_scored_once_with_no_server_error(web_server: str) -> None:
    tokens, submission = create_world(users=UPLOADS, rows=500)
    result = run_load(base=web_server, slug="load", tokens=tokens, submission=submission, pollers=POLLERS,
                      seconds=SECONDS, upload_after=1.0)
    assert result.upload_statuses == {201: UPLOADS}
    assert result.final_statuses["scored"] == UPLOADS and result.final_statuses["unfinished"] == 0
    polls = result.polls.statuses
    # Every poller was answered (a throughput floor is the benchmark's: bench/run.py load; here it would measure
    # the machine's load, not the server).
    assert sum(polls.values()) >= POLLERS
    assert set(polls) <= {200, 304}, polls  # no 5xx, no connection errors
    assert polls[304] > 0, "idle polls must be answered 'not modified'"
    rows = Submission.objects.filter(competition__slug="load")
    assert rows.count() == UPLOADS and set(rows.values_list("status", flat=True)) == {states.SCORED}
    assert set(rows.values_list("attempt", flat=True)) == {1}  # each scored by one claim
