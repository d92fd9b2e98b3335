"""A participant's inbox: team invitations, finished or failed submissions, competitions about to end."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

INVITE = "invite"
SUBMISSION_SCORED = "submission-scored"
SUBMISSION_FAILED = "submission-failed"
ENDING = "ending"
KINDS = {
    INVITE: "Team invitations",
    SUBMISSION_SCORED: "A submission was scored",
    SUBMISSION_FAILED: "A submission failed",
    ENDING: "A competition I joined ends within 24 hours",
}


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
            models.UniqueConstraint(fields=["user", "kind", "competition"], condition=Q(kind=ENDING),
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
