"""Writes about accounts: issuing and revoking API tokens."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import ApiToken


def token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    return ApiToken.issue(user=user, name=name)


def token_revoke(*, user: User, token_id: int) -> bool:
    return ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now()) == 1
