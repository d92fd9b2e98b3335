"""A user's inbox: one notification per event and person, and an email, after commit, for the kinds they chose.

The one place that writes notifications: the services for participants (`notifications/services.py`) and for
organizers (`notifications/organizers.py`) both call `notify`.
"""
from __future__ import annotations

from functools import partial

from django.db import IntegrityError, transaction

from notifications.models import KINDS, Notification, NotificationSettings
from workers import names


def notify(*, user_id: int, kind: str, message: str, url: str = "", **about: object) -> Notification | None:
    """Add a notification to a user's inbox, or None if this event already told them."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(user_id=user_id, kind=kind, message=message[:300],
                                                       url=url[:300], **about)
    except IntegrityError:
        return None
    if kind in email_kinds_of(user_id=user_id):
        transaction.on_commit(lambda: _send_later(notification.pk))
    return notification


def notify_many(*, user_ids: list[int], kind: str, message: str, url: str = "", **about: object) -> int:
    """The same notification to many inboxes in one insert (an announcement to every participant); how many."""
    rows = Notification.objects.bulk_create([Notification(user_id=user_id, kind=kind, message=message[:300],
                                                          url=url[:300], **about) for user_id in user_ids])
    chosen = NotificationSettings.objects.filter(user_id__in=user_ids).values_list("user_id", "email_kinds")
    emailed = {user_id for user_id, kinds in chosen if kind in (kinds or [])}  # JSON `contains` is not on SQLite
    for row in rows:
        if row.user_id in emailed:
            transaction.on_commit(partial(_send_later, row.pk))
    return len(rows)


def _send_later(notification_id: int) -> None:
    from workers.app import app

    app.send_task(names.SEND_NOTIFICATION_EMAIL, args=[notification_id])


def email_kinds_of(*, user_id: int) -> list[str]:
    chosen = NotificationSettings.objects.filter(user_id=user_id).values_list("email_kinds", flat=True).first()
    return [kind for kind in (chosen or []) if kind in KINDS]
