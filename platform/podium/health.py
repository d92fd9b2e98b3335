"""`GET /health/`: the database, the broker, queue lengths and each queue's workers with their last heartbeat.

Answers 200 when the database and the broker answer, 503 otherwise (a queue
without workers is reported but is not an outage of the web server). Cached briefly.
Anyone gets the status; the details (worker host names, queue lengths, sandboxes)
only staff, or a probe sending `Authorization: Bearer <PODIUM_HEALTH_TOKEN>`.
"""
from __future__ import annotations

import hmac
import time
from typing import Any

from django.conf import settings

from django.db import connection
from django.http import HttpRequest, JsonResponse

from core.cache import cache_get, cache_set
from workers import names
from workers.gate import sandbox_reports
from workers.heartbeat import last_heartbeats

QUEUES = (names.SCORING, names.INFERENCE, names.PROGRAMS)
CACHE_SECONDS = 5


def health(request: HttpRequest) -> JsonResponse:
    report = cache_get("podium-health")
    if report is None:
        report = {"database": _database(), **_broker_and_workers(), "checked_at": time.time()}
        cache_set("podium-health", report, CACHE_SECONDS)
    healthy = report["database"]["ok"] and report["broker"]["ok"]
    body = {"status": "ok" if healthy else "unavailable"}
    if _may_see_details(request):
        body.update(report)
    return JsonResponse(body, status=200 if healthy else 503)


def _may_see_details(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    token = settings.PODIUM_HEALTH_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


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
            seen = last_heartbeats(client)
            sandboxes = sandbox_reports(client)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"broker": {"ok": False, "error": type(exc).__name__}, "queues": {}, "workers": {}, "models": {},
                "programs": {}}
    # Seconds since each worker's last heartbeat (workers beat every few seconds).
    workers = {name: seen.get(name, {}) for name in QUEUES}
    return {"broker": {"ok": True}, "queues": queues, "workers": workers,
            "models": _models(_serving(sandboxes, names.INFERENCE)),
            "programs": _programs(_serving(sandboxes, names.PROGRAMS))}


def _serving(sandboxes: dict[str, dict[str, Any]], queue: str) -> dict[str, dict[str, Any]]:
    """The workers started for `queue`, each report's `ok` saying whether it serves it."""
    chosen = {}
    for name, report in sandboxes.items():
        queues = report.get("queues") or {names.INFERENCE: report.get("ok")}
        if queue in queues:
            chosen[name] = {**report, "ok": bool(queues[queue])}
    return chosen


def _programs(sandboxes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Can organizers' scoring programs run? Each `programs` worker's sandbox, and a plain verdict; built-in
    scoring does not depend on it."""
    runnable = [name for name, report in sandboxes.items() if report.get("ok")]  # never unsandboxed (workers/gate.py)
    if runnable:
        status = "ok"
    elif sandboxes:
        status = ("waiting: no programs worker can build the sandbox, so submissions to competitions scored by their "
                  "own program wait in the queue (built-in scoring goes on)")
    else:
        status = "waiting: no worker serves the programs queue, so submissions scored by a program wait in the queue"
    return {"status": status, "sandboxes": sandboxes}


def _models(sandboxes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Can models run? Each inference worker's sandbox, and a plain verdict for organizers."""
    runnable = [name for name, report in sandboxes.items() if report.get("ok")]
    unsandboxed = [name for name, report in sandboxes.items() if report.get("mode") == "unsandboxed"]
    if unsandboxed:
        status = f"UNSANDBOXED: {', '.join(sorted(unsandboxed))} run models without a sandbox (PODIUM_UNSANDBOXED_MODELS)"
    elif runnable:
        status = "ok"
    elif sandboxes:
        status = "waiting: no inference worker can build the sandbox, so model submissions wait in the queue"
    else:
        status = "waiting: no inference worker is running, so model submissions wait in the queue"
    return {"status": status, "sandboxes": sandboxes}
