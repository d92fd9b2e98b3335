"""The notifications app's Celery tasks (queue `scoring`): reminders, organizers' summaries, webhooks and e-mail.

Their names are in `workers/names.py`; the services send them by name, so this module is the only one that
imports both the services and the Celery app.
"""
from __future__ import annotations

from notifications.organizers import daily_summaries, webhook_deliver
from notifications.services import notification_email_send, notify_ending_soon
from workers import names
from workers.app import app


@app.task(name=names.NOTIFY_ENDING_COMPETITIONS)
def notify_ending_competitions() -> int:
    return notify_ending_soon()


@app.task(name=names.SEND_DAILY_SUMMARIES)
def send_daily_summaries() -> int:
    return daily_summaries()


@app.task(name=names.DELIVER_WEBHOOK, **names.RETRYING)
def deliver_webhook(delivery_id: int) -> bool:
    """Retried with backoff (1 s doubling to a minute, 8 times) while the endpoint refuses or cannot be reached."""
    return webhook_deliver(delivery_id=delivery_id)


@app.task(name=names.SEND_NOTIFICATION_EMAIL, **names.RETRYING)
def send_notification_email(notification_id: int) -> bool:
    return notification_email_send(notification_id=notification_id)
