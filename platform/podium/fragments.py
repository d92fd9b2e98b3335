"""Live page fragments: a server-rendered piece of a page, polled by app.js.

The answer carries an ETag made from a cheap fingerprint of what the fragment
shows; a poll whose If-None-Match still matches gets an empty 304.
"""
from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render


def fragment_response(request: HttpRequest, template: str, context: dict[str, Any], fingerprint: object) -> HttpResponse:
    etag = '"' + hashlib.blake2b(repr(fingerprint).encode(), digest_size=12).hexdigest() + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = render(request, template, context)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response
