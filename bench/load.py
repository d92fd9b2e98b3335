"""Load: many users uploading at once while hundreds of clients poll the live leaderboard; then live boards at scale.

`python bench/run.py load` (defaults: 200 concurrent uploads from 200 users, 500
pollers for 60 s) starts the real stack (uvicorn, Redis, Celery scoring workers;
PostgreSQL when DATABASE_URL is set, else SQLite) and reports: uploads answered
without a 5xx, every submission scored exactly once, and the leaderboard's
response times. Pollers behave like the live page (one request a second,
If-None-Match); a tenth of them send no ETag and get the full table every time:
the reference measured in the same run. The load generator shares this
machine's cores with the server, so the table also gives the server's own
cost of one poll, measured unloaded through Django in-process.

Then (bench/push.py) a 10,000-team competition with 1,000 open leaderboards:
the delay from each new score to every open page, pushed by server-sent events,
and with today's polling as the reference in the same run.

`run_load()` is also what tests/integration/test_load.py runs, scaled down.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import ROOT, percentile, print_table


@dataclass
class PollStats:
    latencies: list[float] = field(default_factory=list)
    full_latencies: list[float] = field(default_factory=list)  # pollers that send no ETag
    statuses: Counter = field(default_factory=Counter)

    def merge(self, other: "PollStats") -> None:
        self.latencies += other.latencies
        self.full_latencies += other.full_latencies
        self.statuses.update(other.statuses)


@dataclass
class LoadResult:
    polls: PollStats
    upload_statuses: Counter
    upload_latencies: list[float]
    submission_ids: list[int]
    final_statuses: Counter
    seconds_to_all_scored: float | None


def run_load(*, base: str, slug: str, tokens: list[str], submission: bytes, pollers: int, seconds: float,
             upload_after: float = 2.0, poller_processes: int = 0) -> LoadResult:
    """Pollers for `seconds`; after `upload_after` s, one upload per token, all at once; then wait for every score."""
    deadline = time.monotonic() + seconds
    polls = PollStats()
    if poller_processes:
        with multiprocessing.get_context("fork").Pool(poller_processes) as pool:
            shares = [pollers // poller_processes + (i < pollers % poller_processes) for i in range(poller_processes)]
            pending = pool.starmap_async(_poll_process, [(base, slug, share, seconds, i) for i, share in enumerate(shares)])
            uploads = _upload_all(base, slug, tokens, submission, upload_after)
            for stats in pending.get():
                polls.merge(stats)
    else:
        threads = [threading.Thread(target=_poller, args=(base, slug, deadline, i % 10 == 0, polls)) for i in range(pollers)]
        for thread in threads:
            thread.start()
        uploads = _upload_all(base, slug, tokens, submission, upload_after)
        for thread in threads:
            thread.join()
    statuses, latencies, ids, started = uploads
    finals, finished_at = _wait_final(base, tokens, ids)
    return LoadResult(polls, statuses, latencies, [i for i in ids if i is not None], finals,
                      None if finished_at is None else finished_at - started)


def _poll_process(base: str, slug: str, count: int, seconds: float, seed: int) -> PollStats:
    random.seed(seed)
    stats = PollStats()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_poller, args=(base, slug, deadline, i % 10 == 0, stats)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


def _poller(base: str, slug: str, deadline: float, full: bool, stats: PollStats) -> None:
    import requests

    session = requests.Session()
    etag = None
    time.sleep(random.random())  # clients do not all start on the same tick
    while time.monotonic() < deadline:
        started = time.monotonic()
        headers = {"If-None-Match": etag} if etag and not full else {}
        try:
            response = session.get(f"{base}/c/{slug}/leaderboard/table/", headers=headers, timeout=30)
            status = response.status_code
            etag = response.headers.get("ETag", etag)
        except requests.RequestException as exc:
            status = type(exc).__name__
        elapsed = time.monotonic() - started
        (stats.full_latencies if full else stats.latencies).append(elapsed)
        stats.statuses[status] += 1
        time.sleep(max(0.0, 1.0 - elapsed))


def _upload_all(base: str, slug: str, tokens: list[str], submission: bytes, after: float):  # type: ignore[no-untyped-def]
    import requests

    barrier = threading.Barrier(len(tokens) + 1)
    statuses: Counter = Counter()
    latencies: list[float] = []
    ids: list[int | None] = [None] * len(tokens)

    def upload(index: int) -> None:
        session = requests.Session()
        barrier.wait()
        started = time.monotonic()
        try:
            response = session.post(f"{base}/api/v1/competitions/{slug}/submissions/", timeout=120,
                                    headers={"Authorization": f"Token {tokens[index]}"},
                                    files={"file": ("predictions.csv", submission)})
            statuses[response.status_code] += 1
            if response.status_code == 201:
                ids[index] = response.json()["id"]
        except requests.RequestException as exc:
            statuses[type(exc).__name__] += 1
        latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    time.sleep(after)
    started = time.monotonic()
    barrier.wait()
    for thread in threads:
        thread.join()
    return statuses, latencies, ids, started


def _wait_final(base: str, tokens: list[str], ids: list[int | None], timeout: float = 300) -> tuple[Counter, float | None]:
    import requests

    pending = {i: token for i, token in zip(ids, tokens) if i is not None}
    finals: Counter = Counter()
    deadline = time.monotonic() + timeout
    session = requests.Session()
    while pending and time.monotonic() < deadline:
        for submission_id, token in list(pending.items()):
            body = session.get(f"{base}/api/v1/submissions/{submission_id}/", headers={"Authorization": f"Token {token}"}).json()
            if body["status"] in ("scored", "failed"):
                finals[body["status"]] += 1
                del pending[submission_id]
        time.sleep(0.2)
    finals["unfinished"] += len(pending)
    return finals, (time.monotonic() if not pending else None)


def create_world(*, users: int, rows: int = 2_000, slug: str = "load", prefix: str = "load") -> tuple[list[str], bytes]:
    """A text competition, `users` participants on their own teams with API tokens, and a predictions file."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.services import token_issue
    from competitions.models import Competition
    from teams.services import membership_join

    classes = ["alpha", "beta", "gamma"]
    truth = "id,label,Usage\n" + "".join(f"r{i},{classes[i % 3]},{'Public' if i % 2 else 'Private'}\n" for i in range(rows))
    submission = ("id,label\n" + "".join(f"r{i},{classes[(i * i) % 3]}\n" for i in range(rows))).encode()
    now = timezone.now()
    competition = Competition.objects.create(slug=slug, title="Load", task="text-classification", classes=classes,
                                             start_at=now - timedelta(days=1), end_at=now + timedelta(days=1),
                                             daily_submission_limit=10, published_at=now)
    competition.truth_file.save("truth.csv", ContentFile(truth.encode()), save=True)
    password = make_password("load-pass-1")
    people = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"{prefix}{i:04d}", password=password) for i in range(users)])
    tokens = []
    for user in people:
        membership_join(competition=competition, user=user, accept_rules=True)
        tokens.append(token_issue(user=user, name="load")[1])
    return tokens, submission


