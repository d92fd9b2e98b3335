"""Who is asking, as the apps' type hints say it: an account (`User`), anyone (`Viewer`, signed in or not), and a
request behind `login_required`, whose user is an account."""
from __future__ import annotations

from typing import Protocol, TypeGuard

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

Viewer = User | AnonymousUser


class SignedInRequest(HttpRequest):
    """A request to a view behind `login_required`: its user is an account, never the anonymous one."""

    user: User


class _Asking(Protocol):
    """A request, Django's or DRF's: what `account_of` reads of it."""

    @property
    def user(self) -> Viewer | None: ...


def account_of(request: _Asking) -> User:
    """The account behind a request that needs one (the admin's, a signed-in page's); refused if there is none."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Sign in first.")
    return request.user


def signed_in(user: Viewer | None) -> TypeGuard[User]:
    """Whether `user` is an account (the anonymous user is not, and neither is nobody)."""
    return user is not None and user.is_authenticated
