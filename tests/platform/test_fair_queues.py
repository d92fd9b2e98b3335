"""Fair queues: one model per team in flight, teams in turn, failed runs capped, places and ETAs shown,
prediction files never behind models, selections closed at the end."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import PodiumError
from submissions import states
from submissions.models import Submission
from submissions.intake import submission_create
from submissions.results import submission_inference_finished
from submissions.services import submission_select
from teams.services import membership_join

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """What would go to the broker, in order."""
    sent: list[int] = []
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: sent.append(submission_id))
    return sent


@pytest.fixture
def models_allowed(competition):  # type: ignore[no-untyped-def]
    competition.submission_kinds = ["predictions", "model"]
    competition.daily_submission_limit = 20
    competition.save()
    return competition


def model(user, competition) -> Submission:  # type: ignore[no-untyped-def]
    return submission_create(user=user, competition=competition, file=SimpleUploadedFile("m.onnx", b"\x08model"), kind="model")


def fail(submission: Submission, code: str = "model-error") -> None:
    submission_inference_finished(submission_id=submission.pk, task_id="t",
                                  result={"output": None, "seconds": 1, "device": "cpu", "error": {"code": code, "message": "x"}})


def test_a_teams_backlog_never_delays_another_teams_first_model(
        models_allowed, alice, bob, alice_joined, sent: list[int], django_capture_on_commit_callbacks) -> None:
    membership_join(competition=models_allowed, user=bob, accept_rules=True)
    with django_capture_on_commit_callbacks(execute=True):
        backlog = [model(alice, models_allowed) for _ in range(3)]
        first_of_bob = model(bob, models_allowed)
    assert sent == [backlog[0].pk, first_of_bob.pk]  # one each in the inference queue: teams take turns
    assert [Submission.objects.get(pk=s.pk).stage for s in backlog[1:]] == [states.WAITING, states.WAITING]
    assert Submission.objects.get(pk=backlog[1].pk).stage_label == "queued (after your team's running model)"
    with django_capture_on_commit_callbacks(execute=True):
        fail(Submission.objects.get(pk=backlog[0].pk))
    assert sent[-1] == backlog[1].pk and Submission.objects.get(pk=backlog[2].pk).stage == states.WAITING


def test_failed_model_runs_have_their_own_daily_cap(models_allowed, alice, alice_joined, sent: list[int],
                                                    django_capture_on_commit_callbacks) -> None:
    models_allowed.daily_failed_model_limit = 2
    models_allowed.save()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            fail(model(alice, models_allowed))
    with pytest.raises(PodiumError) as refused:
        model(alice, models_allowed)
    assert refused.value.code == "model-failure-limit" and refused.value.status == 429
    # Platform faults are not the team's: they never count.
    Submission.objects.filter(team=alice_joined.team).update(error_code="platform-error")
    assert model(alice, models_allowed).pk


def test_a_queued_submission_shows_its_place_and_an_estimate(competition, alice, alice_joined, sent: list[int]) -> None:
    competition.daily_submission_limit = 20
    competition.save()
    now = timezone.now()
    for k in range(6):  # six scored in the last ten minutes, each in 40 s
        Submission.objects.create(competition=competition, team=alice_joined.team, status=states.SCORED,
                                  scored_at=now - timedelta(minutes=k), file="x.csv", duration_ms=40_000)
    upload = lambda: submission_create(user=alice, competition=competition, kind="predictions",  # noqa: E731
                                       file=SimpleUploadedFile("p.csv", b"id,label\n1,food\n"))
    first, second = upload(), upload()
    api = APIClient()
    api.force_authenticate(alice)
    detail = api.get(f"/api/v1/submissions/{second.pk}/").json()
    assert detail["queue"] == {"queue": "scoring", "position": 2, "eta_seconds": 40}  # one run ahead, none running
    listed = {item["id"]: item["queue"] for item in api.get("/api/v1/competitions/topic/submissions/").json()}
    assert listed[first.pk]["position"] == 1 and listed[second.pk]["position"] == 2
    pages = Client()
    pages.force_login(alice)
    assert "#2 in the scoring queue, starts in about 40 s" in pages.get(f"/submissions/{second.pk}/").content.decode()
    # Nothing ahead and an idle worker: it starts now, however few finished lately (not "in about 10 min").
    assert "#1 in the scoring queue, starting now" in pages.get(f"/submissions/{first.pk}/").content.decode()
    Submission.objects.filter(pk=first.pk).update(status=states.RUNNING)  # one worker busy on the first
    assert api.get(f"/api/v1/submissions/{second.pk}/").json()["queue"]["eta_seconds"] == 40
    Submission.objects.filter(pk=first.pk).update(status=states.QUEUED)
    assert "#1 in the scoring queue" in pages.get("/c/topic/submissions/table/").content.decode()
    Submission.objects.filter(status=states.SCORED).delete()
    assert "no scoring finished in the last 10 minutes" in pages.get(f"/submissions/{second.pk}/").content.decode()


def test_selections_close_at_the_end_and_organizers_change_them_with_an_audit_entry(
        competition, alice, alice_joined, organizer, django_user_model) -> None:
    from django.contrib.admin.models import LogEntry

    scored = Submission.objects.create(competition=competition, team=alice_joined.team, status=states.SCORED,
                                       public_score=0.5, file="x.csv")
    submission_select(submission=scored, selected=True)
    competition.end_at = timezone.now() - timedelta(minutes=1)
    competition.start_at = timezone.now() - timedelta(days=2)
    competition.save()
    scored.refresh_from_db()
    api = APIClient()
    api.force_authenticate(alice)
    refused = api.post(f"/api/v1/submissions/{scored.pk}/select/", {"selected": False}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "selection-closed"
    assert Submission.objects.get(pk=scored.pk).selected
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "root-pass-1"))
    page = admin.get(f"/admin/submissions/submission/{scored.pk}/change/")
    assert page.status_code == 200
    response = admin.post(f"/admin/submissions/submission/{scored.pk}/change/", {"description": "", "selected": ""})
    assert response.status_code == 302, response.content.decode()[:500]
    assert not Submission.objects.get(pk=scored.pk).selected
    assert LogEntry.objects.filter(object_id=str(scored.pk), change_message__contains="Selected").exists()


def test_the_demo_runs_prediction_files_and_models_on_separate_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make demo`'s stack: a model holding its worker for minutes never delays a prediction file."""
    from podium.management.commands import runstack

    started: list[str] = []

    class Stub:
        returncode = 0

        def poll(self) -> int:
            return 0

    monkeypatch.setattr(runstack, "start_worker", lambda *, queues, **kw: started.append(queues) or Stub())
    monkeypatch.setattr(runstack, "start_web", lambda **kw: Stub())
    monkeypatch.setattr(runstack, "stop_process", lambda process: None)
    monkeypatch.setattr(runstack, "EmbeddedRedis", lambda path: type("R", (), {"start": lambda self: self, "stop": lambda self: None,
                                                                               "url": "redis://x", "socket_path": path})())
    monkeypatch.delenv("REDIS_URL", raising=False)
    runstack.Command().handle(bind="127.0.0.1:0", concurrency=2, seed=False, verbose=False)
    assert sorted(started) == ["inference", "programs", "scoring"]


def test_organizers_run_platform_errors_again_with_one_click(competition, alice, alice_joined, django_user_model,
                                                             sent: list[int], django_capture_on_commit_callbacks) -> None:
    broken = Submission.objects.create(competition=competition, team=alice_joined.team, status=states.FAILED,
                                       error_code="platform-error", error_message="ours", file="x.csv", requeues=3)
    theirs = Submission.objects.create(competition=competition, team=alice_joined.team, status=states.FAILED,
                                       error_code="bad-header", error_message="theirs", file="y.csv")
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "root-pass-1"))
    listed = admin.get("/admin/submissions/submission/?error_code=platform-error").content.decode()
    assert f"/admin/submissions/submission/{broken.pk}/change/" in listed
    assert f"/admin/submissions/submission/{theirs.pk}/change/" not in listed
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/admin/submissions/submission/", {"action": "retry_platform_errors",
                                                                 "_selected_action": [broken.pk, theirs.pk]})
    assert response.status_code == 302
    assert Submission.objects.get(pk=broken.pk).status == states.QUEUED and sent == [broken.pk]
    assert Submission.objects.get(pk=theirs.pk).status == states.FAILED
