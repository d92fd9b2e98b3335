"""Standings kept up to date as submissions are scored (leaderboards/standings.py).

One row per team and board holds that team's deciding submission; the board is
those rows in `sort_key` order. Reading a page, a team's rank or the board's
version never looks at the submissions.
"""
from __future__ import annotations

from django.db import models

from competitions.models import Competition, Phase
from submissions.models import Submission
from teams.models import Team


class Standing(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    board = models.CharField(max_length=8)  # public | private
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="standings")
    score = models.FloatField()
    # The score negated where higher is better: every board sorts ascending, on one index.
    sort_key = models.FloatField()
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    decided_at = models.DateTimeField(help_text="When the deciding submission was made: it breaks ties.")
    submission_count = models.PositiveIntegerField()
    last_submission_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["competition", "board", "team"], condition=models.Q(phase__isnull=True),
                                    name="one_standing_per_board"),
            models.UniqueConstraint(fields=["phase", "board", "team"], condition=models.Q(phase__isnull=False),
                                    name="one_standing_per_phase_board"),
        ]
        indexes = [models.Index(fields=["competition", "phase", "board", "sort_key", "decided_at", "submission"],
                                name="standing_order")]

    def __str__(self) -> str:
        return f"{self.team} on {self.board}: {self.score}"


class BoardVersion(models.Model):
    """Moves on every change that a leaderboard page shows: what an idle poll reads."""

    competition = models.OneToOneField(Competition, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.competition_id}@{self.version}"
