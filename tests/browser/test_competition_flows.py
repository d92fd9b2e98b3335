"""Kaggle's mechanics in real Chromium: sign up, join, download, submit, live status and leaderboard,
the daily limit, final selection, and the private board after the reveal. Takes screenshots of the
main pages (the README shows the copies in docs/screenshots, refreshed by `make screenshots`)."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from submissions.models import Submission
from teams.services import membership_join
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# var/screenshots by default; `make screenshots` writes the copies the README shows, in docs/screenshots.
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / os.environ.get("PODIUM_SCREENSHOTS", "var/screenshots")

def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sign_up_join_download_submit_and_watch_scores_arrive_live(
    celery_worker, live_server, page, competition, bob, text_bundle, tmp_path: Path
) -> None:
    page.goto(f"{live_server.url}/")
    shot(page, "competitions")
    page.click("text=Sign up")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password1]", "a-long-pass-123")
    page.fill("input[name=password2]", "a-long-pass-123")
    page.click("button[type=submit]")
    page.click("text=Topic")
    shot(page, "overview")
    page.click("nav.tabs >> text=Rules")
    page.check("input[name=accept_rules]")
    page.click("button:has-text('Join competition')")
    page.wait_for_selector("text=You have joined")
    page.click("nav.tabs >> text=Data")
    with page.expect_download() as download:
        page.click(".data-file:has-text('test.csv') >> text=Download")
    saved = tmp_path / "test.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("id,text")
    shot(page, "data")
    page.click("nav.tabs >> text=Submit")
    page.set_input_files("input[name=file]", str(text_bundle.baselines["First Word Wins"]))
    shot(page, "submit")
    page.click("text=Upload and score")
    page.wait_for_url("**/c/topic/submissions/")
    page.wait_for_selector(".status-scored", timeout=30000)
    shot(page, "my-submissions")
    # The leaderboard follows new scores without a reload: bob submits a better file through the API.
    page.click("nav.tabs >> text=Leaderboard")
    page.wait_for_selector(".leaderboard >> text=dora")
    membership_join(competition=competition, user=bob, accept_rules=True)
    api = APIClient()
    api.force_authenticate(bob)
    with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
        created = api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart")
    wait_for(lambda: Submission.objects.filter(pk=created.json()["id"], status="scored").exists(), timeout=30, interval=0.02)
    # Recorded: the open page must show it within 2 seconds, without a reload.
    page.wait_for_selector(".leaderboard >> text=bob", timeout=2000)
    shot(page, "leaderboard")


def test_signing_up_from_a_competition_comes_back_to_it_with_a_welcome(live_server, page, competition) -> None:
    page.goto(f"{live_server.url}/c/topic/")
    page.click("text=Log in to join")
    page.click("text=Create an account")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=password1]", "a-long-pass-123")
    page.fill("input[name=password2]", "a-long-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/c/topic/")
    assert "Welcome to Podium, erin" in page.inner_text(".messages")
    page.context.clear_cookies()  # logged out: the Rules tab's sign-up link keeps the way back too
    page.goto(f"{live_server.url}/c/topic/rules/")
    assert page.get_attribute("main a:text-is(\"sign up\")", "href") == "/accounts/signup/?next=/c/topic/rules/"


def test_the_daily_limit_is_shown_and_enforced(celery_worker, live_server, page, competition, alice, alice_joined, text_bundle) -> None:
    competition.daily_submission_limit = 1
    competition.save()
    log_in(page, live_server, "alice", "alice-pass-1")
    page.goto(f"{live_server.url}/c/topic/submit/")
    assert "1 of 1 submissions left today" in page.inner_text(".quota")
    page.set_input_files("input[name=file]", str(text_bundle.baselines["Coin Flippers"]))
    page.click("text=Upload and score")
    page.wait_for_selector(".status-scored", timeout=30000)
    page.goto(f"{live_server.url}/c/topic/submit/")
    assert "0 of 1 submissions left today" in page.inner_text(".quota") and "resets" in page.inner_text(".quota")
    assert page.is_disabled("text=Upload and score")


def test_final_selection_and_the_private_board_after_the_reveal(
    celery_worker, live_server, page, competition, alice, alice_joined, text_bundle
) -> None:
    api = APIClient()
    api.force_authenticate(alice)
    ids = []
    for name in ("Keyword Voters", "Coin Flippers"):
        with open(text_bundle.baselines[name], "rb") as handle:
            ids.append(api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"])
    for submission_id in ids:
        wait_for(lambda i=submission_id: Submission.objects.filter(pk=i, status="scored").exists(), timeout=30)
    log_in(page, live_server, "alice", "alice-pass-1")
    page.goto(f"{live_server.url}/submissions/{ids[1]}/")
    assert page.inner_text(".badge[class*=state-]") == "Active"  # the competition's state, not the submission's
    page.click("text=Select for final ranking")
    page.wait_for_selector("text=Unselect for final ranking")
    shot(page, "submission")
    page.goto(f"{live_server.url}/c/topic/leaderboard/")
    assert page.locator(".segmented .disabled:has-text('Private')").count() == 1  # not before the reveal
    # Move the clock: the competition ended and its private scores are revealed.
    # (The submissions are dated back first: saving the new end rebuilds the standings from them.)
    Submission.objects.filter(pk__in=ids).update(created_at=timezone.now() - timedelta(days=1))
    competition.start_at, competition.end_at = timezone.now() - timedelta(days=10), timezone.now() - timedelta(minutes=5)
    competition.reveal_at = timezone.now() - timedelta(minutes=1)
    competition.save()
    page.goto(f"{live_server.url}/submissions/{ids[0]}/")
    assert page.inner_text(".badge[class*=state-]") == "Ended"
    assert page.locator("text=Select for final ranking").count() == 0  # closed: no button to be refused by
    assert "Final selections closed" in page.inner_text("main")
    page.goto(f"{live_server.url}/c/topic/leaderboard/?board=private")
    selected = Submission.objects.get(pk=ids[1])
    assert f"{selected.private_score:.5f}" in page.inner_text(".leaderboard")  # the selected one counts
    assert "shake-up" in page.inner_text(".leaderboard").lower()
    shot(page, "private-leaderboard")
