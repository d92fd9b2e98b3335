"""The inbox's unread count in the header of every page (counted only when a page shows it)."""
from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": lambda: unread_count(user=user)}
