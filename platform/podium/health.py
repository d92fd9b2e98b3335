"""`GET /health/`: the database, the broker, queue lengths and the workers serving each queue.

Answers 200 when the database and the broker answer, 503 otherwise (a worker-less
queue is reported but is not an outage of the web server). The worker census asks
live workers over the broker (at most one second), so the answer is cached briefly.
"""
from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

QUEUES = ("scoring", "inference")
CACHE_SECONDS = 5


def health(request: HttpRequest) -> JsonResponse:
    report = cache.get("podium-health")
    if report is None:
        report = {"database": _database(), **_broker_and_workers(), "checked_at": time.time()}
        cache.set("podium-health", report, CACHE_SECONDS)
    healthy = report["database"]["ok"] and report["broker"]["ok"]
    return JsonResponse({"status": "ok" if healthy else "unavailable", **report}, status=200 if healthy else 503)


def _database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _broker_and_workers() -> dict[str, Any]:
    from workers.app import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            client = conn.default_channel.client
            queues = {name: int(client.llen(name)) for name in QUEUES}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"broker": {"ok": False, "error": type(exc).__name__}, "queues": {}, "workers": {}}
    served: dict[str, list[str]] = {name: [] for name in QUEUES}
    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    for worker, worker_queues in replies.items():
        for queue in worker_queues:
            served.setdefault(queue["name"], []).append(worker)
    return {"broker": {"ok": True}, "queues": queues, "workers": served}
