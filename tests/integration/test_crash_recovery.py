"""Faults with real processes: a worker killed mid-task, and Redis losing every queued task.

A scoring worker killed with SIGKILL mid-task: the submission is still scored, exactly once.

The test runs its own Redis and workers (a 3-second visibility timeout), so the
session's worker cannot take the task. The killed worker never acknowledged the
task (acks_late), so Redis hands it to the next worker after the timeout; the
claim lets the redelivered task take over, and the attempt counter lets only
one result be recorded.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from django.core.files import File
from rest_framework.test import APIClient

from podium.devstack import EmbeddedRedis
from submissions import states
from submissions.models import Submission
from submissions.selectors import quota_for_team
from tests.conftest import _database_url, _point_app_at, _worker, _worker_env, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROWS = 1_000_000  # large enough that scoring takes a second or two: time to kill the worker mid-task


def test_a_worker_killed_mid_task_leaves_the_submission_scored_exactly_once(
    competition, alice, alice_joined, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from workers.app import app

    rng = np.random.default_rng(3)
    labels = np.array(competition.classes)[rng.integers(0, 4, ROWS)]
    truth, submission = tmp_path / "truth.csv", tmp_path / "submission.csv"
    truth.write_text("id,label,Usage\n" + "".join(f"r{i},{labels[i]},{'Public' if i % 2 else 'Private'}\n" for i in range(ROWS)))
    submission.write_text("id,label\n" + "".join(f"r{i},{labels[(i * 7) % ROWS]}\n" for i in range(ROWS)))
    with open(truth, "rb") as handle:
        competition.truth_file.save("big-truth.csv", File(handle), save=True)
    competition.max_submission_mb = 100
    competition.save()

    private_redis = EmbeddedRedis(tmp_path / "redis.sock").start()
    env = {**_worker_env(private_redis.url, _database_url(), tmp_path_factory), "PODIUM_VISIBILITY_TIMEOUT": "3",
           "PODIUM_UNACKED_RESTORE_INTERVAL": "1", "PODIUM_STALE_AFTER_SECONDS": "600"}
    _point_app_at(app, private_redis.url)
    try:
        with _worker("scoring", env, tmp_path / "victim.log") as victim:
            api = APIClient()
            api.force_authenticate(alice)
            with open(submission, "rb") as handle:
                submission_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"]
            wait_for(lambda: Submission.objects.filter(pk=submission_id, status=states.RUNNING).exists(), timeout=30, interval=0.01)
            os.killpg(victim.pid, signal.SIGKILL)  # the worker and its pool child, mid-task
            victim.wait()
        assert Submission.objects.get(pk=submission_id).status == states.RUNNING
        with _worker("scoring", env, tmp_path / "rescuer.log"):
            scored = wait_for(lambda: Submission.objects.filter(pk=submission_id, status=states.SCORED).first(), timeout=90)
    finally:
        _point_app_at(app, redis_url)
        private_redis.stop()
    assert scored.attempt == 2  # claimed by the killed worker, then by the redelivered task; recorded once
    assert Submission.objects.filter(team=alice_joined.team).count() == 1
    assert quota_for_team(competition=competition, team=alice_joined.team).used == 1


def test_submissions_queued_when_redis_loses_its_data_are_still_scored_once(
    competition, alice, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The database, not the broker, records what must be done: the periodic sweep re-enqueues."""
    from workers.app import app

    socket_path = tmp_path / "redis.sock"
    broker = EmbeddedRedis(socket_path).start()
    _point_app_at(app, broker.url)
    try:
        api = APIClient()
        api.force_authenticate(alice)
        ids = []
        for name in ("Keyword Voters", "First Word Wins", "Coin Flippers"):
            with open(text_bundle.baselines[name], "rb") as handle:
                ids.append(api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"])
        assert Submission.objects.filter(pk__in=ids, status=states.QUEUED).count() == 3
        # Redis restarts with nothing on disk: every queued task is gone.
        broker.stop()
        broker = EmbeddedRedis(socket_path).start()
        env = {**_worker_env(broker.url, _database_url(), tmp_path_factory), "PODIUM_STALE_AFTER_SECONDS": "2",
               "PODIUM_SWEEP_INTERVAL": "1"}
        with _worker("scoring", env, tmp_path / "sweeper.log", beat=True):
            scored = wait_for(lambda: Submission.objects.filter(pk__in=ids, status=states.SCORED).count() == 3, timeout=90)
    finally:
        _point_app_at(app, redis_url)
        broker.stop()
    assert scored
    assert sorted(Submission.objects.filter(pk__in=ids).values_list("attempt", flat=True)) == [1, 1, 1]
