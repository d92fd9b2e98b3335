"""Standings follow changes made outside the services: the admin, fixtures, the shell.

The services refresh explicitly, in their own transactions (their queryset
updates send no signals). Here: a submission saved or deleted refreshes its
team; a team deleted or renamed moves the board's version; a competition whose
end, selection limit, task or metric changed is rebuilt (a new metric first re-reads each submission's ranking
score from the metrics it already has: nothing is scored again).
"""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from competitions.models import Competition, Phase
from leaderboards.standings import board_touch, standings_rebuild, standings_refresh
from submissions import states
from submissions.models import Submission
from submissions.services import submission_scores_rank_by
from teams.models import Team

_RULES = ("end_at", "final_selection_limit", "task", "metric")


@receiver(post_save, sender=Submission, dispatch_uid="standings-submission-saved")
def _submission_saved(sender: type, instance: Submission, created: bool, **kwargs: object) -> None:
    if created and instance.status != states.SCORED:
        return  # a new upload: on no board until it is scored
    standings_refresh(competition=instance.competition, team_ids=[instance.team_id])


@receiver(post_delete, sender=Submission, dispatch_uid="standings-submission-deleted")
def _submission_deleted(sender: type, instance: Submission, **kwargs: object) -> None:
    # After the commit: the team itself may be going in the same cascade.
    competition_id, team_id = instance.competition_id, instance.team_id
    transaction.on_commit(lambda: _refresh_if_present(competition_id, team_id))


def _refresh_if_present(competition_id: int, team_id: int) -> None:
    competition = Competition.objects.filter(pk=competition_id).first()
    if competition is not None:
        standings_refresh(competition=competition, team_ids=[team_id])


@receiver(post_save, sender=Team, dispatch_uid="standings-team-saved")
def _team_saved(sender: type, instance: Team, created: bool, **kwargs: object) -> None:
    if not created:
        board_touch(competition_id=instance.competition_id)  # a rename shows on every page that lists it


@receiver(post_delete, sender=Team, dispatch_uid="standings-team-deleted")
def _team_deleted(sender: type, instance: Team, **kwargs: object) -> None:
    competition_id = instance.competition_id
    transaction.on_commit(lambda: Competition.objects.filter(pk=competition_id).exists()
                          and board_touch(competition_id=competition_id))


@receiver(post_save, sender=Phase, dispatch_uid="standings-phase-saved")
def _phase_saved(sender: type, instance: Phase, created: bool, **kwargs: object) -> None:
    if not created:  # its end (what counts) may have moved: rebuild after the admin has saved everything
        competition_id = instance.competition_id
        transaction.on_commit(lambda: _rebuild_if_present(competition_id))


def _rebuild_if_present(competition_id: int) -> None:
    competition = Competition.objects.filter(pk=competition_id).first()
    if competition is not None:
        standings_rebuild(competition=competition)


@receiver(pre_save, sender=Competition, dispatch_uid="standings-competition-before")
def _competition_before(sender: type, instance: Competition, **kwargs: object) -> None:
    old = Competition.objects.filter(pk=instance.pk).values(*_RULES).first() if instance.pk else None
    instance._standing_rules = old  # type: ignore[attr-defined]  # read back by the post_save receiver below


@receiver(post_save, sender=Competition, dispatch_uid="standings-competition-saved")
def _competition_saved(sender: type, instance: Competition, created: bool, **kwargs: object) -> None:
    old = getattr(instance, "_standing_rules", None)
    if old is not None and any(old[name] != getattr(instance, name) for name in _RULES):
        if (old["metric"], old["task"]) != (instance.metric, instance.task):
            submission_scores_rank_by(competition=instance)  # each submission's ranking score, from its stored metrics
        standings_rebuild(competition=instance)
    else:
        board_touch(competition_id=instance.pk)
