"""The one function that changes a submission's status, and the message that tells its team's pages.

Every status change is a conditional update: a worker proceeds only if its update changed exactly one row, so
a task delivered twice (a worker killed mid-task, a sweep sending again) never records a score twice.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from core import events
from notifications.services import notify_submission_done
from submissions import states
from submissions.models import Submission


def submission_transition(*, submission_id: int, condition: Q, **fields: object) -> bool:
    """Apply `fields` only if the row still matches `condition`; True when it did (and its team's pages are told)."""
    changed = Submission.objects.filter(condition, pk=submission_id).update(**fields) == 1
    if changed:
        if fields.get("status") in states.FINAL:
            notify_submission_done(submission_id=submission_id)
        transaction.on_commit(lambda: submission_announce(submission_id=submission_id))
    return changed


def submission_announce(*, submission_id: int) -> None:
    """Tell the open pages of the submission's team (core/events.py) that it changed."""
    team_id = Submission.objects.filter(pk=submission_id).values_list("team_id", flat=True).first()
    if team_id is not None:
        events.publish(events.team_channel(team_id), str(submission_id))
