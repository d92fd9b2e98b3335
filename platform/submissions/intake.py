"""Taking an upload: the rules, limits and allowances it must pass, then the stored file and its queued row."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from competitions.models import ENDED, MODEL, UPCOMING, Competition, Phase, phase_at
from core import events
from core.errors import PodiumError
from submissions import dispatch, states
from submissions.dispatch import MODELS_IN_FLIGHT, models_in_flight
from submissions.models import Submission
from submissions.selectors import quota_for_team, upload_quota_for_team
from teams.models import Membership, Team
from teams.selectors import membership_get, membership_has_access
from teams.services import refuse_disqualified
from workers.runtime import ModelFailure
from workers.runtime.package import HEAD_BYTES, UNSUPPORTED, head_problem

logger = logging.getLogger(__name__)


def submission_create(
    *, user: User, competition: Competition, file: UploadedFile, kind: str, description: str = ""
) -> Submission:
    """Store an upload and enqueue its scoring once the row is committed."""
    membership = membership_get(competition=competition, user=user)
    phases = list(competition.phases.all())  # one read for the phase and the checks
    phase = phase_at(competition, phases=phases)
    _check_can_submit(competition=competition, membership=membership, file=file, kind=kind, phase=phase,
                      first_phase=phases[0] if phases else None)
    with transaction.atomic():
        # Lock the team row so that concurrent uploads cannot both pass the daily limit.
        assert membership is not None  # _check_can_submit refused anyone without one
        team = Team.objects.select_for_update().get(pk=membership.team_id)
        refuse_disqualified(team)
        _check_pending_cap(competition=competition, team=team)
        if kind == MODEL:
            _check_failed_model_cap(competition=competition, team=team)
        _check_upload_quota(competition=competition, team=team, size=file.size or 0)
        quota = quota_for_team(competition=competition, team=team, phase=phase)
        if quota.remaining <= 0:
            raise _refused_until(PodiumError.DAILY_LIMIT, f"Your team has used all {quota.limit} submissions for today. "
                                                f"The limit resets at {quota.resets_at:%Y-%m-%d %H:%M} UTC.",
                                 quota.resets_at)
        submission = Submission.objects.create(
            competition=competition,
            phase=phase,
            team=team,
            submitted_by=user,
            kind=kind,
            file=file,
            file_bytes=file.size or 0,
            original_name=(file.name or "")[:255],
            description=description[:500],
            # One team's models go to the inference queue one at a time (under the team's lock).
            stage=states.WAITING if kind == MODEL and models_in_flight(team=team) >= MODELS_IN_FLIGHT else "",
        )
        if submission.stage != states.WAITING:
            transaction.on_commit(lambda: dispatch.submission_enqueue(submission_id=submission.pk))
        transaction.on_commit(lambda: events.publish(events.team_channel(team.pk), str(submission.pk)))
    logger.info("received %s submission from team %s (%d bytes)", kind, team.pk, file.size or 0,
                extra={"submission": submission.pk})
    return submission


def _check_can_submit(*, competition: Competition, membership: Membership | None, file: UploadedFile, kind: str,
                      phase: Phase | None = None, first_phase: Phase | None = None) -> None:
    if not membership_has_access(competition=competition, membership=membership):
        raise PodiumError(PodiumError.NOT_JOINED, "Join the competition and accept its rules before submitting.", status=403)
    state = competition.state()
    if state == UPCOMING:
        raise PodiumError(PodiumError.COMPETITION_NOT_STARTED,
                          f"The competition starts at {competition.start_at:%Y-%m-%d %H:%M} UTC.")
    if state == ENDED and not competition.late_submissions:
        raise PodiumError(PodiumError.COMPETITION_ENDED, "The competition has ended and does not take late submissions.")
    kinds = phase.kinds if phase else competition.submission_kinds
    if kind not in kinds:
        where = f"The {phase.name} phase" if phase else "This competition"
        raise PodiumError(PodiumError.KIND_NOT_ALLOWED, f"{where} accepts {', '.join(kinds)} submissions, not {kind!r}.")
    if first_phase is not None and phase is None:
        raise PodiumError(PodiumError.COMPETITION_NOT_STARTED, f"The first phase, {first_phase.name}, starts at "
                                                     f"{first_phase.start_at:%Y-%m-%d %H:%M} UTC.")
    if not (phase.truth_file if phase else competition.truth_file):
        raise PodiumError(PodiumError.NOT_READY, "This competition has no ground truth yet; try again later.", status=409)
    limit_mb = competition.model_upload_mb() if kind == MODEL else competition.max_submission_mb
    size = file.size or 0
    if size > limit_mb * 1024 * 1024:
        what = "models" if kind == MODEL else "prediction files"
        raise PodiumError(
            PodiumError.TOO_LARGE,
            f"The file is {size / 1e6:.1f} MB; this competition accepts {what} of at most {limit_mb} MB.",
            status=413,
        )
    if size == 0:
        raise PodiumError(PodiumError.EMPTY_FILE, "The file is empty.")
    if kind == MODEL:
        _check_model_head(file)


def _check_model_head(file: UploadedFile) -> None:
    """A file that is no model format is refused before any of it is stored."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    problem = head_problem(head)
    if problem:
        raise PodiumError(UNSUPPORTED, problem)


def _check_pending_cap(*, competition: Competition, team: Team) -> None:
    cap = competition.max_pending_submissions
    if cap is None:
        return
    pending = Submission.objects.filter(team=team, status__in=states.PENDING).count()
    if pending >= cap:
        raise PodiumError(
            PodiumError.TOO_MANY_PENDING,
            f"Your team has {pending} submissions still being scored (the limit is {cap}); wait for one to finish.",
            status=429,
        )


MODEL_FAULTS = ModelFailure.CODES  # the team's own model failures, counted by the failed-model limit


def _check_failed_model_cap(*, competition: Competition, team: Team) -> None:
    """Failing on purpose must not hold the inference workers: failed runs have a daily cap of their own."""
    from submissions.selectors import utc_day_start

    cap = competition.daily_failed_model_limit or competition.daily_submission_limit
    start = utc_day_start(timezone.now())
    failed = Submission.objects.filter(team=team, kind=MODEL, status=states.FAILED, error_code__in=MODEL_FAULTS,
                                       created_at__gte=start).count()
    if failed >= cap:
        raise PodiumError(
            PodiumError.MODEL_FAILURE_LIMIT,
            f"Your team's models failed {failed} times today (the limit is {cap}); fix the model and try again "
            f"after {start + timedelta(days=1):%Y-%m-%d %H:%M} UTC, or submit predictions.",
            status=429,
        )


def _check_upload_quota(*, competition: Competition, team: Team, size: int) -> None:
    quota = upload_quota_for_team(competition=competition, team=team)
    if quota.used_bytes + size > quota.limit_bytes:
        raise _refused_until(
            PodiumError.UPLOAD_QUOTA,
            f"Your team has stored {quota.used_bytes / 1e6:.0f} MB of uploads today; this {size / 1e6:.0f} MB file "
            f"would pass the daily {quota.limit_bytes / 1e6:.0f} MB. It resets at {quota.resets_at:%Y-%m-%d %H:%M} UTC.",
            quota.resets_at)


def _refused_until(code: str, message: str, resets_at: datetime) -> PodiumError:
    """A daily allowance used up: 429, with the seconds until it resets in Retry-After."""
    return PodiumError(code, message, status=429,
                       headers={"Retry-After": str(int((resets_at - timezone.now()).total_seconds()) + 1)})
