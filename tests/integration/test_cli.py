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
    assert refused.returncode == 1 and "podium competitions join topic" in refused.stderr  # the command, not the API
    unread = podium("competitions", "join", "topic")  # not a terminal: the rules are shown, never accepted unasked
    assert unread.returncode == 2 and "Be nice." in unread.stdout and "--accept-rules" in unread.stderr
    joined = podium("competitions", "join", "topic", "--accept-rules")
    assert joined.returncode == 0 and "Be nice." in joined.stdout and "(rules accepted)" in joined.stdout
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


def test_teams_invitations_and_final_selection_from_the_command_line(podium, competition, alice_joined, bob, tmp_path: Path) -> None:
    from submissions.models import Submission

    podium("config", "--username", "alice", password="alice-pass-1")
    assert podium("team", "rename", "topic", "Night Owls").returncode == 0
    invited = podium("team", "invite", "topic", "bob")
    assert invited.returncode == 0 and "Invited bob" in invited.stdout
    shown = json.loads(podium("--json", "team", "show", "topic").stdout)
    assert shown["name"] == "Night Owls" and [i["username"] for i in shown["invitations"]] == ["bob"]
    scored = Submission.objects.create(competition=competition, team=alice_joined.team, file="x.csv", status="scored",
                                       public_score=0.5, public_scores={"accuracy": 0.5})
    chosen = podium("competitions", "select", "topic", str(scored.pk))
    assert chosen.returncode == 0 and "selected for the final ranking" in chosen.stdout
    scored.refresh_from_db()
    assert scored.selected
    assert podium("competitions", "unselect", "topic", str(scored.pk)).returncode == 0
    scored.refresh_from_db()
    assert not scored.selected

    bobs = {**os.environ}  # bob, who has not joined: accepting shows the rules and asks for them
    bobs_config = tmp_path / "bob.json"
    run = lambda *args, password=None: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "podium.cli", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**bobs, "PODIUM_HOST": podium.host, "PODIUM_CONFIG": str(bobs_config),
             **({"PODIUM_PASSWORD": password} if password else {})})
    run("config", "--username", "bob", password="bob-pass-1")
    token = json.loads(run("--json", "invitations", "list").stdout)[0]["token"]
    unread = run("invitations", "accept", token)
    assert unread.returncode == 2 and "Be nice." in unread.stdout
    accepted = run("invitations", "accept", token, "--accept-rules")
    assert accepted.returncode == 0 and "You are now on team Night Owls" in accepted.stdout, accepted.stderr
    members = json.loads(podium("--json", "team", "show", "topic").stdout)["members"]
    assert [(m["username"], m["rules_accepted"]) for m in members] == [("alice", True), ("bob", True)]
    left = run("team", "leave", "topic")
    assert left.returncode == 0 and "your own team bob" in left.stdout
