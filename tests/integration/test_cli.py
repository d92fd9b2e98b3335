"""The `podium` command line, run as a subprocess against a live server with a real worker."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def podium(live_server, tmp_path: Path):
    env = {**os.environ, "PODIUM_HOST": live_server.url, "PODIUM_CONFIG": str(tmp_path / "config.json")}
    env.pop("PODIUM_TOKEN", None)

    def run(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = {"PODIUM_PASSWORD": password} if password else {}
        return subprocess.run([sys.executable, "-m", "podium.cli", *args], capture_output=True, text=True,
                              env={**env, **extra}, timeout=120, cwd=tmp_path)

    run.host = live_server.url  # type: ignore[attr-defined]
    return run


def test_a_participant_configures_joins_downloads_submits_and_waits(
    podium, celery_worker, competition, alice, text_bundle, tmp_path: Path
) -> None:
    assert podium("config", "--username", "alice", password="alice-pass-1").returncode == 0
    listed = podium("--json", "competitions", "list")
    assert [c["slug"] for c in json.loads(listed.stdout)] == ["topic"]
    refused = podium("competitions", "files", "topic")
    assert refused.returncode == 1 and "not-joined" in refused.stderr
    assert podium("competitions", "join", "topic").returncode == 0
    downloaded = podium("competitions", "download", "topic", "-f", "test.csv", "-p", "data")
    assert downloaded.returncode == 0 and (tmp_path / "data" / "test.csv").read_bytes().startswith(b"id,text")
    submitted = podium(
        "--json", "competitions", "submit", "topic", "-f", str(text_bundle.baselines["Keyword Voters"]), "-m", "kw", "--wait"
    )
    assert submitted.returncode == 0, submitted.stderr
    result = json.loads(submitted.stdout)
    assert result["status"] == "scored" and result["public_score"] > 0.7
    board = json.loads(podium("--json", "competitions", "leaderboard", "topic").stdout)
    assert board["entries"][0]["team"] == "alice"


def test_a_failed_submission_exits_4_with_its_error(podium, celery_worker, competition, alice_joined, tmp_path: Path) -> None:
    podium("config", "--username", "alice", password="alice-pass-1")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\nnope,food\n")
    result = podium("competitions", "submit", "topic", "-f", str(bad), "--wait")
    assert result.returncode == 4 and "unknown-ids" in result.stderr


def test_clear_messages_for_a_wrong_host_a_bad_token_and_an_unknown_competition(podium, competition, alice) -> None:
    wrong_password = podium("config", "--username", "alice", password="nope")
    assert wrong_password.returncode == 1 and "bad-credentials" in wrong_password.stderr
    assert "not-authenticated" in podium("competitions", "files", "topic").stderr
    assert "not-found" in podium("competitions", "leaderboard", "typo").stderr
    bad_token = subprocess.run(
        [sys.executable, "-m", "podium.cli", "competitions", "submissions", "topic"],
        capture_output=True,
        text=True,
        env={**os.environ, "PODIUM_HOST": podium.host, "PODIUM_TOKEN": "not-a-token"},
    )
    assert bad_token.returncode == 1 and "bad-credentials" in bad_token.stderr
    unreachable = subprocess.run(
        [sys.executable, "-m", "podium.cli", "competitions", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "PODIUM_HOST": "http://127.0.0.1:9", "PODIUM_CONFIG": "/nonexistent"},
    )
    assert unreachable.returncode == 3 and "cannot reach" in unreachable.stderr


def test_a_model_is_submitted_from_the_command_line(
    podium, celery_worker, inference_worker, competition, alice_joined, text_bundle, tmp_path: Path
) -> None:
    import torch

    from examples import text_classification

    competition.submission_kinds = ["predictions", "model"]
    competition.save()
    podium("config", "--username", "alice", password="alice-pass-1")
    model = text_classification.build(text_bundle.path / "public", {"classes": competition.classes})
    torch.jit.save(model, str(tmp_path / "model.pt"))
    result = podium("--json", "competitions", "submit", "topic", "-f", str(tmp_path / "model.pt"), "--model", "--wait")
    assert result.returncode == 0, result.stderr
    submitted = json.loads(result.stdout)
    assert submitted["kind"] == "model" and submitted["status"] == "scored" and submitted["public_score"] > 0.7
    listed = json.loads(podium("--json", "competitions", "submissions", "topic").stdout)
    assert [s["id"] for s in listed] == [submitted["id"]]
