"""Actions on submissions after scoring: rescoring, final selection, the ranking metric, carrying
selections into the next phase."""
from __future__ import annotations

from datetime import datetime
from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from competitions.models import ENDED, MODEL, Competition, Phase
from core.errors import PodiumError
from leaderboards.standings import standings_refresh
from submissions import dispatch, states
from submissions.dispatch import models_dispatch
from submissions.models import Rescore, Submission
from submissions.transitions import submission_transition
from teams.models import Team


def competition_rescore(*, competition: Competition, requested_by: User | None) -> int:
    """Score every finished submission again (after a truth fix), keeping old and new scores."""
    return submissions_rescore(submissions=competition.submissions.all(), requested_by=requested_by)


def submissions_rescore(*, submissions: QuerySet[Submission], requested_by: User | None) -> int:
    """Score these submissions again (the finished ones), keeping old and new scores; returns how many.

    Predictions are re-scored from the stored file; models are scored from the
    predictions they already made (they are not run again).
    """
    count = 0
    for submission in submissions.filter(status__in=states.FINAL).select_related("competition"):
        competition = submission.competition
        if submission.kind == MODEL and not submission.predictions_file:
            continue  # the model failed before predicting: nothing to score
        with transaction.atomic():
            Rescore.objects.create(
                submission=submission, requested_by=requested_by, old_status=submission.status,
                old_public_score=submission.public_score, old_private_score=submission.private_score,
                old_error_code=submission.error_code, old_program_version=submission.program_version,
            )
            requeued = submission_transition(submission_id=submission.pk, condition=Q(status__in=states.FINAL),
                                   status=states.QUEUED, stage="", task_id="")
            if requeued and submission.status == states.SCORED:
                standings_refresh(competition=competition, team_ids=[submission.team_id])  # off the board until re-scored
            if requeued:
                transaction.on_commit(partial(dispatch.submission_enqueue_scoring, submission_id=submission.pk))
                count += 1
    return count


def submission_select(*, submission: Submission, selected: bool) -> Submission:
    """Mark a scored submission for (or remove it from) the final private ranking."""
    if submission.competition.state() == ENDED:
        raise PodiumError(PodiumError.SELECTION_CLOSED, "The competition has ended: final selections are closed, as on Kaggle. "
                                              "Ask the organizers if something went wrong.", status=409)
    if selected and submission.status != states.SCORED:
        raise PodiumError(PodiumError.NOT_SCORED, "Only a scored submission can be selected for the final ranking.")
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=submission.team_id)
        if selected and not submission.selected:
            limit = submission.competition.final_selection_limit
            # Each phase has its own boards, so its own selections.
            chosen = Submission.objects.filter(team_id=submission.team_id, selected=True,
                                               phase_id=submission.phase_id).count()  # type: ignore[misc]  # None is IS NULL
            if chosen >= limit:
                raise PodiumError(
                    PodiumError.SELECTION_LIMIT,
                    f"Your team has already selected {chosen} of {limit} submissions; unselect one first.",
                    status=409,
                )
        Submission.objects.filter(pk=submission.pk).update(selected=selected)
        Team.objects.filter(pk=submission.team_id).update(updated_at=timezone.now())
        standings_refresh(competition=submission.competition, team_ids=[submission.team_id])
    submission.selected = selected
    return submission


def submission_scores_rank_by(*, competition: Competition, batch: int = 2000) -> int:
    """Set every scored submission's public and private score to the competition's ranking metric, from the
    metrics stored with it (every metric is stored: nothing is scored again); returns how many changed."""
    metric = competition.ranking_metric
    changed = 0
    scored = Submission.objects.filter(competition=competition, status=states.SCORED).only(
        "pk", "public_scores", "private_scores", "public_score", "private_score")
    for start in range(0, scored.count(), batch):
        rows = list(scored.order_by("pk")[start:start + batch])
        for row in rows:
            row.public_score = (row.public_scores or {}).get(metric)
            row.private_score = (row.private_scores or {}).get(metric)
        changed += Submission.objects.bulk_update(rows, ["public_score", "private_score"])
    return changed


def phases_carry(*, now: datetime | None = None) -> int:
    """Each phase that carries selections, once it has started: every team's selected submissions of the phase
    before come into it as new submissions, scored on its data (models run again); returns how many were made."""
    now = now or timezone.now()
    made = 0
    due = Phase.objects.filter(carry_selected=True, carried_at__isnull=True, start_at__lte=now).select_related("competition")
    for phase in due:
        with transaction.atomic():
            if not Phase.objects.filter(pk=phase.pk, carried_at__isnull=True).update(carried_at=now):
                continue  # another sweep took it
            previous = (Phase.objects.filter(competition=phase.competition_id, order__lt=phase.order)
                        .order_by("-order", "-start_at").first())
            if previous is None:
                continue
            chosen = Submission.objects.filter(phase=previous, selected=True, status=states.SCORED).order_by("created_at")
            for original in chosen:
                if original.kind == MODEL and original.kind not in phase.kinds:
                    continue
                submission = Submission.objects.create(
                    competition=phase.competition, phase=phase, team_id=original.team_id,
                    submitted_by_id=original.submitted_by_id, kind=original.kind, file=original.file.name,
                    original_name=original.original_name,
                    description=f"Carried over from {previous.name} (#{original.pk})"[:500], carried_from=original,
                    stage=states.WAITING if original.kind == MODEL else "")
                if submission.stage == states.WAITING:
                    transaction.on_commit(partial(models_dispatch, team_id=original.team_id))
                else:
                    transaction.on_commit(partial(dispatch.submission_enqueue, submission_id=submission.pk))
                made += 1
    return made
