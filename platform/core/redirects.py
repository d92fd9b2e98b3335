"""Where a `next` parameter may send a browser: only to this site (never `https://evil.example/`)."""
from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    """`value` when it is a URL on this site (same host, and https if the request was), else `default`."""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return default
