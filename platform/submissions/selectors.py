"""Reads about submissions: a team's list and its daily quota."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from competitions.models import Competition, Phase
from competitions.selectors import competition_managed_by
from core.users import Viewer, signed_in
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


def quota_for_team(*, competition: Competition, team: Team | None, now: datetime | None = None,
                   phase: Phase | None = None) -> Quota:
    """Today's use of the daily limit (of the phase, where the competition has phases); failed submissions do not
    count. Resets at 00:00 UTC."""
    now = now or timezone.now()
    day_start = utc_day_start(now)
    used = 0
    if team is not None:
        today = (Submission.objects.filter(team=team, created_at__gte=day_start, carried_from__isnull=True)
                 .exclude(status=states.FAILED))
        used = (today.filter(phase=phase) if phase is not None else today).count()
    limit = phase.daily_limit if phase is not None else competition.daily_submission_limit
    return Quota(limit=limit, used=used, resets_at=day_start + timedelta(days=1))


@dataclass(frozen=True)
class UploadQuota:
    """Bytes of uploads a team stored today (UTC) against its competition's daily_upload_mb."""

    limit_bytes: int
    used_bytes: int
    resets_at: datetime

    @property
    def remaining_bytes(self) -> int:
        return max(self.limit_bytes - self.used_bytes, 0)


def upload_quota_for_team(*, competition: Competition, team: Team | None, now: datetime | None = None) -> UploadQuota:
    """Every upload counts, failed ones too (they took the disk); a selection carried into a phase stores nothing."""
    now = now or timezone.now()
    day_start = utc_day_start(now)
    used = 0
    if team is not None:
        used = (Submission.objects.filter(team=team, created_at__gte=day_start, carried_from__isnull=True)
                .aggregate(total=Sum("file_bytes"))["total"] or 0)
    return UploadQuota(limit_bytes=competition.daily_upload_mb * 1024 * 1024, used_bytes=used,
                       resets_at=day_start + timedelta(days=1))


def submissions_for_team(*, competition: Competition, team: Team) -> QuerySet[Submission]:
    return Submission.objects.filter(competition=competition, team=team).select_related("submitted_by", "phase")


def submission_visible_to(*, submission: Submission, user: Viewer | None) -> bool:
    """A submission is visible to its team's members and to the competition's organizers."""
    if not signed_in(user):
        return False
    if competition_managed_by(competition=submission.competition, user=user):
        return True
    return submission.team.memberships.filter(user=user).exists()


def private_scores_visible(*, competition: Competition, user: Viewer | None, now: datetime | None = None) -> bool:
    """Private scores are for organizers until the reveal time, then for everyone."""
    if competition.private_revealed(now):
        return True
    return competition_managed_by(competition=competition, user=user)


THROUGHPUT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class QueuePlace:
    """Where a queued submission stands: its place in its queue and when it should start."""

    queue: str  # "scoring" (prediction files) or "inference" (models)
    position: int  # 1 = next
    # The runs ahead of it (and those running) at the last ten minutes' mean run time, spread over the runs going
    # on now; 0 when nothing is ahead and nothing runs; None when nothing finished in the last ten minutes.
    eta_seconds: int | None

    def as_dict(self) -> dict[str, object]:
        return {"queue": self.queue, "position": self.position, "eta_seconds": self.eta_seconds}


def queue_places(*, submissions: list[Submission], now: datetime | None = None) -> dict[int, QueuePlace]:
    """Place and estimated start of each queued submission in `submissions` (a few queries, whatever their number).

    Prediction files share the scoring queue; models the inference queue, one per team at a time
    (a model waiting its turn counts its team's models ahead of it as well).
    """
    queued = [s for s in submissions if s.status == states.QUEUED]
    if not queued:
        return {}
    now = now or timezone.now()
    kinds = {s.kind for s in queued}
    means = {kind: _mean_run_seconds(kind=kind, now=now) for kind in kinds}
    running = {kind: Submission.objects.filter(kind=kind, status=states.RUNNING).count() for kind in kinds}
    places = {}
    for submission in queued:
        ahead = Submission.objects.filter(status=states.QUEUED, kind=submission.kind, created_at__lt=submission.created_at)
        if submission.kind != "model" or submission.stage != states.WAITING:
            ahead = ahead.exclude(stage=states.WAITING)
        position = ahead.count() + 1
        mean, busy = means[submission.kind], running[submission.kind]
        waiting_for = position - 1 + busy  # the queued ones ahead, and the runs that hold the workers now
        places[submission.pk] = QueuePlace(
            queue="inference" if submission.kind == "model" else "scoring", position=position,
            eta_seconds=None if mean is None else round(waiting_for * mean / max(busy, 1)),
        )
    return places


def _mean_run_seconds(*, kind: str, now: datetime) -> float | None:
    """How long a run of this kind took, on average, over the last ten minutes (scoring, and a model's inference)."""
    recent = Submission.objects.filter(kind=kind, scored_at__gte=now - THROUGHPUT_WINDOW, scored_at__lte=now)
    totals = recent.aggregate(runs=Count("pk"), scoring=Sum("duration_ms"), inference=Sum("inference_ms"))
    if not totals["runs"]:
        return None
    return ((totals["scoring"] or 0) + (totals["inference"] or 0)) / 1000 / totals["runs"]
