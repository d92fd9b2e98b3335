"""Reads about submissions: a team's list and its daily quota."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db.models import QuerySet
from django.utils import timezone

from competitions.models import Competition
from competitions.selectors import competition_managed_by
from submissions import states
from submissions.models import Submission
from teams.models import Team


@dataclass(frozen=True)
class Quota:
    limit: int
    used: int
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def utc_day_start(now: datetime) -> datetime:
    day = now.astimezone(dt_timezone.utc)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def quota_for_team(*, competition: Competition, team: Team | None, now: datetime | None = None) -> Quota:
    """Today's use of the daily limit; failed submissions do not count. Resets at 00:00 UTC."""
    now = now or timezone.now()
    day_start = utc_day_start(now)
    used = 0
    if team is not None:
        used = (
            Submission.objects.filter(team=team, created_at__gte=day_start)
            .exclude(status=states.FAILED)
            .count()
        )
    return Quota(limit=competition.daily_submission_limit, used=used, resets_at=day_start + timedelta(days=1))


def submissions_for_team(*, competition: Competition, team: Team) -> QuerySet[Submission]:
    return Submission.objects.filter(competition=competition, team=team).select_related("submitted_by")


def submission_visible_to(*, submission: Submission, user: object) -> bool:
    """A submission is visible to its team's members and to the competition's organizers."""
    if not getattr(user, "is_authenticated", False):
        return False
    if competition_managed_by(competition=submission.competition, user=user):
        return True
    return submission.team.memberships.filter(user=user).exists()


def private_scores_visible(*, competition: Competition, user: object, now: datetime | None = None) -> bool:
    """Private scores are for organizers until the reveal time, then for everyone."""
    if competition.private_revealed(now):
        return True
    return competition_managed_by(competition=competition, user=user)
