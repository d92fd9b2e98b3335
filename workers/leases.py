"""Who holds a submission, and what waits for a worker: leases and queue markers in the broker's Redis.

    podium:queued:<id> = token    set just before a task for the submission is sent; the worker that
                                  takes the task deletes it (and drops a task whose token is not there:
                                  a stale redelivery, or one superseded by a newer send)
    podium:lease:<id>  = worker   set by the worker holding the submission, for LEASE_SECONDS, renewed
                                  every RENEW_SECONDS while it works, however long that is

The sweep (`submissions.recovery.submissions_requeue_stale`, every PODIUM_SWEEP_INTERVAL) sends again a
pending submission that has neither: its worker died (the lease ran out) or the broker lost its tasks
(Redis wiped or restarted empty, markers gone with them). Both kinds of worker use these, the
inference worker included: it needs no database for them. The keys live beside the tasks on purpose:
whatever loses the tasks loses the markers, so the sweep sees exactly what was lost.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

LEASE_SECONDS = 20
RENEW_SECONDS = 5
MARKER_SECONDS = 7 * 24 * 3600  # a marker outlives any queue; it only bounds leftovers
QUEUED, LEASE = "podium:queued:", "podium:lease:"
HANDOVER = "handover"  # an inference worker's predictions, waiting on the scoring queue

logger = logging.getLogger(__name__)

# Take the submission if the task's token is the one waiting (or the task has none): one round trip.
_TAKE = """
local waiting = redis.call('GET', KEYS[1])
if ARGV[1] ~= '' and waiting ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""


@contextmanager
def broker_client() -> Iterator[Any]:
    """A Redis client on the broker, from the Celery app's connection pool."""
    from workers.app import app

    with app.pool.acquire(block=True) as connection:
        yield connection.default_channel.client


def mark_queued(submission_id: int, token: str) -> None:
    with broker_client() as client:
        client.set(f"{QUEUED}{submission_id}", token, ex=MARKER_SECONDS)


def take(submission_id: int, holder: str, token: str = "") -> bool:
    """Hold the submission (lease set, marker gone); False when the task's token is stale."""
    with broker_client() as client:
        taken = client.eval(_TAKE, 2, f"{QUEUED}{submission_id}", f"{LEASE}{submission_id}", token, holder, LEASE_SECONDS)
    return bool(taken)


def renew(submission_id: int, holder: str) -> None:
    with broker_client() as client:
        client.set(f"{LEASE}{submission_id}", holder, ex=LEASE_SECONDS)


def release(submission_id: int, *, handover: bool = False) -> None:
    """Let go of the submission; with `handover`, mark it as waiting for the scoring queue first."""
    with broker_client() as client:
        if handover:
            client.set(f"{QUEUED}{submission_id}", HANDOVER, ex=MARKER_SECONDS)
        client.delete(f"{LEASE}{submission_id}")


def accounted_for(submission_ids: Iterable[int]) -> set[int]:
    """The submissions that are queued (a marker) or held (a live lease)."""
    ids = list(submission_ids)
    if not ids:
        return set()
    with broker_client() as client:
        pipe = client.pipeline(transaction=False)
        for submission_id in ids:
            pipe.exists(f"{QUEUED}{submission_id}", f"{LEASE}{submission_id}")
        found = pipe.execute()
    return {submission_id for submission_id, count in zip(ids, found) if count}


def holder_of(submission_id: int) -> str | None:
    with broker_client() as client:
        value = client.get(f"{LEASE}{submission_id}")
    return value.decode() if isinstance(value, bytes) else value


@contextmanager
def held(submission_id: int, holder: str) -> Iterator[None]:
    """Renew the lease every RENEW_SECONDS until the block ends (a thread: the block may run for hours)."""
    stop = threading.Event()

    def keep_renewing() -> None:
        while not stop.wait(RENEW_SECONDS):
            try:
                renew(submission_id, holder)
            except Exception:  # noqa: BLE001 - the broker may be away for a moment; try again next time
                logger.warning("could not renew the lease of submission %s", submission_id, exc_info=True)

    renewer = threading.Thread(target=keep_renewing, name=f"lease-{submission_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=RENEW_SECONDS)
