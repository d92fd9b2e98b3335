"""Rate limits for guessing passwords: the login form and the token endpoint.

Counts live in Django's cache, which is Redis: every web process counts the
same attempts. If Redis cannot be reached, attempts are let through (and the
outage logged) rather than locking every user out: the password check itself
needs only the database.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from rest_framework.throttling import AnonRateThrottle

WINDOW_SECONDS = 60
logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with PODIUM_TRUSTED_PROXIES = N, what the first of our N proxies saw."""
    proxies = settings.PODIUM_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else (forwarded[0] if forwarded else remote)


def _account(username: object) -> str:
    return str(username or "").strip().lower()[:150]


class PasswordThrottle(AnonRateThrottle):
    """`POST /api/v1/auth/token/`: at most PODIUM_AUTH_ATTEMPTS_PER_MINUTE attempts per client address."""

    scope = "auth"

    def get_rate(self) -> str:
        return f"{settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE}/min"

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - see the module's docstring
            logger.exception("rate-limit counters unavailable; letting the attempt through")
            return True


class AccountPasswordThrottle(PasswordThrottle):
    """The same limit per account named, from any number of addresses."""

    scope = "auth-account"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        account = _account(request.data.get("username") if hasattr(request.data, "get") else "")
        return self.cache_format % {"scope": self.scope, "ident": account} if account else None


def limit_login_attempts(view: Callable[..., HttpResponseBase], *, account_field: str = "username",
                         what: str = "login") -> Callable[..., HttpResponseBase]:
    """At most PODIUM_AUTH_ATTEMPTS_PER_MINUTE POSTs a minute from one address, and for one account (named by
    `account_field` of the form, or the logged-in user): the login form, password changes and resets."""

    @wraps(view)
    def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if request.method == "POST":
            limit, key = settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE, what.replace(" ", "-")
            by_address = _attempts(f"{key}-attempts:{client_address(request)}")
            named = request.POST.get(account_field) or (request.user.get_username() if request.user.is_authenticated else "")
            account = _account(named)
            by_account = _attempts(f"{key}-account:{account}") if account else 0
            if by_address > limit or by_account > limit:
                response = render(
                    request, "error.html", {"status": 429, "message": f"Too many {what} attempts; wait a minute and try again."}, status=429
                )
                response["Retry-After"] = str(WINDOW_SECONDS)
                return response
        return view(request, *args, **kwargs)

    return limited


def _attempts(key: str) -> int:
    """This minute's attempts from one address, this one included (0 when the counters are unavailable)."""
    try:
        cache.add(key, 0, WINDOW_SECONDS)
        return cache.incr(key)
    except Exception:  # noqa: BLE001 - see the module's docstring
        logger.exception("rate-limit counters unavailable; letting the attempt through")
        return 0