def main(argv: list[str]) -> LoadResult:
    parser = argparse.ArgumentParser(prog="bench/run.py load")
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--pollers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-processes", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--pages", type=int, default=1000, help="open leaderboards in the 10,000-team run (0: skip it)")
    parser.add_argument("--scores", type=int, default=10, help="scores made while they are open")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="podium-load-"))
    os.environ.update(PODIUM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="podium.settings")
    from podium.devstack import EmbeddedRedis, start_web, start_worker, stop_process

    redis_server = None
    if "REDIS_URL" not in os.environ:
        redis_server = EmbeddedRedis(var / "redis.sock").start()
        os.environ["REDIS_URL"] = redis_server.url
    database = _fresh_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tokens, submission = create_world(users=args.uploads)
    if args.pages:  # the 10,000-team competition of the pushed-pages run, built before the servers start
        import boards
        from competitions.models import Competition

        big_tokens, _ = create_world(users=args.scores, slug="big", prefix="big")
        boards.populate(Competition.objects.get(slug="big"), 10_000, 100_000)
    env = {"PODIUM_VAR_DIR": str(var), "REDIS_URL": os.environ["REDIS_URL"], **({"DATABASE_URL": database} if database else {})}
    from latency import _free_port

    port = _free_port()
    processes = [
        start_web(bind=f"127.0.0.1:{port}", workers=args.web_processes, env=env, log_path=var / "web.log"),
        start_worker(queues="scoring", concurrency=os.cpu_count() or 1, env=env, log_path=var / "worker.log"),
    ]
    try:
        base = f"http://127.0.0.1:{port}"
        from latency import _wait_ready

        _wait_ready(base, var / "worker.log")
        result = run_load(base=base, slug="load", tokens=tokens, submission=submission, pollers=args.pollers,
                          seconds=args.seconds, upload_after=5.0, poller_processes=4)
        deliveries = []
        if args.pages:
            from push import deliver

            for mode in ("pushed", "polled"):
                deliveries.append(deliver(mode=mode, base=base, slug="big", web_pid=processes[0].pid,
                                          tokens=big_tokens, submission=submission, pages=args.pages,
                                          scores=args.scores))
    finally:
        for process in processes:
            stop_process(process)
        if redis_server:
            redis_server.stop()
    _report(result, args, database, _server_cost_per_poll("load"))
    if deliveries:
        print_table(
            f"Live boards: a new score reaching {args.pages} open leaderboards of a 10,000-team competition "
            f"(100,000 submissions; {args.scores} scores; {'PostgreSQL' if database else 'SQLite'}, "
            f"{args.web_processes} uvicorn processes, {os.cpu_count()} cores shared with the clients)",
            ["pages", "open", "idle server CPU (%)", "web server RSS (MB)", "p50 (s)", "p95 (s)", "p99 (s)", "max (s)", "missed", "errors"],
            [delivery.row() for delivery in deliveries])
    return result


