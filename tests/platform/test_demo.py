"""The demo: three generated competitions with scored baselines, and a stack that stops cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from competitions.models import Competition
from leaderboards.selectors import leaderboard_rows
from scoring import TASKS
from submissions import states
from tests.conftest import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seeding_creates_one_competition_per_task_with_ranked_baselines(settings, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    competitions = {c.task: c for c in Competition.objects.all()}
    # Every built-in task type has a demo; `custom` is the organizers' own program, shown by examples/scoring_programs/.
    with_demos = {name for name, task in TASKS.items() if task.demo is not None}
    assert set(competitions) == {"text-classification", "detection", "segmentation", "tabular-regression",
                                 "tabular-classification"} == with_demos == set(TASKS) - {"custom"}
    for competition in competitions.values():
        assert competition.submissions.filter(status=states.SCORED).count() == 3
        scores = [row.score for row in leaderboard_rows(competition=competition)]
        higher = competition.higher_is_better
        assert len(scores) == 3 and scores == sorted(scores, reverse=higher)
        # The strongest baseline is genuinely good: above 0.7, or under half the weakest's loss.
        assert scores[0] > 0.7 if higher else scores[0] < scores[-1] / 2
    call_command("seed_demo")  # idempotent
    assert Competition.objects.count() == len(with_demos)


@pytest.mark.django_db
def test_baseline_accounts_have_random_passwords(settings, tmp_path: Path) -> None:
    from django.contrib.auth import authenticate, get_user_model

    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    baselines = get_user_model().objects.exclude(username__in=["admin", "alice"])
    assert baselines.count() >= 9
    for user in baselines:
        assert authenticate(username=user.username, password=f"{user.username}-baseline") is None
        assert user.has_usable_password()



def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries `marker` (this run's private var dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.integration
@pytest.mark.defaults_only
def test_runstack_seeds_speaks_last_of_logins_and_address_and_stops_on_ctrl_c_leaving_no_process(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {**os.environ, "PODIUM_VAR_DIR": str(var)}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    env.pop("PODIUM_SITE_URL", None)
    port = free_port()
    # What `make demo` runs: migrate and seed with the stack's Redis up, then the workers and the web server.
    stack = subprocess.Popen([sys.executable, "manage.py", "runstack", "--seed", "--bind", f"127.0.0.1:{port}",
                              "--concurrency", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.decode().rstrip() for line in stack.stdout), daemon=True)
    reader.start()
    try:
        address = f"Podium is running at http://127.0.0.1:{port}/  (Ctrl-C to stop)"
        wait_for(lambda: address in lines or stack.poll() is not None, timeout=240)
        assert lines[-3:] == ["Admin login: admin / podium-admin", "Participant login: alice / podium-alice", address], lines
        assert len(lines) <= 5 and not any("WARNING" in line or "celery@" in line for line in lines), lines
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200  # served when it says so
        assert {"setup.log", "scoring.log", "web.log"} <= {p.name for p in (var / "log").iterdir()}
        assert "could not publish" not in (var / "log" / "setup.log").read_text()  # the seed's events reached Redis
        assert len(_processes_with(str(var))) >= 4  # runstack, redis, worker, uvicorn (and their children)
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=60)
        reader.join(timeout=10)
        assert stack.returncode == 0, lines
        assert lines[-1] == "Stopped."
        wait_for(lambda: _processes_with(str(var)) == [], timeout=30)  # the group's last exits are asynchronous
    finally:
        # On a failure too, leave nothing behind: the children run in sessions of their own.
        if stack.poll() is None:
            stack.send_signal(signal.SIGINT)
            try:
                stack.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stack.kill()
        for pid in _processes_with(str(var)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_links_in_webhooks_and_emails_name_the_served_site_unless_the_deployment_names_its_own() -> None:
    from podium.management.commands.runstack import site_url

    assert site_url("127.0.0.1:8124", {}) == "http://127.0.0.1:8124"
    assert site_url("0.0.0.0:8080", {}) == "http://127.0.0.1:8080"
    assert site_url("0.0.0.0:8080", {"PODIUM_SITE_URL": "https://podium.example"}) == "https://podium.example"
