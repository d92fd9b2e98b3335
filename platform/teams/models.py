"""Teams: every participant of a competition is on exactly one team (a solo team by default)."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from competitions.models import Competition


HIDDEN, DISQUALIFIED = "hidden", "disqualified"
MODERATION_CHOICES = [("", "On the boards"), (HIDDEN, "Hidden from the boards"),
                      (DISQUALIFIED, "Disqualified (off the boards, no more submissions)")]


class Team(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on a rename, a merge or a change of final selection: live leaderboards refresh.
    updated_at = models.DateTimeField(auto_now=True)
    # Set only through teams.services.team_moderate, which keeps the audit trail and the boards in step.
    moderation = models.CharField(max_length=20, blank=True, choices=MODERATION_CHOICES, editable=False)
    moderation_reason = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["competition", "name"], name="unique_team_name")]

    def __str__(self) -> str:
        return self.name


class ModerationEntry(models.Model):
    """The audit trail of hiding, disqualifying and reinstating teams: who, when, why."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="moderation_entries")
    moderation = models.CharField(max_length=20, blank=True, choices=MODERATION_CHOICES,
                                  help_text="The team's state after this entry (empty: reinstated).")
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "moderation entries"

    def __str__(self) -> str:
        return f"{self.team}: {self.get_moderation_display()}"


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    # Repeated from the team so the database enforces one team per competition.
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="memberships")
    rules_accepted_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["competition", "user"], name="one_team_per_competition")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


ACCEPTED, DECLINED, WITHDRAWN, MERGED = "accepted", "declined", "withdrawn", "merged"
INVITE_OUTCOMES = (ACCEPTED, DECLINED, WITHDRAWN, MERGED)


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters


class Invite(models.Model):
    """An invitation to join a team: to one user, or to whoever opens its link."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invites")
    invited_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="team_invites")
    token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Accepted, declined or withdrawn.")
    outcome = models.CharField(max_length=12, blank=True, choices=[(o, o) for o in INVITE_OUTCOMES])

    def __str__(self) -> str:
        return f"invite to {self.team}"
