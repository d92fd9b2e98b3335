"""Chromium on the production web server (uvicorn): an open leaderboard is pushed a new score, it never polls."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from load import create_world  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_open_leaderboard_shows_a_new_score_by_push_without_polling(web_server: str, page) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    tokens, submission = create_world(users=2, rows=200, slug="push")
    client = Client()
    client.force_login(get_user_model().objects.get(username="load0001"))
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": web_server}])
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{web_server}/c/push/leaderboard/")
    page.get_by_text("No scored submissions yet").wait_for()
    page.wait_for_timeout(2500)  # longer than the polling interval (1 s) that the stream replaces
    for token in tokens:  # both teams; the viewer's own row is highlighted on the pushed table
        response = requests.post(f"{web_server}/api/v1/competitions/push/submissions/", timeout=30,
                                 headers={"Authorization": f"Token {token}"}, files={"file": ("p.csv", submission)})
        assert response.status_code == 201, response.text
    page.locator("table.leaderboard tr.mine", has_text="load0001").wait_for(timeout=60000)
    assert page.locator("table.leaderboard tbody tr").count() == 2
    assert [url for url in asked if "/leaderboard/events/" in url], "the page opens an event stream"
    assert not [url for url in asked if "/leaderboard/table/" in url], "and does not poll while it is open"