def _server_cost_per_poll(slug: str, polls: int = 2_000) -> tuple[float, float]:
    """Milliseconds of one idle (304) poll and one full rendering, through Django in this process: no network, no load."""
    from django.test import Client

    client = Client()
    etag = client.get(f"/c/{slug}/leaderboard/table/")["ETag"]
    costs = []
    for headers in ({"HTTP_IF_NONE_MATCH": etag}, {}):
        started = time.perf_counter()
        for _ in range(polls):
            client.get(f"/c/{slug}/leaderboard/table/", **headers)
        costs.append((time.perf_counter() - started) / polls * 1000)
    return costs[0], costs[1]


def _fresh_database() -> str | None:
    """With DATABASE_URL (PostgreSQL), a fresh database beside it for this run; None means SQLite under var/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS podium_load")
        connection.execute("CREATE DATABASE podium_load")
    os.environ["DATABASE_URL"] = f"{base}/podium_load"
    return os.environ["DATABASE_URL"]


def _report(result: LoadResult, args: argparse.Namespace, database: str | None, per_poll_ms: tuple[float, float]) -> None:
    polls = result.polls
    server_errors = sum(n for status, n in polls.statuses.items() if isinstance(status, int) and status >= 500)
    upload_errors = sum(n for status, n in result.upload_statuses.items() if not (isinstance(status, int) and status < 500))
    print_table(
        f"Load: {args.uploads} concurrent uploads + {args.pollers} leaderboard pollers for {args.seconds:.0f} s "
        f"({'PostgreSQL' if database else 'SQLite'}, {args.web_processes} uvicorn processes, {os.cpu_count()} cores)",
        ["measure", "result"],
        [
            ["uploads answered 201", result.upload_statuses.get(201, 0)],
            ["uploads answered 5xx or not at all", upload_errors],
            [
                "upload response p50 / p95 (s)",
                f"{percentile(result.upload_latencies, 50):.3f} / {percentile(result.upload_latencies, 95):.3f}",
            ],
            [
                "submissions scored / failed / unfinished",
                f"{result.final_statuses.get('scored', 0)} / "
                f"{result.final_statuses.get('failed', 0)} / {result.final_statuses.get('unfinished', 0)}",
            ],
            ["seconds from the uploads to the last score", f"{result.seconds_to_all_scored or float('nan'):.1f}"],
            [
                "leaderboard polls (304 share)",
                f"{sum(polls.statuses.values())} ({polls.statuses.get(304, 0) / max(1, len(polls.latencies)):.0%})",
            ],
            [
                "leaderboard polls answered 5xx or not at all",
                server_errors + sum(n for s, n in polls.statuses.items() if not isinstance(s, int)),
            ],
            [
                "leaderboard p50 / p95 / p99 (s), live page (ETag)",
                " / ".join(f"{percentile(polls.latencies, q):.3f}" for q in (50, 95, 99)),
            ],
            ["reference: full table every time, p50 / p95 (s)", " / ".join(f"{percentile(polls.full_latencies, q):.3f}" for q in (50, 95))],
            ["server cost of one poll, idle (304) / full, unloaded (ms)", f"{per_poll_ms[0]:.2f} / {per_poll_ms[1]:.2f}"],
        ],
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    main(sys.argv[1:])
