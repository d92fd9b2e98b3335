"""A participant in real Chromium: log in, join, submit, and watch the score arrive without a reload."""
from __future__ import annotations


import pytest

from submissions.models import Submission

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

def test_a_participant_joins_submits_and_sees_the_score_live(
    celery_worker, live_server, page, competition, alice, text_bundle
) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/c/topic/rules/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-pass-1")
    page.click("button[type=submit]")
    page.check("input[name=accept_rules]")
    page.click("button:has-text('Join competition')")
    page.wait_for_selector("text=You have joined")
    page.goto(f"{live_server.url}/c/topic/submit/")
    page.set_input_files("input[name=file]", str(text_bundle.baselines["Keyword Voters"]))
    page.fill("input[name=description]", "keywords from the browser")
    page.click("text=Upload and score")
    page.wait_for_url("**/c/topic/submissions/")
    # The table refreshes itself: the scored status appears without a reload.
    page.wait_for_selector(".status-scored", timeout=30000)
    submission = Submission.objects.get()
    assert f"{submission.public_score:.5f}" in page.inner_text("table")
    page.goto(f"{live_server.url}/c/topic/leaderboard/")
    assert "alice" in page.inner_text(".leaderboard")
