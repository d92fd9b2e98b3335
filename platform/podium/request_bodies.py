"""Request bodies are read whole on the event loop, within a deadline, before a thread is given to the request.

Django runs in a pool of PODIUM_WEB_THREADS threads per process (podium/asgi.py). Handed a body as it arrives,
each thread would block on a client that trickles it, and a few dozen such clients would hold every thread of
every process. So, as a reverse proxy's request buffering does, a body is first read here on the event loop
(where a slow client costs a socket and a buffer, no thread) into a spooled temporary file, and the request
reaches Django only once the body is complete. A body must keep coming: no gap longer than BODY_IDLE_SECONDS,
and all of it within BODY_GRACE_SECONDS plus its declared length at BODY_MIN_RATE bytes a second; otherwise the
client is answered 408 and the connection closed.

Bodies that declare more than any upload limit, or no length at all (chunked), pass straight on: Django answers
the first 413 from the header without reading (submissions/uploads.py) and reads a body of undeclared length as empty.
"""
from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import IO, Any

from core.errors import PodiumError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_IDLE_SECONDS = 20.0
BODY_GRACE_SECONDS = 30.0
BODY_MIN_RATE = 16 * 1024  # bytes a second, on average over the whole body, after the grace
SPOOL_BYTES = 1024 * 1024  # bodies up to this stay in memory; larger ones go to a temporary file
REPLAY_CHUNK = 256 * 1024


class BufferedBodies:
    def __init__(self, app: App, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _declared_length(scope) if scope["type"] == "http" else None
        if length is None or length == 0 or length > self.max_body_bytes:
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            complete = await _read_body(receive, body, length)
            if complete is None:
                return  # the client went away: nobody to answer
            if not complete:
                await _too_slow(send)
                return
            body.seek(0)
            await self.app(scope, _replay(body, receive), send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _read_body(receive: Receive, body: IO[bytes], length: int) -> bool | None:
    """True once the whole body is in `body`; False if it came too slowly; None if the client disconnected."""
    started = time.monotonic()
    deadline = started + BODY_GRACE_SECONDS + length / BODY_MIN_RATE
    received = 0
    while True:
        wait = min(BODY_IDLE_SECONDS, deadline - time.monotonic())
        if wait <= 0:
            return False
        try:
            message = await asyncio.wait_for(receive(), wait)
        except TimeoutError:
            return False
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > length:
            return False  # more than declared: the server would not pass that on; refuse rather than guess
        body.write(chunk)
        if not message.get("more_body", False):
            return True


def _replay(body: IO[bytes], receive: Receive) -> Receive:
    """The body again, as ASGI messages; after it, the client's own messages (a disconnect, when it comes)."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(REPLAY_CHUNK)
        more = len(chunk) == REPLAY_CHUNK and body.read(1) != b""
        if more:
            body.seek(-1, 1)
        else:
            done = True
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


async def _too_slow(send: Send) -> None:
    payload = json.dumps({"error": {"code": PodiumError.BODY_TIMEOUT, "message": (
        f"The request body arrived too slowly: it must keep coming (no pause over {BODY_IDLE_SECONDS:.0f} s) "
        f"at {BODY_MIN_RATE // 1024} KB/s or more on average.")}}).encode()
    await send({"type": "http.response.start", "status": 408,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
