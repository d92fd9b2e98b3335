"""Server-rendered pages: browsing, joining, submitting and following a submission."""
from __future__ import annotations

import pytest
from django.test import Client

from submissions.models import Submission
from submissions.results import submission_score

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: None)


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.mark.parametrize("path", ["/", "/c/topic/", "/c/topic/data/", "/c/topic/evaluation/", "/c/topic/rules/",
                                  "/c/topic/leaderboard/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_render(client: Client, competition, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert b"Podium" in response.content


def test_the_evaluation_page_defaults_to_the_task_description(client: Client, competition) -> None:
    assert b"accuracy" in client.get("/c/topic/evaluation/").content


def test_signing_up_logs_the_new_user_in(client: Client, competition) -> None:
    response = client.post("/accounts/signup/", {"username": "dora", "password1": "a-long-pass-123", "password2": "a-long-pass-123"})
    assert response.status_code == 302
    assert b"dora" in client.get("/").content


def test_joining_needs_the_rules_accepted(alice_client: Client, competition) -> None:
    alice_client.post("/c/topic/join/", {})
    assert b"accept_rules=true" in alice_client.get("/c/topic/rules/").content
    alice_client.post("/c/topic/join/", {"accept_rules": "on"})
    assert b"You are on team" in alice_client.get("/c/topic/rules/").content
    assert b"Download" in alice_client.get("/c/topic/data/").content


def test_submitting_from_the_form_then_seeing_the_score(alice_client: Client, competition, alice_joined, text_bundle) -> None:
    with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
        response = alice_client.post("/c/topic/submit/", {"file": handle, "description": "keywords", "kind": "predictions"})
    assert response.status_code == 302 and response["Location"] == "/c/topic/submissions/"
    submission = Submission.objects.get()
    assert b"queued" in alice_client.get("/c/topic/submissions/").content
    submission_score(submission_id=submission.pk, task_id="t")
    submission.refresh_from_db()
    page = alice_client.get("/c/topic/submissions/table/").content.decode()
    assert "scored" in page and f"{submission.public_score:.5f}" in page
    assert "hidden" in page  # the private score, before the reveal
    detail = alice_client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "macro_f1" in detail


def test_the_live_fragment_answers_304_when_nothing_changed(alice_client: Client, competition, alice_joined) -> None:
    first = alice_client.get("/c/topic/leaderboard/table/")
    assert first.status_code == 200
    again = alice_client.get("/c/topic/leaderboard/table/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_failed_submission_shows_its_code_and_message(alice_client: Client, competition, alice_joined, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\nnope,food\n")
    with open(bad, "rb") as handle:
        alice_client.post("/c/topic/submit/", {"file": handle, "kind": "predictions"})
    submission_score(submission_id=Submission.objects.get().pk, task_id="t")
    page = alice_client.get("/c/topic/submissions/").content.decode()
    assert "unknown-ids" in page and "not in the test set" in page
