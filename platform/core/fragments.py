"""Live page fragments: a server-rendered piece of a page, polled by app.js.

The answer carries an ETag made from a cheap fingerprint of what the fragment
shows; a poll whose If-None-Match still matches gets an empty 304. Where the
fingerprint can be had without building the page (a version read in one
query), pass the context as a callable: an unchanged poll then costs that one
query, and `cache_key` lets a changed one reuse the rendering another client
already paid for.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string

from core.cache import cache_get, cache_set

CACHE_SECONDS = 60


def fragment_response(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | Callable[[], dict[str, Any]],
    fingerprint: object,
    *,
    cache_key: str | None = None,
) -> HttpResponse:
    etag = '"' + hashlib.blake2b(repr(fingerprint).encode(), digest_size=12).hexdigest() + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    key = f"fragment:{cache_key}:{etag}" if cache_key else None
    html = cache_get(key) if key else None
    if html is None:
        html = render_to_string(template, context() if callable(context) else context, request=request)
        if key:
            cache_set(key, html, CACHE_SECONDS)
    response = HttpResponse(html)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response

