"""Live boards at scale: a new score reaching 1,000 open leaderboards, pushed (server-sent events) against polled.

Part of `python bench/run.py load`. One 10,000-team competition with 100,000
scored submissions; `pages` open leaderboard pages; then `scores` uploads, one
every `spacing` seconds, each scored by the real worker. For every score and
every page: the delay from the score's `scored_at` to the page holding the new
table (an event received, or a poll answered 200 with a new ETag). The same
run measures today's polling (each page asks every second, If-None-Match) as
the reference, and the web server's CPU while nothing happens.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import random
import resource
import threading
import time
from dataclasses import dataclass, field

from common import percentile


@dataclass
class Delivery:
    mode: str
    pages: int
    idle_cpu_percent: float  # the web server's CPU while the pages are open and nothing changes
    web_mb: float  # the web server's memory (all its processes) with the pages open
    latencies: list[float] = field(default_factory=list)  # seconds, one per (score, page)
    missed: int = 0  # (score, page) pairs never delivered
    upload_statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def row(self) -> list[object]:
        p = (lambda q: f"{percentile(self.latencies, q):.3f}") if self.latencies else (lambda q: "n/a")
        return [self.mode, self.pages, f"{self.idle_cpu_percent:.1f}", f"{self.web_mb:.0f}", p(50), p(95), p(99),
                f"{max(self.latencies):.3f}" if self.latencies else "n/a", self.missed, self.errors]


# --- the pages -----------------------------------------------------------------------------------------------------

def _streams(host: str, port: int, path: str, count: int, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """`count` event streams in one asyncio process; puts [(received_at, version)] per stream and the errors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 256)), hard))

    async def one(index: int, received: list[tuple[float, int]], errors: list[int]) -> None:
        await asyncio.sleep(index * 0.002)  # pages do not all open on the same tick
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
            buffer = b""
            while True:
                chunk = await reader.read(262144)
                if not chunk:
                    errors.append(1)
                    return
                now = time.time()
                buffer += chunk
                *frames, buffer = buffer.split(b"\n\n")
                for frame in frames:
                    at = frame.find(b"\nid: ")
                    if at >= 0:
                        received.append((now, int(frame[at + 5:frame.index(b"\n", at + 5)])))
        except (OSError, ValueError):
            errors.append(1)

    async def run() -> None:
        results = [[] for _ in range(count)]
        errors: list[int] = []
        tasks = [asyncio.ensure_future(one(i, results[i], errors)) for i in range(count)]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        out.put((results, len(errors)))

    asyncio.run(run())


def _pollers(base: str, path: str, count: int, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """`count` polling pages (threads): puts [(answered_at, etag)] of each 200 with a new ETag."""
    import requests

    results: list[list[tuple[float, str]]] = [[] for _ in range(count)]
    errors = [0]
    deadline = time.monotonic() + seconds

    def poll(index: int) -> None:
        session, etag = requests.Session(), None
        time.sleep(random.random())
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                response = session.get(base + path, headers={"If-None-Match": etag} if etag else {}, timeout=30)
                if response.status_code == 200 and response.headers.get("ETag") != etag:
                    etag = response.headers["ETag"]
                    results[index].append((time.time(), etag))
                elif response.status_code not in (200, 304):
                    errors[0] += 1
            except requests.RequestException:
                errors[0] += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(([[(at, 0) for at, _ in pages] for pages in results], errors[0]))


# --- one run -------------------------------------------------------------------------------------------------------

def _web(pid: int):  # type: ignore[no-untyped-def]
    import psutil

    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def _cpu_seconds(pid: int) -> float:
    import psutil

    total = 0.0
    for member in _web(pid):
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def _memory_mb(pid: int) -> float:
    import psutil

    total = 0
    for member in _web(pid):
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def deliver(*, mode: str, base: str, slug: str, web_pid: int, tokens: list[str], submission: bytes, pages: int,
            scores: int, spacing: float = 2.0, idle_seconds: float = 10.0) -> Delivery:
    """Open `pages` pages (pushed or polled), measure the idle server, then `scores` scores and their delivery."""
    import requests

    from submissions.models import Submission

    host, port = base.removeprefix("http://").split(":")
    settle = 15.0 if mode == "pushed" else 5.0
    seconds = settle + idle_seconds + scores * spacing + 15
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    shares = 4 if mode == "polled" else 2
    children = []
    for share in range(shares):
        count = pages // shares + (share < pages % shares)
        if mode == "pushed":
            target, args = _streams, (host, int(port), f"/c/{slug}/leaderboard/events/?board=public", count)
        else:
            target, args = _pollers, (base, f"/c/{slug}/leaderboard/table/?board=public", count)
        children.append(context.Process(target=target, args=(*args, seconds, queue)))
    for child in children:
        child.start()
    time.sleep(settle)  # every page open and showing the board
    cpu_before, idle_started = _cpu_seconds(web_pid), time.monotonic()
    time.sleep(idle_seconds)
    idle = (_cpu_seconds(web_pid) - cpu_before) / (time.monotonic() - idle_started) * 100
    memory = _memory_mb(web_pid)
    statuses: dict[int, int] = {}
    ids = []
    for index in range(scores):
        response = requests.post(f"{base}/api/v1/competitions/{slug}/submissions/", timeout=60,
                                 headers={"Authorization": f"Token {tokens[index % len(tokens)]}"},
                                 files={"file": ("predictions.csv", submission)})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 201:
            ids.append(response.json()["id"])
        time.sleep(spacing)
    results, errors = [], 0
    for _ in children:
        pages_seen, page_errors = queue.get()
        results += pages_seen
        errors += page_errors
    for child in children:
        child.join()
    scored = sorted(Submission.objects.filter(pk__in=ids, scored_at__isnull=False).values_list("scored_at", flat=True))
    delivery = Delivery(mode=mode, pages=pages, idle_cpu_percent=idle, web_mb=memory, upload_statuses=statuses,
                        errors=errors)
    delivery.missed += (len(ids) - len(scored)) * pages
    for when in (moment.timestamp() for moment in scored):
        for seen in results:
            after = [at for at, _ in seen if at >= when]
            if after:
                delivery.latencies.append(min(after) - when)
            else:
                delivery.missed += 1
    return delivery
