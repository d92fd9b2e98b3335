"""Rate limits for guessing passwords: the login form and the token endpoint.

Counts live in Django's cache, which is Redis: every web process counts the
same attempts.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import AnonRateThrottle

WINDOW_SECONDS = 60


class PasswordThrottle(AnonRateThrottle):
    """`POST /api/v1/auth/token/`: at most PODIUM_AUTH_RATE attempts per client address."""

    scope = "auth"

    def get_rate(self) -> str:
        return f"{settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE}/min"


def limit_login_attempts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """At most PODIUM_AUTH_ATTEMPTS_PER_MINUTE login POSTs a minute from one address."""

    @wraps(view)
    def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "POST":
            key = f"login-attempts:{request.META.get('REMOTE_ADDR', '')}"
            cache.add(key, 0, WINDOW_SECONDS)
            if cache.incr(key) > settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE:
                response = render(request, "error.html", {"status": 429, "message": "Too many login attempts; wait a minute and try again."}, status=429)
                response["Retry-After"] = str(WINDOW_SECONDS)
                return response
        return view(request, *args, **kwargs)

    return limited
