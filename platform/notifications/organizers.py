"""What organizers hear about the competitions they organize: a submission that failed with a platform error, a
version of their scoring program that failed, a draft that became ready to publish, a daily summary. Each goes to
every organizer's inbox (and by email for the kinds they chose) and, as signed JSON, to the competition's webhooks,
retried with backoff until they answer 2xx.

Webhook URLs are the organizers' own: every delivery goes out through `core.outbound`, which refuses loopback,
private, link-local and reserved addresses (this machine's Redis, a cloud's metadata service) on the socket it
opens, unless PODIUM_WEBHOOK_ALLOW_PRIVATE is set. A refusal is permanent: it is recorded, never retried.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from competitions.models import Competition, ScoringProgram
from submissions.models import Submission
from notifications.models import (DAILY_SUMMARY, PLATFORM_FAILURE, PROGRAM_FAILURE, READY, Notification,
                                  WebhookDelivery)
from notifications.inbox import notify
from core import outbound
from workers import names

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
REFUSED = "refused"  # a delivery whose last_error starts so is never sent again
SUMMARY_WINDOW = timedelta(hours=24)


class WebhookFailed(Exception):
    """The endpoint did not take the delivery: the task retries it with backoff."""


def organizers_notify(*, competition: Competition, kind: str, message: str, url: str, data: dict[str, object],
                      **about: object) -> int:
    """Tell every organizer (inbox, email if chosen) and every webhook that wants `kind`; returns how many were told."""
    told = sum(notify(user_id=user_id, kind=kind, message=message, url=url, competition=competition, **about) is not None
               for user_id in competition.organizers.values_list("pk", flat=True))
    payload = {"event": kind, "competition": competition.slug, "message": message,
               "url": settings.PODIUM_SITE_URL.rstrip("/") + url, "at": timezone.now().isoformat(), "data": data}
    for webhook in competition.webhooks.filter(active=True):
        if webhook.wants(kind):
            delivery = WebhookDelivery.objects.create(webhook=webhook, event=kind, payload=payload)
            transaction.on_commit(partial(_deliver_later, delivery.pk))
    return told


WEBHOOK_TEST = "webhook-test"


def webhooks_test(*, competition: Competition) -> int:
    """Send every active webhook of the competition a test event, signed and retried as any other, whatever
    events it chose; its outcome shows under Webhook deliveries. Returns how many were sent."""
    payload = {"event": WEBHOOK_TEST, "competition": competition.slug,
               "message": f"A test event from Podium for {competition.title}.",
               "url": settings.PODIUM_SITE_URL.rstrip("/") + competition.get_absolute_url(),
               "at": timezone.now().isoformat(), "data": {"test": True}}
    sent = 0
    for webhook in competition.webhooks.filter(active=True):
        delivery = WebhookDelivery.objects.create(webhook=webhook, event=WEBHOOK_TEST, payload=payload)
        transaction.on_commit(partial(_deliver_later, delivery.pk))
        sent += 1
    return sent


def _deliver_later(delivery_id: int) -> None:
    from workers.app import app

    app.send_task(names.DELIVER_WEBHOOK, args=[delivery_id])


def notify_platform_failure(*, submission: Submission) -> int:
    competition = submission.competition
    return organizers_notify(
        competition=competition, kind=PLATFORM_FAILURE, submission=submission,
        message=f"Submission #{submission.pk} to {competition.title} failed with a platform error: "
                f"{submission.error_message[:160]}",
        url=reverse("admin:submissions_submission_change", args=[submission.pk]),
        data={"submission": submission.pk, "error_code": submission.error_code,
              "error_message": submission.error_message[:500]})


def notify_program_failure(*, submission: Submission) -> int:
    """The organizers' scoring program failed on a submission: each organizer hears it once per version (its
    first fault), with the program's log (the last 64 KB), which no participant ever sees; the admin counts the
    rest."""
    competition = submission.competition
    first = ScoringProgram.objects.filter(competition=competition, version=submission.program_version,
                                          faulted_at__isnull=True).update(faulted_at=timezone.now())
    if not first:
        return 0
    why = submission.scoring_log.split("\n", 1)[0].removeprefix("[podium] ")[:160]
    return organizers_notify(
        competition=competition, kind=PROGRAM_FAILURE, submission=submission,
        message=f"Your scoring program (version {submission.program_version}) failed on submission #{submission.pk} "
                f"to {competition.title}: {why}"[:300],
        url=reverse("admin:submissions_submission_change", args=[submission.pk]),
        data={"submission": submission.pk, "error_code": submission.error_code,
              "program_version": submission.program_version, "log": submission.scoring_log})


def notify_if_ready(*, competition: Competition) -> int:
    """A draft that now passes the readiness check: its organizers and its webhooks hear it once (a webhook too
    where nobody organizes it yet: its delivery is the record)."""
    from competitions.services import competition_readiness

    told = (Notification.objects.filter(kind=READY, competition=competition).exists()
            or WebhookDelivery.objects.filter(event=READY, webhook__competition=competition).exists())
    if not competition.is_draft or told:
        return 0
    if competition_readiness(competition=competition):
        return 0
    return organizers_notify(competition=competition, kind=READY,
                             message=f"{competition.title} is ready to publish.",
                             url=reverse("admin:competitions_competition_change", args=[competition.pk]),
                             data={"ready": True})


def daily_summaries(*, now: datetime | None = None) -> int:
    """For each competition running (or ended within a day), its last 24 hours, once a day; returns how many."""
    now = now or timezone.now()
    since = now - SUMMARY_WINDOW
    told = 0
    running = Competition.objects.filter(start_at__lte=now, end_at__gt=since, published_at__isnull=False)
    for competition in running.exclude(organizers=None):
        if Notification.objects.filter(kind=DAILY_SUMMARY, competition=competition,
                                       created_at__gt=now - SUMMARY_WINDOW + timedelta(hours=1)).exists():
            continue
        counts = competition.submissions.filter(created_at__gte=since, created_at__lt=now).aggregate(
            submissions=Count("pk"), scored=Count("pk", filter=Q(status="scored")),
            failed=Count("pk", filter=Q(status="failed")),
            platform_errors=Count("pk", filter=Q(error_code=PLATFORM_FAILURE)))
        counts["new_teams"] = competition.teams.filter(created_at__gte=since, created_at__lt=now).count()
        message = (f"{competition.title}, last 24 hours: {counts['submissions']} submissions ({counts['scored']} scored, "
                   f"{counts['failed']} failed, {counts['platform_errors']} platform errors), "
                   f"{counts['new_teams']} new teams.")
        told += organizers_notify(competition=competition, kind=DAILY_SUMMARY, message=message,
                                  url=reverse("leaderboard", kwargs={"slug": competition.slug}), data=counts)
    return told


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_deliver(*, delivery_id: int) -> bool:
    """POST one delivery; True once delivered (a redelivered task sends nothing again), False when refused for
    good, WebhookFailed (retried) when the endpoint did not take it."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at is not None or delivery.last_error.startswith(REFUSED):
        return False
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Podium-Webhook",
               "X-Podium-Event": delivery.event, "X-Podium-Delivery": str(delivery.pk),
               "X-Podium-Signature": webhook_signature(delivery.webhook.secret, body)}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    try:
        status = outbound.post(delivery.webhook.url, body=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS,
                               allow_private=settings.PODIUM_WEBHOOK_ALLOW_PRIVATE)
    except outbound.Refused as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=f"{REFUSED}: {exc}"[:300])
        return False
    except outbound.Unreachable:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=outbound.TIMED_OUT)
        raise WebhookFailed(outbound.TIMED_OUT) from None
    if not 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status=status, last_error=f"HTTP {status}")
        raise WebhookFailed(f"the endpoint answered HTTP {status}")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status=status, last_error="",
                                                           delivered_at=timezone.now())
    return True
