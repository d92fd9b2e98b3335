"""Worker heartbeats: every few seconds each worker records, in Redis, that it serves its queues.

`/health/` reads them to say which queues have live workers and when each was
last seen, without asking the workers anything at request time.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from celery import bootsteps

from workers.gate import record_sandbox

KEY = "podium:heartbeat"
INTERVAL_SECONDS = 5.0
TTL_SECONDS = 60

logger = logging.getLogger(__name__)


class Heartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker: Any) -> None:
        self.beat(worker)
        self.timer_ref = worker.timer.call_repeatedly(INTERVAL_SECONDS, self.beat, (worker,), priority=10)

    def stop(self, worker: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()

    def beat(self, worker: Any) -> None:
        try:
            with worker.app.connection_for_write() as connection:
                client = connection.default_channel.client
                for queue in worker.app.amqp.queues.consume_from:
                    client.set(f"{KEY}:{queue}:{worker.hostname}", time.time(), ex=TTL_SECONDS)
                sandbox = getattr(worker.app, "podium_sandbox", None)
                if sandbox is not None:  # a worker of models or scoring programs: whether it can run them, and how
                    record_sandbox(client, worker.hostname, sandbox, getattr(worker.app, "podium_runtime", ""),
                                   getattr(worker.app, "podium_sandboxed_queues", None))
        except Exception:  # noqa: BLE001 - a missed heartbeat must never stop the worker
            logger.warning("could not record a heartbeat", exc_info=True)


def last_heartbeats(client: Any) -> dict[str, dict[str, float]]:
    """{queue: {worker: seconds since its last heartbeat}} from the broker's Redis."""
    now = time.time()
    seen: dict[str, dict[str, float]] = {}
    for key in client.scan_iter(f"{KEY}:*"):
        _, _, queue, worker = key.decode().split(":", 3)
        stamp = client.get(key)
        if stamp is not None:
            seen.setdefault(queue, {})[worker] = round(now - float(stamp), 1)
    return seen
