"""Load, scaled down for CI: concurrent uploads from many users while clients poll the leaderboard.

The full-size run (200 uploads, 500 pollers, 60 s, with figures) is `python bench/run.py load`;
it uses the same `run_load`.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from submissions import states
from submissions.models import Submission

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from load import create_world, run_load  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UPLOADS, POLLERS, SECONDS = 30, 60, 8


@pytest.fixture
def gunicorn(celery_worker, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The production web server on the test database (Django's test server queues only five connections)."""
    from podium.devstack import start_web, stop_process
    from tests.conftest import _database_url, _worker_env, free_port, wait_for

    port = free_port()
    env = _worker_env(redis_url, _database_url(), tmp_path_factory)
    process = start_web(bind=f"127.0.0.1:{port}", workers=3, env=env, log_path=tmp_path / "web.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), timeout=60)
        yield url
    finally:
        stop_process(process)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/v1/competitions/", timeout=5).ok
    except requests.RequestException:
        return False


def test_concurrent_uploads_under_polling_are_all_scored_once_with_no_server_error(gunicorn: str) -> None:
    tokens, submission = create_world(users=UPLOADS, rows=500)
    result = run_load(base=gunicorn, slug="load", tokens=tokens, submission=submission, pollers=POLLERS,
                      seconds=SECONDS, upload_after=1.0)
    assert result.upload_statuses == {201: UPLOADS}
    assert result.final_statuses["scored"] == UPLOADS and result.final_statuses["unfinished"] == 0
    polls = result.polls.statuses
    assert sum(polls.values()) > POLLERS * (SECONDS - 2)
    assert set(polls) <= {200, 304}, polls  # no 5xx, no connection errors
    assert polls[304] > 0, "idle polls must be answered 'not modified'"
    rows = Submission.objects.filter(competition__slug="load")
    assert rows.count() == UPLOADS and set(rows.values_list("status", flat=True)) == {states.SCORED}
    assert set(rows.values_list("attempt", flat=True)) == {1}  # each scored by one claim
