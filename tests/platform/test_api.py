"""The HTTP API of SPEC section 5: shapes, auth and errors."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from submissions.models import Submission
from submissions.results import submission_score
from tests.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: None)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def alice_api(api: APIClient, alice) -> APIClient:
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "alice-pass-1"}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return api


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_a_wrong_password_gets_no_token(api: APIClient, alice) -> None:
    assert_error(api.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"), 401, "bad-credentials")


def test_a_missing_field_is_named(api: APIClient) -> None:
    error = assert_error(api.post("/api/v1/auth/token/", {"username": "alice"}, format="json"), 400, "invalid")
    assert "password" in error["message"]


def test_competitions_list_has_the_spec_fields(api: APIClient, competition) -> None:
    rows = api.get("/api/v1/competitions/").json()
    assert rows == [{
        "slug": "topic", "title": "Topic", "task": "text-classification", "metric": "accuracy",
        "start": rows[0]["start"], "end": rows[0]["end"], "state": "active",
    }]


def test_an_unknown_competition_is_404(alice_api: APIClient) -> None:
    assert_error(alice_api.get("/api/v1/competitions/nope/"), 404, "not-found")
    assert_error(alice_api.get("/api/v1/competitions/nope/leaderboard/"), 404, "not-found")


def test_files_need_a_login_then_joining(api: APIClient, alice_api: APIClient, competition) -> None:
    assert_error(APIClient().get("/api/v1/competitions/topic/files/"), 401, "not-authenticated")
    assert_error(alice_api.get("/api/v1/competitions/topic/files/"), 403, "not-joined")
    assert_error(alice_api.post("/api/v1/competitions/topic/join/", {}, format="json"), 400, "rules-not-accepted")
    joined = alice_api.post("/api/v1/competitions/topic/join/", {"accept_rules": True}, format="json")
    assert joined.status_code == 200 and joined.json()["team"] == "alice"
    files = alice_api.get("/api/v1/competitions/topic/files/").json()
    assert sorted(f["name"] for f in files) == ["sample_submission.csv", "test.csv", "train.csv"]
    download = alice_api.get(files[0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"id,")


def test_the_truth_is_never_downloadable(alice_api: APIClient, competition, alice_joined) -> None:
    assert alice_api.get("/api/v1/competitions/topic/files/truth.csv").status_code == 404


def test_submit_then_read_status_scores_and_error(alice_api: APIClient, competition, alice_joined, text_bundle) -> None:
    with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
        response = alice_api.post("/api/v1/competitions/topic/submissions/", {"file": handle, "description": "kw"}, format="multipart")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "queued" and created["kind"] == "predictions" and created["error"] is None
    submission_score(submission_id=created["id"], task_id="t")
    detail = alice_api.get(f"/api/v1/submissions/{created['id']}/").json()
    assert detail["status"] == "scored"
    assert set(detail["scores"]) == {"accuracy", "macro_f1", "micro_f1", "weighted_f1"}
    assert detail["public_score"] == detail["scores"]["accuracy"]
    assert detail["private_score"] is None  # not before the reveal
    listed = alice_api.get("/api/v1/competitions/topic/submissions/").json()
    assert [s["id"] for s in listed] == [created["id"]]


def test_the_daily_limit_is_a_429_saying_when_it_resets(alice_api: APIClient, competition, alice_joined, text_bundle) -> None:
    path = text_bundle.baselines["Coin Flippers"]
    for _ in range(competition.daily_submission_limit):
        assert alice_api.post("/api/v1/competitions/topic/submissions/", {"file": upload(path)}, format="multipart").status_code == 201
    response = alice_api.post("/api/v1/competitions/topic/submissions/", {"file": upload(path)}, format="multipart")
    error = assert_error(response, 429, "daily-limit")
    assert "resets at" in error["message"] and response["Retry-After"]
    remaining = alice_api.get("/api/v1/competitions/topic/").json()["remaining_submissions_today"]
    assert remaining == 0


def test_an_oversize_upload_is_413(alice_api: APIClient, competition, alice_joined, text_bundle) -> None:
    competition.max_submission_mb = 0
    competition.save()
    response = alice_api.post("/api/v1/competitions/topic/submissions/",
                              {"file": upload(text_bundle.baselines["Coin Flippers"])}, format="multipart")
    assert_error(response, 413, "too-large")


def test_another_teams_submission_is_not_found(alice_api: APIClient, competition, bob, text_bundle) -> None:
    from teams.services import membership_join

    team = membership_join(competition=competition, user=bob, accept_rules=True).team
    theirs = Submission.objects.create(competition=competition, team=team, file="x.csv")
    assert_error(alice_api.get(f"/api/v1/submissions/{theirs.pk}/"), 404, "not-found")


def test_the_private_leaderboard_is_refused_before_the_reveal(alice_api: APIClient, competition) -> None:
    assert_error(alice_api.get("/api/v1/competitions/topic/leaderboard/?board=private"), 403, "not-revealed")
    public = alice_api.get("/api/v1/competitions/topic/leaderboard/").json()
    assert public == {"metric": "accuracy", "board": "public", "higher_is_better": True, "entries": [], "mine": None,
                      "count": 0, "page": 1, "pages": 1, "page_size": 100, "next": None, "previous": None,
                      "phase": None}


def test_the_openapi_schema_and_docs_are_served(api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/competitions/{slug}/submissions/" in schema.json()["paths"]
    assert api.get("/api/docs/").status_code == 200


def test_lists_are_paginated_with_link_headers(api: APIClient, competition, organizer) -> None:
    from datetime import timedelta

    from competitions.models import Competition

    for k in range(4):
        Competition.objects.create(slug=f"extra-{k}", title=f"Extra {k}", task="detection", start_at=competition.start_at,
                                   end_at=competition.end_at + timedelta(days=k),
                                   published_at=competition.published_at)
    first = api.get("/api/v1/competitions/?page_size=2")
    assert len(first.json()) == 2 and first["X-Total-Count"] == "5" and 'rel="next"' in first["Link"]
    last = api.get("/api/v1/competitions/?page_size=2&page=3")
    assert len(last.json()) == 1 and 'rel="prev"' in last["Link"] and "next" not in last["Link"]
    error = assert_error(api.get("/api/v1/competitions/?page_size=0"), 400, "invalid")
    assert "page_size" in error["message"]


def test_tokens_are_named_shown_once_and_revocable(api: APIClient, alice) -> None:
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    page = browser.post("/accounts/profile/", {"action": "create", "name": "laptop"}).content.decode()
    key = page.split("New token: <code>")[1].split("</code>")[0]
    assert key not in browser.get("/accounts/profile/").content.decode()  # shown once
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/competitions/topic/submissions/").status_code == 404  # authenticated (no such competition)
    from accounts.models import ApiToken

    token = ApiToken.objects.get(name="laptop")
    assert token.key_hash != key and token.last_used_at is not None
    browser.post("/accounts/profile/", {"action": "revoke", "token": token.pk})
    assert_error(api.get("/api/v1/competitions/topic/submissions/"), 401, "bad-credentials")


def test_password_guessing_is_rate_limited_on_the_api_and_the_login_form(api: APIClient, alice, settings) -> None:
    from django.test import Client

    settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE = 3
    for _ in range(3):
        assert_error(api.post("/api/v1/auth/token/", {"username": "alice", "password": "guess"}, format="json"), 401, "bad-credentials")
    limited = api.post("/api/v1/auth/token/", {"username": "alice", "password": "alice-pass-1"}, format="json")
    error = assert_error(limited, 429, "rate-limited")
    assert "try again in" in error["message"] and limited["Retry-After"]
    browser = Client()
    for _ in range(3):
        assert browser.post("/accounts/login/", {"username": "alice", "password": "guess"}).status_code == 200
    assert browser.post("/accounts/login/", {"username": "alice", "password": "alice-pass-1"}).status_code == 429


def test_with_the_rate_limit_counters_unreachable_people_can_still_sign_in(api: APIClient, alice, settings) -> None:
    from django.test import Client

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    assert api.post("/api/v1/auth/token/", {"username": "alice", "password": "alice-pass-1"}, format="json").status_code == 200
    assert Client().post("/accounts/login/", {"username": "alice", "password": "alice-pass-1"}).status_code == 302
