"""Live pages are pushed, not polled: server-sent events from uvicorn, fanned out through Redis pub/sub.

Real stack: uvicorn (3 processes), Redis, a Celery scoring worker. Streams are
opened as a browser's EventSource opens them; a score made by the worker must
reach every open board, an idle stream must send nothing, and a stream that
Redis dropped must catch up once Redis is back.
"""
from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from load import create_world  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Stream:
    """An open event stream, read in a thread: the events (name, data) it received, and every byte."""

    def __init__(self, url: str, *, cookies: dict[str, str] | None = None) -> None:
        self.events: list[tuple[str, str]] = []
        self.raw = bytearray()
        self.response = requests.get(url, stream=True, timeout=(5, 120), cookies=cookies,
                                     headers={"Accept": "text/event-stream"})
        assert self.response.status_code == 200, self.response.status_code
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.socket = self.response.raw.connection.sock  # closed from here: a blocked reader then sees the end
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = "message", []
        try:
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=False):
                self.raw += line + b"\n"
                text = line.decode()
                if text.startswith("event: "):
                    name = text[7:]
                elif text.startswith("data: "):
                    data.append(text[6:])
                elif text == "" and data:
                    self.events.append((name, "\n".join(data)))
                    name, data = "message", []
        except (requests.RequestException, OSError, AttributeError, ValueError):
            pass  # closed by close()

    def close(self) -> None:
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=10)


def _upload(base: str, token: str, submission: bytes) -> int:
    response = requests.post(f"{base}/api/v1/competitions/push/submissions/", headers={"Authorization": f"Token {token}"},
                             files={"file": ("predictions.csv", submission)}, data={"kind": "predictions"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_score_is_pushed_to_every_open_board_and_an_idle_stream_sends_nothing(web_server: str) -> None:
    from competitions.models import Competition
    from leaderboards.selectors import leaderboard_version

    tokens, submission = create_world(users=2, rows=200, slug="push")
    version = leaderboard_version(competition=Competition.objects.get(slug="push"))
    streams = [Stream(f"{web_server}/c/push/leaderboard/events/?board=public&v={version}") for _ in range(30)]
    # Before the reveal, asking for the private board gets the public one (never a private score).
    streams.append(Stream(f"{web_server}/c/push/leaderboard/events/?board=private&v={version}"))
    try:
        time.sleep(3)
        assert all(bytes(s.raw).strip() == b"retry: 3000" for s in streams), "an idle board sends nothing"
        _upload(web_server, tokens[0], submission)
        wait_for(lambda: all(any("load0000" in data for name, data in s.events if name == "board") for s in streams),
                 timeout=60)
        table = streams[0].events[-1][1]
        assert 'data-team="' in table and "<table" in table
        assert streams[-1].events[-1][1] == table and "Shake-up" not in table
        # Polling, the fallback, still answers 304 while nothing changes.
        first = requests.get(f"{web_server}/c/push/leaderboard/table/", timeout=10)
        again = requests.get(f"{web_server}/c/push/leaderboard/table/", headers={"If-None-Match": first.headers["ETag"]},
                             timeout=10)
        assert first.status_code == 200 and "load0000" in first.text and again.status_code == 304
    finally:
        for stream in streams:
            stream.close()


def test_the_submission_pages_are_told_when_a_submission_moves(web_server: str) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    tokens, submission = create_world(users=2, rows=200, slug="push")
    client, other = Client(), Client()
    client.force_login(get_user_model().objects.get(username="load0000"))
    other.force_login(get_user_model().objects.get(username="load0001"))
    cookies = {"sessionid": client.cookies["sessionid"].value}
    others = {"sessionid": other.cookies["sessionid"].value}
    listing = Stream(f"{web_server}/c/push/submissions/events/", cookies=cookies)
    try:
        wait_for(lambda: listing.events, timeout=10)  # the catch-up event on connecting
        time.sleep(1)
        before = len(listing.events)
        submission_id = _upload(web_server, tokens[0], submission)
        detail = Stream(f"{web_server}/submissions/{submission_id}/events/", cookies=cookies)
        wait_for(lambda: any(data.startswith("scored:") for name, data in detail.events if name == "state"), timeout=60)
        wait_for(lambda: len(listing.events) > before, timeout=10)
        assert {name for name, _ in listing.events} == {"changed"}
        detail.close()
        # Another participant's submission is not theirs to follow, nor anyone's when logged out.
        assert requests.get(f"{web_server}/submissions/{submission_id}/events/", cookies=others,
                            timeout=10).status_code == 404
        assert requests.get(f"{web_server}/submissions/{submission_id}/events/", timeout=10).status_code == 404
    finally:
        listing.close()


def test_a_stream_catches_up_after_redis_lost_the_message(web_server: str, redis_url: str) -> None:
    """A message published while no process listens is never delivered: the hub's resubscription wakes every stream."""
    import redis

    from competitions.models import Competition
    from leaderboards.selectors import leaderboard_version
    from teams.models import Team

    from submissions import states
    from submissions.models import Submission

    create_world(users=1, rows=200, slug="push")
    competition = Competition.objects.get(slug="push")
    Submission.objects.create(competition=competition, team=Team.objects.get(competition=competition), file="x.csv",
                              status=states.SCORED, public_score=0.5, private_score=0.5)  # on the board
    stream = Stream(f"{web_server}/c/push/leaderboard/events/?board=public&v={leaderboard_version(competition=competition)}")
    try:
        time.sleep(1)
        client = redis.Redis.from_url(redis_url.replace("redis+socket://", "unix://"))
        killed = [c["id"] for c in client.client_list() if c.get("cmd") in ("psubscribe", "punsubscribe")
                  or c.get("psub", "0") != "0"]
        assert killed, "each web process holds one pattern subscription"
        from django.test.utils import override_settings

        with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # the change is made, but not announced
            Team.objects.filter(competition=competition).update(name="renamed while unheard")
            from leaderboards.standings import board_touch

            board_touch(competition_id=competition.pk)
        for client_id in killed:
            client.client_kill_filter(_id=client_id)
        # Well before the keepalive (25 s), when every stream would look again anyway.
        wait_for(lambda: any("renamed while unheard" in data for _, data in stream.events), timeout=10)
    finally:
        stream.close()
