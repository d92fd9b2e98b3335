"""Fair queues with real workers, as `make demo` runs them (a scoring worker with the sweep, an inference worker):
a prediction file never waits behind models, and a fault that persists ends as a platform error."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch
from rest_framework.test import APIClient

from submissions import states
from submissions.models import Submission
from submissions.selectors import quota_for_team
from teams.services import membership_join
from tests.conftest import _database_url, _worker, _worker_env, private_broker, wait_for
from tests.integration.test_crash_recovery import SlowTextModel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_prediction_file_is_scored_at_once_while_another_teams_slow_models_run(
    competition, alice, bob, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from examples import text_classification

    competition.submission_kinds = ["predictions", "model"]
    competition.model_limits = {"wall_seconds": 300, "batch_size": 12}
    competition.daily_submission_limit = 10
    competition.save()
    membership_join(competition=competition, user=bob, accept_rules=True)
    model_path = tmp_path / "slow.pt"
    inner = text_classification.build(text_bundle.path / "public", {"classes": competition.classes})
    torch.jit.save(torch.jit.script(SlowTextModel.for_seconds(inner, batch_seconds=2)), str(model_path))
    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _worker_env(broker, _database_url(), tmp_path_factory)
        no_database = {**env, "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/no-database"}
        with _worker("scoring", env, tmp_path / "scoring.log", beat=True), \
                _worker("inference", no_database, tmp_path / "inference.log"):
            alice_api, bob_api = APIClient(), APIClient()
            alice_api.force_authenticate(alice)
            bob_api.force_authenticate(bob)
            models = []
            for _ in range(2):
                with open(model_path, "rb") as handle:
                    models.append(alice_api.post("/api/v1/competitions/topic/submissions/", {"file": handle, "kind": "model"},
                                                 format="multipart").json()["id"])
            wait_for(lambda: Submission.objects.filter(pk=models[0], stage=states.INFERENCE).exists(), timeout=60)
            assert Submission.objects.get(pk=models[1]).stage == states.WAITING  # one model per team in flight
            with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
                sent = time.monotonic()
                csv_id = bob_api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"]
            scored = wait_for(lambda: Submission.objects.filter(pk=csv_id, status=states.SCORED).first(), timeout=60, interval=0.02)
            waited = time.monotonic() - sent
            assert Submission.objects.get(pk=models[0]).status == states.RUNNING, "the model should still be running"
    assert scored and waited < 5, f"the prediction file waited {waited:.1f} s behind the models"


def test_a_fault_that_persists_ends_as_a_platform_error_never_charged(
    competition, alice, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The truth file vanishes from storage: every claim fails; after the attempt cap, platform-error."""
    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _worker_env(broker, _database_url(), tmp_path_factory)
        with _worker("scoring", env, tmp_path / "scoring.log", beat=True):
            truth = Path(competition.truth_file.path)
            hidden = truth.with_name(truth.name + ".away")
            truth.rename(hidden)
            try:
                api = APIClient()
                api.force_authenticate(alice)
                with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
                    submission_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle},
                                             format="multipart").json()["id"]
                failed = wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(),
                                  timeout=240)
            finally:
                hidden.rename(truth)
    assert failed.status == states.FAILED and failed.error_code == "platform-error", failed.error_message
    assert failed.attempt == 5 and "not in your submission" in failed.error_message
    assert quota_for_team(competition=competition, team=alice_joined.team).used == 0
    pages = APIClient()
    pages.force_login(alice)
    page = pages.get(f"/submissions/{submission_id}/").content.decode()
    assert "does not count against your daily limit" in page and 'class="notice"' in page
