"""Server-sent events, fanned out through Redis pub/sub.

`publish` (any process, after a commit) sends a short message on a channel: a
board's new version, or "a submission of this team changed". Each web process
holds one subscription for every channel (`Hub`) and wakes the streams that
listen to that channel in this process; nothing is polled, so an open page costs
the server nothing until something changes (and a comment every
KEEPALIVE_SECONDS, so that proxies keep the connection).

A message lost (Redis restarted, the subscription dropped) is made good: the hub
wakes every stream when it subscribes again, and each stream then compares its
version with the database. Pages whose stream drops fall back to polling
(static/podium/app.js).
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

logger = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "podium:events:"
KEEPALIVE_SECONDS = 25
RETRY_MS = 3000


def board_channel(competition_id: int) -> str:
    return f"{PREFIX}board:{competition_id}"


def team_channel(team_id: int) -> str:
    return f"{PREFIX}team:{team_id}"


def _redis_url() -> str:
    return settings.REDIS_URL.replace("redis+socket://", "unix://")


_publishers: dict[str, Any] = {}  # redis.Redis clients by URL (redis is imported when first used)


def publish(channel: str, message: str) -> None:
    """Best effort: a page that misses it catches up on its next wake-up or poll."""
    import redis

    url = _redis_url()
    try:
        client = _publishers.get(url)
        if client is None:
            client = _publishers[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.publish(channel, message)
    except Exception:  # noqa: BLE001 - Redis may be down; live pages fall back to polling
        logger.warning("could not publish on %s", channel)
        _publishers.pop(url, None)


def _pubsub_class() -> type:
    from redis.asyncio.client import PubSub

    class ResubscribingPubSub(PubSub):
        hub: Hub

        async def on_connect(self, connection: Any) -> None:
            await super().on_connect(connection)
            self.hub.resubscribed()

    return ResubscribingPubSub


class Hub:
    """One Redis subscription per process; streams wait on their channel's next message.

    `mark(channel)` says where a channel stands (messages seen, resubscriptions);
    `wait(channel, mark)` returns at once when it moved since, so a message that
    arrives while a stream is busy is not missed.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._seen: dict[str, int] = defaultdict(int)
        self._epoch = 0
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._task = detached_task(self._run())

    async def _run(self) -> None:
        import redis.asyncio as aioredis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(_redis_url(), socket_connect_timeout=2, health_check_interval=30)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.__class__ = _PubSub  # redis-py reconnects by itself: be told, as after our own retry
                pubsub.hub = self  # type: ignore[attr-defined]  # the class is _PubSub since the line above
                await pubsub.psubscribe(PREFIX + "*")
                self.resubscribed()
                delay = 0.5
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        channel = message["channel"].decode()
                        self._seen[channel] += 1
                        self._wake([channel])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis restarted or unreachable: try again, streams stay open
                logger.warning("event subscription lost; retrying in %.1f s", delay)
            finally:
                try:
                    await client.aclose()
                except Exception:  # noqa: BLE001 - closing a broken connection
                    pass
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    def resubscribed(self) -> None:
        """What was published while unsubscribed is lost: every stream checks."""
        self._epoch += 1
        self._wake(list(self._waiters))

    def _wake(self, channels: list[str]) -> None:
        for channel in channels:
            for event in self._waiters.get(channel, ()):
                event.set()

    def mark(self, channel: str) -> tuple[int, int]:
        return self._epoch, self._seen.get(channel, 0)

    async def wait(self, channel: str, since: tuple[int, int], timeout: float) -> bool:
        """True when the channel moved past `since`; False after `timeout` of silence."""
        self._ensure_running()
        if self.mark(channel) != since:
            return True
        event = asyncio.Event()
        self._waiters[channel].add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters[channel].discard(event)
            if not self._waiters[channel]:
                del self._waiters[channel]


hub = Hub()
_PubSub = _pubsub_class()


def detached_task(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """A task of this process, not of the request that happened to start it: Django runs each request's
    sync code in a thread of its own (with its own database connection) until that request ends."""
    return asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())


_database_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="podium-streams")


def database_call(function: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """`function` in one of this process's few stream threads: however many pages open at once, streams hold
    at most four database connections per process (Django would give each open request a thread and a
    connection of its own for as long as it lasts: a thousand pages, a thousand PostgreSQL connections)."""
    def call(*args: Any, **kwargs: Any) -> T:
        close_old_connections()  # CONN_MAX_AGE and broken connections, as between requests
        return function(*args, **kwargs)

    return sync_to_async(call, thread_sensitive=False, executor=_database_threads)


_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def sse_frame(data: str, *, event: str = "message", event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    # Every line ending SSE knows (\r\n, \r, \n): a \r left in a team's name must not end the event early.
    lines += [f"data: {line}" for line in _LINE_ENDS.split(data)]
    return ("\n".join(lines) + "\n\n").encode()


def streams_served(request: HttpRequest) -> bool:
    """Streams need the ASGI server (uvicorn); under a WSGI server (runserver, tests' live server)
    an endless response would hold a thread for ever, so the page is told to poll instead."""
    return isinstance(request, ASGIRequest)


def no_stream() -> HttpResponse:
    """204: EventSource stops reconnecting, and the page polls (static/podium/app.js)."""
    return HttpResponse(status=204)


def sse_response(stream: AsyncIterator[bytes]) -> StreamingHttpResponse:
    async def framed() -> AsyncIterator[bytes]:
        yield f"retry: {RETRY_MS}\n\n".encode()
        async for chunk in stream:
            yield chunk

    response = StreamingHttpResponse(framed(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
