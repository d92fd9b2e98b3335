"""How many slow clients one web process survives: `python bench/run.py slow`.

One uvicorn process (the shipped PODIUM_WEB_THREADS, 8) on SQLite. At each level, N connections declare a
1 MB form POST (the login form: Django reads such a body before any view) and trickle it a byte a second, and N
more connect and send nothing; meanwhile a page (`/`) and an API call (`/api/v1/competitions/`) are timed 10
times each. The reference, measured in the same run, is the same server without podium.request_bodies (a2wsgi
handed each body as it arrives), as before it.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, percentile, print_table
from latency import _free_port

LEVELS = (0, 8, 50, 200, 1000, 2000)
PROBES = 10
PROBE_TIMEOUT = 3.0
REFERENCE_APP = "unbuffered_asgi:application"


def main() -> list[list[object]]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it: 4,000 sockets each side
    var = Path(tempfile.mkdtemp(prefix="podium-bench-slow-"))
    env = {
        **os.environ,
        "PODIUM_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "podium.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform"), str(ROOT / "bench")]),
    }
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    rows: list[list[object]] = []
    for label, app in (("Podium (bodies read on the loop)", "podium.asgi:application"), ("reference: a2wsgi alone", REFERENCE_APP)):
        for level in LEVELS:
            row = _level(app, level, env, var)
            rows.append([label, level, *row])
            if row[0].startswith("0/"):  # nothing answered: more clients will not help
                rows += [[label, more, "not run", "", "", ""] for more in LEVELS if more > level]
                break
    print_table(
        "Slow clients against one web process: N trickling a body + N sending nothing",
        ["server", "N", "answered", "page p50 s", "page max s", "api max s"],
        rows,
    )
    return rows


def _level(app: str, level: int, env: dict[str, str], var: Path) -> tuple[str, float, float, float]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--backlog",
            "4096",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(var / "web.log", "ab"),
    )
    try:
        _wait(port)
        tricklers = [_connect(port) for _ in range(level)]
        for sock in tricklers:
            sock.sendall(
                b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000000\r\n\r\nusername="
            )
        silent = [_connect(port) for _ in range(level)]
        stop = threading.Event()
        feeder = threading.Thread(target=_trickle, args=(tricklers, stop), daemon=True)
        feeder.start()
        time.sleep(2)
        page = [_probe(port, "/") for _ in range(PROBES)]
        api = [_probe(port, "/api/v1/competitions/") for _ in range(PROBES)]
        stop.set()
        feeder.join()
        for sock in tricklers + silent:
            sock.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # threads blocked on bodies that never come
            server.kill()
            server.wait()
    answered = sum(value is not None for value in page + api)
    times = [value if value is not None else PROBE_TIMEOUT for value in page]
    api_times = [value if value is not None else PROBE_TIMEOUT for value in api]
    return f"{answered}/{2 * PROBES}", percentile(times, 50), max(times), max(api_times)


def _trickle(sockets: list[socket.socket], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        for sock in sockets:
            try:
                sock.send(b"a")
            except OSError:
                pass


def _probe(port: int, path: str) -> float | None:
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
            while sock.recv(65536):
                pass
    except OSError:
        return None
    return time.monotonic() - started if head.startswith(b"HTTP/1.1 200") else None


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _probe(port, "/api/v1/competitions/") is not None:
            return
        time.sleep(0.2)
    raise RuntimeError("the web server did not start")


if __name__ == "__main__":
    main()
