"""The scoring path through real processes: an API upload, Redis, and a Celery worker process."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from submissions import states
from submissions.models import Submission
from tests.conftest import wait_for
from tests.platform.test_submission_services import reference_scores

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice_api(alice, alice_joined) -> APIClient:
    api = APIClient()
    api.force_authenticate(alice)
    return api


def final(submission_id: int) -> Submission:
    return wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=60)


def test_a_worker_scores_an_uploaded_file_exactly_as_sklearn(celery_worker, alice_api, text_bundle) -> None:
    predictions = text_bundle.baselines["Keyword Voters"]
    with open(predictions, "rb") as handle:
        response = alice_api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart")
    assert response.status_code == 201
    submission = final(response.json()["id"])
    assert submission.status == states.SCORED, submission.error_message
    expected = reference_scores(text_bundle, predictions)
    assert submission.public_scores == pytest.approx(expected["public"], abs=1e-12)
    assert submission.private_scores == pytest.approx(expected["private"], abs=1e-12)
    assert submission.attempt == 1


def test_a_worker_fails_a_bad_file_with_its_code(celery_worker, alice_api, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,label\nt00000,food\nt00000,food\n")
    with open(bad, "rb") as handle:
        response = alice_api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart")
    submission = final(response.json()["id"])
    assert (submission.status, submission.error_code) == (states.FAILED, "duplicate-id")
    detail = alice_api.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert detail["error"]["code"] == "duplicate-id" and "line 3" in detail["error"]["message"]


def test_many_submissions_are_each_scored_once(celery_worker, alice_api, competition, text_bundle) -> None:
    competition.daily_submission_limit = 20
    competition.save()
    ids = []
    for name in ["Keyword Voters", "First Word Wins", "Coin Flippers"] * 4:
        with open(text_bundle.baselines[name], "rb") as handle:
            ids.append(alice_api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"])
    for submission_id in ids:
        assert final(submission_id).status == states.SCORED
    assert sorted(Submission.objects.values_list("attempt", flat=True)) == [1] * len(ids)


def test_the_health_endpoint_reports_database_broker_queues_and_workers(celery_worker, client, admin_user) -> None:
    assert client.get("/health/").json() == {"status": "ok"}  # anonymous: the status alone
    client.force_login(admin_user)
    report = client.get("/health/").json()
    assert report["status"] == "ok" and report["database"]["ok"] and report["broker"]["ok"]
    assert set(report["queues"]) == {"scoring", "inference", "programs"}
    assert set(report["programs"]) == {"status", "sandboxes"}  # whether scoring programs can run (workers/gate.py)
    beats = report["workers"]["scoring"]
    assert beats and min(beats.values()) < 30  # the live worker's recent heartbeat


def test_the_health_endpoint_answers_503_when_the_broker_is_down(client, redis_url: str, tmp_path, admin_user) -> None:
    from tests.conftest import _point_app_at
    from workers.app import app

    client.force_login(admin_user)
    _point_app_at(app, f"redis+socket://{tmp_path}/nothing-listens-here.sock")
    try:
        response = client.get("/health/")
    finally:
        _point_app_at(app, redis_url)
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False and response.json()["database"]["ok"] is True
