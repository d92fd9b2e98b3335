"""Fail closed: an inference worker that cannot build the sandbox runs no models, and says so."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from examples import text_classification
from submissions import states
from submissions.models import Submission
from tests.conftest import _database_url, _worker, _worker_env, private_broker, wait_for
from tests.integration.test_model_submissions import CLASSES, submit_model

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
NO_DATABASE = "postgres://nobody:nothing@127.0.0.1:1/no-database"


@pytest.fixture
def model_competition(competition):
    competition.submission_kinds = ["predictions", "model"]
    competition.model_limits = {"wall_seconds": 60, "memory_mb": 2048, "batch_size": 64}
    competition.save()
    return competition


def test_a_worker_without_a_sandbox_runs_no_model_and_the_model_waits_for_one_that_can(
    redis_url: str, alice, alice_joined, model_competition, text_bundle,
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(alice)
    model = text_classification.build(text_bundle.path / "public", {"classes": CLASSES})
    # A broker of its own: the session's inference worker must not take this model.
    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _worker_env(broker, NO_DATABASE, tmp_path_factory)
        broken = {**env, "PODIUM_SANDBOX_UID_BASE": "0"}  # a misconfigured host: no uid for models
        with _worker("scoring", _worker_env(broker, _database_url(), tmp_path_factory), tmp_path / "scoring.log"):
            with _worker("inference", broken, tmp_path / "broken.log"):
                submission_id = submit_model(api, model, tmp_path / "model.pt")
                health = wait_for(lambda: _waiting_health(), timeout=30)
                # The event that settles it: the worker gave up its inference queue before taking any message.
                wait_for(lambda: "Canceling queue inference" in (tmp_path / "broken.log").read_text(), timeout=30)
                submission = Submission.objects.get(pk=submission_id)
                assert submission.status == states.QUEUED and submission.attempt == 0  # not run, not failed
            log = (tmp_path / "broken.log").read_text()
            assert "cannot sandbox models and will run none" in log and "PODIUM_SANDBOX_UID_BASE" in log
            assert "Canceling queue inference" in log and "running text-classification model" not in log
            (report,) = [r for r in health["sandboxes"].values() if not r["ok"]]
            assert "PODIUM_SANDBOX_UID_BASE" in report["detail"]
            with _worker("inference", env, tmp_path / "good.log"):
                scored = wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(),
                                  timeout=120)
                # The worker that runs models says on what, at start and on /health/.
                runtime = wait_for(lambda: _runtime_of_a_runnable_worker(), timeout=30)
    assert scored.status == states.SCORED, (scored.error_code, scored.error_message)
    good = (tmp_path / "good.log").read_text()
    assert "model ran on cpu" in good and "models run on cpu" in good
    assert runtime.startswith("cpu (") and "torch 2." in runtime and "CPUExecutionProvider" in runtime


def _runtime_of_a_runnable_worker() -> str | None:
    sandboxes = _models_health().get("sandboxes", {})
    return next((report["runtime"] for report in sandboxes.values() if report["ok"] and report.get("runtime")), None)


def _waiting_health() -> dict | None:
    models = _models_health()
    return models if str(models.get("status", "")).startswith("waiting: no inference worker can build") else None


def _models_health() -> dict:
    from django.core.cache import cache

    cache.clear()
    staff = Client()
    staff.force_login(get_user_model().objects.get_or_create(username="health-staff", defaults={"is_staff": True})[0])
    return staff.get("/health/").json().get("models", {})
