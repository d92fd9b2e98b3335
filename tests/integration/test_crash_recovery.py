"""Faults with real processes and the shipped defaults: workers killed mid-task, Redis losing its tasks.

No `PODIUM_*` setting is shortened here. A killed worker's lease (workers/leases.py) runs out in 20 s
and the sweep, every 10 s, sends the submission again; Redis wiped or restarted empty loses the
markers with the tasks, so the sweep sends those again too. The claim and the task's token make sure
each is scored exactly once. The tests run their own Redis, so no other test's worker takes the task.
"""
from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path
from typing import List

import numpy as np
import pytest
import torch
from django.core.files import File
from rest_framework.test import APIClient

from podium.devstack import EmbeddedRedis
from submissions import states
from submissions.models import Submission
from submissions.selectors import quota_for_team
from tests.conftest import _database_url, _point_app_at, _worker, _worker_env, private_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROWS = 1_000_000  # large enough that scoring takes a second or two: time to kill the worker mid-task
RECOVERY_SECONDS = 60  # the promise: scored at most this long after the kill


def _defaults_env(broker_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = _worker_env(broker_url, _database_url(), tmp_path_factory)
    assert not [name for name in env if name.startswith("PODIUM_") and name not in ("PODIUM_MEDIA_ROOT", "PODIUM_VAR_DIR")]
    return env


def test_a_scoring_worker_killed_mid_task_is_replaced_within_a_minute_exactly_once(
    competition, alice, alice_joined, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:

    rng = np.random.default_rng(3)
    labels = np.array(competition.classes)[rng.integers(0, 4, ROWS)]
    truth, submission = tmp_path / "truth.csv", tmp_path / "submission.csv"
    truth.write_text("id,label,Usage\n" + "".join(f"r{i},{labels[i]},{'Public' if i % 2 else 'Private'}\n" for i in range(ROWS)))
    submission.write_text("id,label\n" + "".join(f"r{i},{labels[(i * 7) % ROWS]}\n" for i in range(ROWS)))
    with open(truth, "rb") as handle:
        competition.truth_file.save("big-truth.csv", File(handle), save=True)
    competition.max_submission_mb = 100
    competition.save()

    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _defaults_env(broker, tmp_path_factory)
        with _worker("scoring", env, tmp_path / "victim.log") as victim:
            api = APIClient()
            api.force_authenticate(alice)
            with open(submission, "rb") as handle:
                submission_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"]
            wait_for(lambda: Submission.objects.filter(pk=submission_id, status=states.RUNNING).exists(), timeout=30, interval=0.01)
            os.killpg(victim.pid, signal.SIGKILL)  # the worker and its pool child, mid-task
            killed_at = time.monotonic()
            victim.wait()
        held = Submission.objects.get(pk=submission_id)
        assert held.status == states.RUNNING and held.worker.startswith("celery@")
        with _worker("scoring", env, tmp_path / "rescuer.log", beat=True):
            scored = wait_for(lambda: Submission.objects.filter(pk=submission_id, status=states.SCORED).first(), timeout=120)
            recovered_in = time.monotonic() - killed_at
    assert recovered_in <= RECOVERY_SECONDS, recovered_in
    assert scored.attempt == 2 and scored.requeues == 1  # claimed by the killed worker, then once more; recorded once
    assert Submission.objects.filter(team=alice_joined.team).count() == 1
    assert quota_for_team(competition=competition, team=alice_joined.team).used == 1


@pytest.mark.parametrize("loss", ["wiped", "restarted empty"])
def test_submissions_queued_when_redis_loses_its_data_are_scored_within_two_minutes_once(
    competition, alice, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
    loss: str,
) -> None:
    """The database, not the broker, records what must be done: the sweep sends again what Redis lost."""
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
        if loss == "wiped":
            with app.connection_for_write() as connection:
                connection.default_channel.client.flushall()
        else:  # Redis restarts with nothing on disk: every queued task is gone
            broker.stop()
            broker = EmbeddedRedis(socket_path).start()
        back_at = time.monotonic()
        with _worker("scoring", _defaults_env(broker.url, tmp_path_factory), tmp_path / "sweeper.log", beat=True):
            scored = wait_for(lambda: Submission.objects.filter(pk__in=ids, status=states.SCORED).count() == 3, timeout=180)
            recovered_in = time.monotonic() - back_at
    finally:
        _point_app_at(app, redis_url)
        broker.stop()
    assert scored and recovered_in <= 120, recovered_in
    assert sorted(Submission.objects.filter(pk__in=ids).values_list("attempt", flat=True)) == [1, 1, 1]


class SlowTextModel(torch.nn.Module):
    """The example text model, made to spend `iterations` matrix products on each batch (see `for_seconds`)."""

    def __init__(self, inner: torch.jit.ScriptModule, iterations: int = 1600) -> None:
        super().__init__()
        self.inner = inner
        self.iterations = iterations
        self.weight = torch.nn.Parameter(torch.randn(256, 256) / 16, requires_grad=False)

    def forward(self, texts: List[str]) -> torch.Tensor:
        state = torch.ones(256, 256)
        for _ in range(self.iterations):
            state = torch.tanh(state @ self.weight)
        return self.inner(texts) + state.sum() * 0.0

    @classmethod
    def for_seconds(cls, inner: torch.jit.ScriptModule, batch_seconds: float) -> "SlowTextModel":
        """Sized in wall-clock time: as many iterations as take `batch_seconds` on this machine at the fastest pace
        it showed in five probes, with the threads a model gets (TorchScript has no clock a model could wait on).
        The fastest pace, because a machine busy while probing and idle while the model runs would otherwise make
        the model end early; a machine busier later only makes it last longer."""
        probe = torch.jit.script(cls(inner, iterations=200))
        threads = torch.get_num_threads()
        torch.set_num_threads(int(os.environ.get("PODIUM_MODEL_THREADS", str(os.cpu_count() or 1))))
        try:
            probe(["warm"])
            paces = []
            for _ in range(5):
                started = time.perf_counter()
                probe(["timed"])
                paces.append((time.perf_counter() - started) / 200)
        finally:
            torch.set_num_threads(threads)
        return cls(inner, iterations=max(1, int(batch_seconds / min(paces))))


def _stages() -> set[Path]:
    """The sandbox's per-run folders (workers/sandbox/), each holding a run's output tmpfs."""
    return set(Path(tempfile.gettempdir()).glob("podium-sandbox-[0-9]*-*"))


def _model_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"workers.inference_child" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_an_inference_worker_killed_mid_model_leaves_the_submission_scored_exactly_once(
    competition, alice, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The killed worker's model dies with it; its lease runs out; the sweep sends it to a second inference worker."""
    from examples import text_classification

    competition.submission_kinds = ["predictions", "model"]
    competition.model_limits = {"wall_seconds": 120, "batch_size": 100}
    competition.save()
    model_path = tmp_path / "slow.pt"
    inner = text_classification.build(text_bundle.path / "public", {"classes": competition.classes})
    torch.jit.save(torch.jit.script(SlowTextModel.for_seconds(inner, batch_seconds=2)), str(model_path))

    stages_before = _stages()
    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _defaults_env(broker, tmp_path_factory)
        no_database = {**env, "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/no-database"}
        with _worker("scoring", env, tmp_path / "scoring.log", beat=True):
            with _worker("inference", no_database, tmp_path / "victim.log") as victim:
                api = APIClient()
                api.force_authenticate(alice)
                with open(model_path, "rb") as handle:
                    submission_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle, "kind": "model"},
                                             format="multipart").json()["id"]
                wait_for(lambda: (Submission.objects.get(pk=submission_id).progress or 0) > 0.05, timeout=60, interval=0.05)
                orphans_before = set(_model_processes())
                assert orphans_before, "the model should be running"
                stages = _stages() - stages_before
                assert stages, "the model's output folder should be mounted"
                os.killpg(victim.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                victim.wait()
            wait_for(lambda: not set(_model_processes()) & orphans_before, timeout=1)  # not at its next write: at once
            held = Submission.objects.get(pk=submission_id)
            assert held.status == states.RUNNING and held.worker.startswith("celery@")
            with _worker("inference", no_database, tmp_path / "rescuer.log"):
                scored = wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=180)
                recovered_in = time.monotonic() - killed_at
    assert scored.status == states.SCORED, (scored.error_code, scored.error_message)
    assert recovered_in <= RECOVERY_SECONDS, recovered_in
    assert scored.public_score > 0.7 and scored.attempt == 1 and scored.requeues == 1  # run again once, scored once
    # What the killed run left (its output tmpfs) was removed by the next holder of its uid.
    assert not stages & _stages()
    assert "model ran on cpu" in (tmp_path / "rescuer.log").read_text()
    assert Submission.objects.filter(team=alice_joined.team).count() == 1
    assert quota_for_team(competition=competition, team=alice_joined.team).used == 1


def test_a_database_error_while_scoring_is_retried_with_backoff_and_never_charged(
    competition, alice, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The competitions table vanishes under a live worker for a few seconds: the task retries until it is back."""
    from django.db import connection

    from competitions.models import Competition

    competition.daily_submission_limit = 2
    competition.save()
    table = Competition._meta.db_table
    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _worker_env(broker, _database_url(), tmp_path_factory)
        broken = False
        try:
            api = APIClient()
            api.force_authenticate(alice)
            with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
                submission_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle}, format="multipart").json()["id"]
            with connection.schema_editor() as editor:
                editor.alter_db_table(Competition, table, f"{table}_away")
            broken = True
            with _worker("scoring", env, tmp_path / "worker.log"):
                log = tmp_path / "worker.log"
                wait_for(lambda: log.read_text().count("Retry in") >= 2, timeout=60)
                assert Submission.objects.get(pk=submission_id).status != states.FAILED
                with connection.schema_editor() as editor:
                    editor.alter_db_table(Competition, f"{table}_away", table)
                broken = False
                scored = wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=90)
        finally:
            if broken:
                with connection.schema_editor() as editor:
                    editor.alter_db_table(Competition, f"{table}_away", table)
    assert scored.status == states.SCORED and scored.error_code == ""
    assert scored.attempt >= 3  # the failed claims, then the one that scored
    assert Submission.objects.filter(team=alice_joined.team).count() == 1
    quota = quota_for_team(competition=competition, team=alice_joined.team)
    assert quota.used == 1 and quota.remaining == 1


def test_a_long_model_run_on_a_live_worker_is_never_sent_again(
    competition, alice, alice_joined, text_bundle, redis_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A model running well past the lease and the sweep's grace, with the sweep on: its renewed lease keeps it."""
    from examples import text_classification

    competition.submission_kinds = ["predictions", "model"]
    # 25 batches of 3.5 seconds (about 90 s: past the 20 s lease and the 30 s grace), with room for a loaded machine.
    competition.model_limits = {"wall_seconds": 900, "batch_size": 12}
    competition.save()
    model_path = tmp_path / "slow.pt"
    inner = text_classification.build(text_bundle.path / "public", {"classes": competition.classes})
    torch.jit.save(torch.jit.script(SlowTextModel.for_seconds(inner, batch_seconds=3.5)), str(model_path))
    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        env = _defaults_env(broker, tmp_path_factory)
        no_database = {**env, "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/no-database"}
        with _worker("scoring", env, tmp_path / "scoring.log", beat=True), \
                _worker("inference", no_database, tmp_path / "inference.log"):
            api = APIClient()
            api.force_authenticate(alice)
            with open(model_path, "rb") as handle:
                submission_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle, "kind": "model"},
                                         format="multipart").json()["id"]
            started = time.monotonic()
            scored = wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=880)
            took = time.monotonic() - started
    assert scored.status == states.SCORED, (scored.error_code, scored.error_message)
    assert took > 50, f"the model should outlast the 30 s grace and the 20 s lease (took {took:.0f} s)"
    assert scored.requeues == 0 and scored.attempt == 1
    assert (tmp_path / "inference.log").read_text().count("running text-classification model") == 1
    assert "re-enqueued" not in (tmp_path / "scoring.log").read_text()
