"""Reading inboxes."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from notifications.models import Notification

INBOX_PAGE = 50


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox_notifications(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("invite__team", "competition", "submission")
