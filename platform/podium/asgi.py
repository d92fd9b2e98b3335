"""The web server's entry point (uvicorn): event streams on the event loop, every other request in threads.

Server-sent event streams (`…/events/`) are Django async views: thousands stay
open on one process at no cost while idle. Every other request goes to Django's
WSGI handler in a pool of PODIUM_WEB_THREADS threads (a2wsgi), as under a WSGI server:
Django's own ASGI handler would run sync views one at a time per process. A request's
body is read whole on the event loop first (podium/request_bodies.py), so a client that
trickles one holds no thread.
"""
from __future__ import annotations

import os
import re
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from podium.request_bodies import BufferedBodies  # noqa: E402

STREAMS = re.compile(r"^/(c/[^/]+/(leaderboard|submissions)|submissions/\d+)/events/$")

_streams = get_asgi_application()  # sets Django up: the apps' modules import after it

from submissions.uploads import ENVELOPE_BYTES  # noqa: E402

_requests = BufferedBodies(
    # Django's WSGI handler and a2wsgi's ASGI app do speak WSGI and ASGI; their stubs name the types differently.
    WSGIMiddleware(get_wsgi_application(), workers=int(os.environ.get("PODIUM_WEB_THREADS", "8"))),  # type: ignore[arg-type]  # as above
    # No upload may be larger than this; a body declared larger is refused from its header, unread.
    max_body_bytes=max(settings.PODIUM_MAX_UPLOAD_MB, settings.PODIUM_MAX_MODEL_MB) * 1024 * 1024 + ENVELOPE_BYTES,
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http" and STREAMS.match(scope["path"]):
        await _streams(scope, receive, send)
    else:
        await _requests(scope, receive, send)
