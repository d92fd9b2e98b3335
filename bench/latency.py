"""Upload-to-scored latency through the real stack: uvicorn, Redis, one Celery worker.

100 sequential 10,000-row text-classification submissions, each uploaded with
the API and polled (every 5 ms) until scored. Reference points measured in the
same run: a bare Celery round trip on the same Redis, and scoring the same file
in-process with pandas + sklearn.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, percentile, print_table

N_SUBMISSIONS = 100
N_ROWS = 10_000
GOAL_P50, GOAL_P95 = 0.3, 1.0


def main() -> dict[str, float]:
    var = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    os.environ.update(PODIUM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="podium.settings")
    os.environ.pop("DATABASE_URL", None)
    from podium.devstack import EmbeddedRedis, start_web, start_worker, stop_process

    redis_server = EmbeddedRedis(var / "redis.sock").start()
    os.environ["REDIS_URL"] = redis_server.url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    token, files = _world(var)
    port = _free_port()
    env = {"PODIUM_VAR_DIR": str(var), "REDIS_URL": redis_server.url}
    worker = start_worker(queues="scoring", concurrency=1, env=env, log_path=var / "worker.log")
    web = start_web(bind=f"127.0.0.1:{port}", workers=2, env=env, log_path=var / "web.log")
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, var / "worker.log")
        latencies = _run(base, token, files)
        celery_rtt = _celery_round_trip(redis_server.url)
    finally:
        stop_process(web)
        stop_process(worker)
        redis_server.stop()
    reference = _reference_scoring(var / "truth.csv", files[0])
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print_table(
        f"Upload-to-scored latency, {N_SUBMISSIONS} sequential {N_ROWS:,}-row text-classification submissions",
        ["measure", "seconds", "goal"],
        [
            ["end-to-end p50", p50, f"<= {GOAL_P50}"],
            ["end-to-end p95", p95, f"<= {GOAL_P95}"],
            ["end-to-end max", max(latencies), ""],
            ["reference: bare Celery round trip (p50)", celery_rtt, ""],
            ["reference: pandas + sklearn scoring of one file", reference, ""],
        ],
    )
    return {"p50": p50, "p95": p95}


def _world(var: Path) -> tuple[str, list[Path]]:
    import numpy as np
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.utils import timezone
    from accounts.services import token_issue

    from competitions.models import Competition
    from teams.services import membership_join

    rng = np.random.default_rng(0)
    classes = ["alpha", "beta", "gamma", "delta", "epsilon"]
    labels = rng.integers(0, len(classes), N_ROWS)
    truth = var / "truth.csv"
    truth.write_text("id,label,Usage\n" + "".join(
        f"row{i},{classes[labels[i]]},{'Public' if i % 3 else 'Private'}\n" for i in range(N_ROWS)))
    competition = Competition.objects.create(
        slug="bench", title="Bench", task="text-classification", start_at=timezone.now() - timedelta(days=1),
        end_at=timezone.now() + timedelta(days=1), classes=classes, daily_submission_limit=N_SUBMISSIONS + 10,
        published_at=timezone.now(),
    )
    with open(truth, "rb") as handle:
        competition.truth_file.save("truth.csv", File(handle), save=True)
    user = get_user_model().objects.create_user("bencher", password="bench-pass-1")
    membership_join(competition=competition, user=user, accept_rules=True)
    files = []
    for k in range(5):
        predicted = np.where(rng.random(N_ROWS) < 0.5 + k / 10, labels, rng.integers(0, len(classes), N_ROWS))
        path = var / f"submission{k}.csv"
        path.write_text("id,label\n" + "".join(f"row{i},{classes[predicted[i]]}\n" for i in rng.permutation(N_ROWS)))
        files.append(path)
    return token_issue(user=user, name="bench")[1], files


def _run(base: str, token: str, files: list[Path], slug: str = "bench", count: int = N_SUBMISSIONS) -> list[float]:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    latencies = []
    for index in range(count):
        path = files[index % len(files)]
        start = time.perf_counter()
        with open(path, "rb") as handle:
            response = session.post(f"{base}/api/v1/competitions/{slug}/submissions/", files={"file": handle})
        response.raise_for_status()
        url = f"{base}/api/v1/submissions/{response.json()['id']}/"
        while True:
            status = session.get(url).json()["status"]
            if status in ("scored", "failed"):
                break
            time.sleep(0.005)
        latencies.append(time.perf_counter() - start)
        if status != "scored":
            raise RuntimeError(f"submission {index} ended {status}")
    return latencies


def _celery_round_trip(redis_url: str) -> float:
    """p50 of publishing a message and reading it back from the same Redis (no task work)."""
    from kombu import Connection, Queue

    times = []
    with Connection(redis_url) as connection:
        queue = Queue("bench-echo", routing_key="bench-echo")
        with connection.SimpleQueue(queue) as simple:
            for _ in range(200):
                start = time.perf_counter()
                simple.put({"ping": 1})
                simple.get(timeout=5).ack()
                times.append(time.perf_counter() - start)
    return percentile(times, 50)


def _reference_scoring(truth: Path, submission: Path) -> float:
    import pandas as pd
    from sklearn.metrics import accuracy_score, f1_score

    start = time.perf_counter()
    t = pd.read_csv(truth, dtype=str)
    s = pd.read_csv(submission, dtype=str)
    merged = t.merge(s, on="id", suffixes=("_true", "_pred"))
    for usage in ("Public", "Private"):
        part = merged[merged.Usage == usage]
        accuracy_score(part.label_true, part.label_pred)
        f1_score(part.label_true, part.label_pred, average="macro", zero_division=0)
    return time.perf_counter() - start


def _wait_ready(base: str, worker_log: Path) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/api/v1/competitions/", timeout=10).ok and b"ready." in worker_log.read_bytes():
                return
        except (requests.RequestException, FileNotFoundError):  # not up yet, or slow to answer its first request
            pass
        time.sleep(0.2)
    raise RuntimeError("the web server or the worker did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    main()
