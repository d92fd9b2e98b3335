"""A participant's inbox: team invitations, finished or failed submissions, competitions about to end."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core import outbound

INVITE = "invite"
SUBMISSION_SCORED = "submission-scored"
SUBMISSION_FAILED = "submission-failed"
ENDING = "ending"
TEAM_MODERATED = "team-moderated"
PLATFORM_FAILURE = "platform-error"
PROGRAM_FAILURE = "scoring-program-error"
READY = "competition-ready"
DAILY_SUMMARY = "daily-summary"
DISCUSSION_REPLY = "discussion-reply"
ANNOUNCEMENT = "announcement"
DISCUSSION_REPORT = "discussion-report"
KINDS = {
    INVITE: "Team invitations",
    SUBMISSION_SCORED: "A submission was scored",
    SUBMISSION_FAILED: "A submission failed",
    ENDING: "A competition I joined ends within 24 hours",
    TEAM_MODERATED: "My team was disqualified or reinstated",
    DISCUSSION_REPLY: "A reply in a discussion topic I follow",
    ANNOUNCEMENT: "An organizers' announcement in a competition I joined",
}
# What organizers hear about the competitions they organize (in the inbox, by email if chosen, and by webhook).
ORGANIZER_KINDS = {
    PLATFORM_FAILURE: "A submission failed with a platform error (organizers)",
    PROGRAM_FAILURE: "A version of my scoring program failed on a submission (organizers)",
    READY: "A draft I organize became ready to publish (organizers)",
    DAILY_SUMMARY: "A daily summary of each competition I organize (organizers)",
    DISCUSSION_REPORT: "A discussion post was reported in a competition I organize (organizers)",
}
KINDS.update(ORGANIZER_KINDS)


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=list(KINDS.items()))
    competition = models.ForeignKey("competitions.Competition", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+")
    submission = models.ForeignKey("submissions.Submission", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+")
    invite = models.ForeignKey("teams.Invite", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-created_at"])]
        # Each event tells each person once, however often the sweep runs or a submission is re-scored.
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "submission"], condition=Q(submission__isnull=False),
                                    name="one_notification_per_submission_outcome"),
            models.UniqueConstraint(fields=["user", "invite"], condition=Q(invite__isnull=False),
                                    name="one_notification_per_invite"),
            models.UniqueConstraint(fields=["user", "kind", "competition"], condition=Q(kind__in=[ENDING, READY]),
                                    name="one_ending_notice_per_competition"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class NotificationSettings(models.Model):
    """Which kinds of notification a user also wants by email (none until they choose)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="notification_settings")
    email_kinds = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


def webhook_url_validator(value: str) -> None:
    """Refuse at save what `core.outbound` would refuse at delivery, with its reason."""
    problem = outbound.url_problem(value, allow_private=settings.PODIUM_WEBHOOK_ALLOW_PRIVATE)
    if problem:
        raise ValidationError(f"Podium will not send to this URL: {problem}.", code="refused-url")


def new_webhook_secret() -> str:
    import secrets

    return secrets.token_hex(24)


class Webhook(models.Model):
    """An organizer's endpoint: each chosen event of the competition is POSTed to it as JSON, signed with the secret
    (`X-Podium-Signature: sha256=<HMAC-SHA256 of the body>`), and retried with backoff until it answers 2xx."""

    competition = models.ForeignKey("competitions.Competition", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500, validators=[webhook_url_validator],
                          help_text="https://… that accepts a JSON POST (a public address; no user:password@).")
    secret = models.CharField(max_length=100, default=new_webhook_secret,
                              help_text="Shared secret: verify each body's HMAC-SHA256 against X-Podium-Signature.")
    events = models.JSONField(default=list, blank=True, help_text="Which events (empty: all of them).")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return self.active and (not self.events or kind in self.events)


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook: the payload, each attempt's outcome."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=30)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="The endpoint's last HTTP status.")
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook_id}"
