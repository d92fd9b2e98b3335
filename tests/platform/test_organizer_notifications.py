"""Organizers hear of platform errors, drafts ready to publish and a daily summary: in the inbox and by signed
webhook, retried until the endpoint takes it, never to a private address unless allowed."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import DAILY_SUMMARY, PLATFORM_FAILURE, READY, Notification, Webhook, WebhookDelivery
from notifications.organizers import WebhookFailed, daily_summaries, webhook_deliver
from scoring import SubmissionError
from submissions.models import Submission
from submissions.intake import submission_create
from submissions.results import PLATFORM_ERROR, submission_claim, submission_finish
from tests.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]



class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that answers the statuses it is given, in turn, and keeps what came."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    made: list[Receiver] = []
    yield lambda statuses=(): made.append(Receiver(list(statuses))) or made[-1]
    for each in made:
        each.close()


def _platform_failure(competition, alice, text_bundle) -> Submission:
    submission = submission_create(user=alice, competition=competition, kind="predictions",
                                   file=upload(text_bundle.baselines["Keyword Voters"]))
    claimed = submission_claim(submission_id=submission.pk, task_id="t1")
    submission_finish(submission=claimed, started=time.perf_counter(),
                      error=SubmissionError(PLATFORM_ERROR, "The scoring worker ran out of disk."))
    return submission


def test_a_platform_error_reaches_the_organizers_and_a_signed_webhook(
    settings, competition, organizer, alice, alice_joined, text_bundle, receiver, django_capture_on_commit_callbacks
) -> None:
    settings.PODIUM_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = receiver()
    hook = Webhook.objects.create(competition=competition, url=endpoint.url, events=[PLATFORM_FAILURE])
    Webhook.objects.create(competition=competition, url=endpoint.url, events=[DAILY_SUMMARY])  # not this event
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = _platform_failure(competition, alice, text_bundle)
    note = Notification.objects.get(kind=PLATFORM_FAILURE)
    assert note.user == organizer and "ran out of disk" in note.message and note.submission_id == submission.pk
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == hook and len(callbacks) >= 1
    assert webhook_deliver(delivery_id=delivery.pk)
    headers, body = endpoint.received[0]
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Podium-Signature"] == expected and headers["X-Podium-Event"] == PLATFORM_FAILURE
    payload = json.loads(body)
    assert payload["competition"] == "topic" and payload["data"]["submission"] == submission.pk


def test_a_refused_delivery_is_retried_until_taken_and_then_never_again(settings, competition, receiver) -> None:
    from notifications.tasks import deliver_webhook

    settings.PODIUM_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = receiver([500, 503])
    hook = Webhook.objects.create(competition=competition, url=endpoint.url)
    delivery = WebhookDelivery.objects.create(webhook=hook, event=READY, payload={"event": READY})
    for status in (500, 503):
        with pytest.raises(WebhookFailed, match=str(status)):
            webhook_deliver(delivery_id=delivery.pk)
    assert webhook_deliver(delivery_id=delivery.pk)
    assert not webhook_deliver(delivery_id=delivery.pk)  # a redelivered task sends nothing again
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.last_status == 200 and delivery.delivered_at is not None
    assert len(endpoint.received) == 3
    assert deliver_webhook.autoretry_for == (Exception,) and deliver_webhook.retry_backoff and deliver_webhook.max_retries == 8


def test_a_private_address_is_refused_for_good_unless_allowed(competition, receiver) -> None:
    endpoint = receiver()
    hook = Webhook.objects.create(competition=competition, url=endpoint.url)
    delivery = WebhookDelivery.objects.create(webhook=hook, event=READY, payload={})
    assert webhook_deliver(delivery_id=delivery.pk) is False  # refused: no exception, so the task does not retry
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert endpoint.received == []
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused: ") and "private, loopback or reserved" in delivery.last_error
    assert delivery.attempts == 1 and delivery.delivered_at is None


def test_a_draft_that_becomes_ready_is_announced_once(competition, organizer, django_capture_on_commit_callbacks) -> None:
    competition.published_at = None
    competition.overview = ""
    with django_capture_on_commit_callbacks(execute=True):
        competition.save()
    assert not Notification.objects.filter(kind=READY).exists()  # no overview yet
    competition.overview = "Sort texts by topic."
    with django_capture_on_commit_callbacks(execute=True):
        competition.save()
    with django_capture_on_commit_callbacks(execute=True):
        competition.save()
    note = Notification.objects.get(kind=READY)
    assert note.user == organizer and "ready to publish" in note.message


def test_a_webhook_hears_a_draft_is_ready_once_even_where_nobody_organizes_it(
        competition, organizer, django_capture_on_commit_callbacks, monkeypatch) -> None:
    from notifications import organizers

    monkeypatch.setattr(organizers, "_deliver_later", lambda delivery_id: None)
    competition.organizers.clear()
    competition.webhooks.create(url="https://hooks.example.org/podium", events=[READY])
    competition.published_at, competition.overview = None, "Sort texts by topic."
    with django_capture_on_commit_callbacks(execute=True):  # the competition and a file saved in one request
        competition.save()
        competition.files.first().save()
    with django_capture_on_commit_callbacks(execute=True):
        competition.save()
    assert WebhookDelivery.objects.filter(event=READY).count() == 1


def test_the_daily_summary_counts_the_last_day_once(competition, organizer, alice, alice_joined, text_bundle) -> None:
    submission_create(user=alice, competition=competition, kind="predictions",
                      file=upload(text_bundle.baselines["Keyword Voters"]))
    assert daily_summaries() == 1
    note = Notification.objects.get(kind=DAILY_SUMMARY)
    assert "1 submissions (0 scored, 0 failed, 0 platform errors), 1 new teams" in note.message
    assert daily_summaries() == 0  # once a day


def test_organizers_send_their_webhooks_a_test_event_from_the_admin(competition, organizer, monkeypatch, settings,
                                                                   django_capture_on_commit_callbacks) -> None:
    from django.test import Client

    from notifications import organizers

    sent: list[int] = []
    monkeypatch.setattr(organizers, "_deliver_later", sent.append)
    hook = competition.webhooks.create(url="https://hooks.example.org/podium", events=[READY])  # not a test's kind
    competition.webhooks.create(url="https://hooks.example.org/off", active=False)
    client = Client()
    client.force_login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/admin/competitions/competition/", {"action": "test_webhooks",
                                                                  "_selected_action": [competition.pk]}, follow=True)
    assert "a test event sent to 1 webhooks" in answer.content.decode()
    assert "Links in webhooks and emails point at http://127.0.0.1:8000 (PODIUM_SITE_URL), but this site answers " \
           "at http://testserver" in answer.content.decode()  # the default address, not the site's: said where it matters
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.webhook == hook and delivery.event == "webhook-test" and sent == [delivery.pk]
    assert delivery.payload["data"] == {"test": True} and delivery.payload["competition"] == "topic"
    settings.PODIUM_SITE_URL = "http://testserver"  # set as deployments should: nothing to warn of
    answer = client.post("/admin/competitions/competition/", {"action": "test_webhooks",
                                                              "_selected_action": [competition.pk]}, follow=True)
    assert "a test event sent to 1 webhooks" in answer.content.decode() and "PODIUM_SITE_URL" not in answer.content.decode()
