"""Admin fields that take exact usernames: an organizer's forms never list every account on the site."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError


def _username_of(value: Any) -> str:
    if hasattr(value, "get_username"):
        return value.get_username()
    user = get_user_model().objects.filter(pk=value).first() if value not in (None, "") else None
    return user.get_username() if user else str(value or "")


class UsernameField(forms.CharField):
    """One account, by its exact username."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The exact username.")
        super().__init__(max_length=150, **kwargs)

    def prepare_value(self, value: Any) -> str:
        return value if isinstance(value, str) else _username_of(value)

    def clean(self, value: Any) -> Any:
        name = super().clean(value).strip()
        if not name:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise ValidationError(f"No account is named {name[:80]!r}.")
        return user


class UsernamesField(forms.CharField):
    """Several accounts, by exact usernames separated by commas."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Exact usernames, separated by commas.")
        super().__init__(max_length=2000, **kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return ", ".join(_username_of(item) for item in (value or []))

    def clean(self, value: Any) -> Any:
        names = [name.strip() for name in (super().clean(value) or "").split(",") if name.strip()]
        users = list(get_user_model().objects.filter(username__in=names))
        unknown = sorted(set(names) - {user.get_username() for user in users})
        if unknown:
            raise ValidationError(f"No account is named {', '.join(repr(n[:80]) for n in unknown[:5])}.")
        return users
