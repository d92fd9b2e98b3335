"""Run Podium locally: Redis (embedded unless REDIS_URL is set), the Celery workers and the web server.

Quiet unless asked (`--verbose`, `make demo VERBOSE=1`): each process logs to var/log/<name>.log, and
what is printed is where the site is and how to log in, once it answers, as the last lines.
With `--seed` it first migrates and seeds the demo, with Redis already up.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from competitions.demo_data import DEMO_LOGINS

from podium.devstack import ROOT, EmbeddedRedis, python_env, start_web, start_worker, stop_process

READY_WITHIN = 120.0  # seconds for the web server's first answer: a cold start on a busy machine


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--seed", action="store_true", help="migrate and seed the demo first")
        parser.add_argument("--verbose", action="store_true", help="every process's log here, not in var/log/")

    def handle(self, *args: Any, bind: str, concurrency: int, seed: bool, verbose: bool, **options: Any) -> None:
        logs = Path(settings.VAR_DIR) / "log"
        logs.mkdir(parents=True, exist_ok=True)
        embedded = None
        env: dict[str, str] = {}
        if "REDIS_URL" not in os.environ:
            embedded = EmbeddedRedis(settings.REDIS_SOCKET).start()
            env["REDIS_URL"] = embedded.url
        # Links in webhooks and emails point at the site being served, unless the deployment names its own.
        env["PODIUM_SITE_URL"] = site_url(bind, os.environ)
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            if seed:
                self._setup(env, None if verbose else logs / "setup.log")
            log = (lambda name: None) if verbose else (lambda name: logs / f"{name}.log")
            # Three workers: prediction files never wait behind models (a model may hold its worker for
            # minutes) or organizers' scoring programs (which may take minutes too); models run one at a
            # time, as on a GPU machine.
            children = {
                "scoring worker": start_worker(queues="scoring", concurrency=concurrency, beat=True, env=env,
                                               log_path=log("scoring")),
                "programs worker": start_worker(queues="programs", concurrency=1, env=env, log_path=log("programs")),
                "inference worker": start_worker(queues="inference", concurrency=1, env=env, log_path=log("inference")),
                "web server": start_web(bind=bind, env=env, log_path=log("web")),
            }
            self._wait_until_served(bind, children, logs, stopping=lambda: stopping)
            if not stopping:
                self._announce(bind, env, embedded, logs, verbose)
            while not stopping and all(child.poll() is None for child in children.values()):
                time.sleep(0.2)
            self._report_exits(children, logs, verbose)
        finally:
            self.stdout.write("Stopping…")
            for child in children.values():
                stop_process(child)
            if embedded is not None:
                embedded.stop()
        self.stdout.write("Stopped.")

    def _setup(self, env: dict[str, str], log_path: Path | None) -> None:
        """migrate and seed_demo in processes of their own, with the stack's Redis: their events reach it."""
        self.stdout.write("Preparing the database and the demo competitions…")
        for step in (["migrate", "--noinput"], ["seed_demo"]):
            output = open(log_path, "ab") if log_path else None  # noqa: SIM115 - closed below
            try:
                done = subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=python_env(env),
                                      stdout=output, stderr=subprocess.STDOUT if output else None, check=False)
            finally:
                if output:
                    output.close()
            if done.returncode != 0:
                tail = _tail(log_path) if log_path else ""
                raise CommandError(f"manage.py {' '.join(step)} failed (exit {done.returncode}).{tail}")

    def _wait_until_served(self, bind: str, children: dict[str, subprocess.Popen[bytes]], logs: Path, *,
                           stopping: Any) -> None:
        deadline = time.monotonic() + READY_WITHIN
        while not stopping() and time.monotonic() < deadline:
            if any(child.poll() is not None for child in children.values()):
                return  # said by _report_exits
            try:
                requests.get(f"http://{_reachable(bind)}/health/", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.3)
        if not stopping():
            self.stderr.write(f"The web server has not answered in {READY_WITHIN:.0f} s; see {logs / 'web.log'}.")

    def _announce(self, bind: str, env: dict[str, str], embedded: EmbeddedRedis | None, logs: Path,
                  verbose: bool) -> None:
        redis = f"embedded at {embedded.socket_path}" if embedded else os.environ["REDIS_URL"]
        where = "printed above" if verbose else f"in {logs}/ (make demo VERBOSE=1 prints them here)"
        self.stdout.write(f"Redis {redis}; three workers and the web server running; logs {where}.")
        for role, username, password in DEMO_LOGINS:
            try:
                user = get_user_model().objects.filter(username=username).first()
            except DatabaseError:  # not migrated: the web log says more
                break
            if user is not None and user.check_password(password):  # the demo's, never a changed password
                self.stdout.write(f"{role} login: {username} / {password}")
        self.stdout.write(self.style.SUCCESS(f"Podium is running at {env['PODIUM_SITE_URL']}/  (Ctrl-C to stop)"))

    def _report_exits(self, children: dict[str, subprocess.Popen[bytes]], logs: Path, verbose: bool) -> None:
        for name, child in children.items():
            if child.poll() is not None:
                log_name = name.split()[0] if name != "web server" else "web"
                tail = "" if verbose else _tail(logs / f"{log_name}.log")
                self.stderr.write(f"The {name} stopped (exit {child.returncode}).{tail}")


def site_url(bind: str, environ: Mapping[str, str]) -> str:
    """Where links in webhooks and emails point: the deployment's PODIUM_SITE_URL, else the site being served."""
    return environ.get("PODIUM_SITE_URL") or f"http://{_reachable(bind)}"


def _reachable(bind: str) -> str:
    """host:port to reach a bound address from this machine (0.0.0.0 is every address, this one included)."""
    host, _, port = bind.rpartition(":")
    return f"{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{port}"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\nIts last lines:\n" + "\n".join(text) if text else ""
