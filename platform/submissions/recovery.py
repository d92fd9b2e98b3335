"""Work that went missing or failed on the platform's side, sent again: the sweep's lost submissions
(workers/leases.py says how a lost one is told from a busy one) and the organizers' one-click retry.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from submissions import dispatch, states
from submissions.dispatch import models_dispatch
from submissions.models import Submission
from submissions.results import PLATFORM_ERROR, submission_fail_platform
from submissions.transitions import submission_transition
from workers import leases

logger = logging.getLogger(__name__)


def submissions_requeue_stale(*, now: datetime | None = None) -> int:
    """Send again every pending submission that no worker holds and no queue holds (workers/leases.py).

    Its worker died (the lease ran out) or the broker lost its task (the marker went with it).
    Only submissions sent at least PODIUM_LEASE_GRACE_SECONDS ago are looked at: a task just sent
    may not be taken yet. One lost too often ends `failed` with `platform-error`.
    """
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.PODIUM_LEASE_GRACE_SECONDS)
    waiting_teams = set(Submission.objects.filter(status=states.QUEUED, stage=states.WAITING).values_list("team_id", flat=True))
    for team_id in waiting_teams:  # a finish whose dispatch was lost (a crash between the two)
        models_dispatch(team_id=team_id)
    pending = list(Submission.objects.filter(
        Q(enqueued_at__lt=settled) | Q(enqueued_at__isnull=True, created_at__lt=settled), status__in=states.PENDING,
    ).exclude(stage=states.WAITING).values_list("pk", flat=True))
    lost = sorted(set(pending) - leases.accounted_for(pending))
    count = 0
    for submission_id in lost:
        if _requeue_lost(submission_id=submission_id, settled=settled):
            count += 1
    if count:
        logger.info("re-enqueued %d lost submissions", count)
    return count


def _requeue_lost(*, submission_id: int, settled: datetime) -> bool:
    """Back to `queued` (a model starts over from inference) and sent again; False if it moved meanwhile."""
    unchanged = (Q(status__in=states.PENDING) & ~Q(stage=states.WAITING)
                 & (Q(enqueued_at__lt=settled) | Q(enqueued_at__isnull=True)))
    submission = Submission.objects.filter(unchanged, pk=submission_id).first()
    if submission is None:
        return False
    if submission.requeues >= settings.PODIUM_MAX_REQUEUES:
        return submission_fail_platform(submission_id=submission_id, reason=f"its task was lost {submission.requeues + 1} times")
    if not submission_transition(submission_id=submission_id, condition=unchanged, status=states.QUEUED, stage="", progress=None,
                       task_id="", requeues=F("requeues") + 1):
        return False
    logger.warning("re-enqueued a lost submission (held by %s)", submission.worker or "no worker",
                   extra={"submission": submission_id})
    dispatch.submission_enqueue(submission_id=submission_id)
    return True


def submissions_retry(*, submission_ids: list[int]) -> int:
    """Run again submissions that failed with `platform-error` (the organizers' one-click retry)."""
    count = 0
    for submission_id in submission_ids:
        if submission_transition(submission_id=submission_id, condition=Q(status=states.FAILED, error_code=PLATFORM_ERROR),
                       status=states.QUEUED, stage="", progress=None, error_code="", error_message="", task_id="",
                       requeues=0, scored_at=None):
            transaction.on_commit(partial(dispatch.submission_enqueue, submission_id=submission_id))
            count += 1
    return count
