"""Joining competitions, naming teams, inviting, merging and leaving.

A participant is always on exactly one team per competition (a solo team at
first). Accepting an invitation merges the participant's team into the
inviting one, Kaggle's way: allowed before the merger deadline, if the merged
team fits the maximum size and its valid submissions fit what one team could
have made (the daily limit times the days the competition has run).
"""
from __future__ import annotations

import math

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from competitions.models import ENDED, Competition
from leaderboards.standings import standings_refresh
from notifications.services import notify_invite, notify_team_moderated
from core.errors import PodiumError
from submissions import states
from teams.models import (ACCEPTED, DECLINED, DISQUALIFIED, HIDDEN, MERGED, WITHDRAWN, Invite, Membership,
                          ModerationEntry, Team)

MODERATIONS = ("", HIDDEN, DISQUALIFIED)


def membership_join(*, competition: Competition, user: User, accept_rules: bool) -> Membership:
    """Join `competition` (creating a solo team) and record the acceptance of its rules."""
    if competition.rules.strip() and not accept_rules:
        raise PodiumError(
            PodiumError.RULES_NOT_ACCEPTED,
            "This competition has rules: read them and join with accept_rules=true.",
            status=400,
        )
    existing = Membership.objects.filter(competition=competition, user=user).first()
    if existing is not None:
        if not existing.rules_accepted_at:
            existing.rules_accepted_at = timezone.now()
            existing.save(update_fields=["rules_accepted_at"])
        return existing
    if competition.state() == ENDED:
        raise PodiumError(PodiumError.COMPETITION_ENDED, "This competition has ended; it no longer takes new participants.")
    with transaction.atomic():
        team = Team.objects.create(competition=competition, name=_free_team_name(competition, user.get_username()))
        try:
            return Membership.objects.create(
                team=team, user=user, competition=competition, rules_accepted_at=timezone.now()
            )
        except IntegrityError:
            # A concurrent request joined first; that membership stands.
            transaction.set_rollback(True)
    return Membership.objects.get(competition=competition, user=user)


def _free_team_name(competition: Competition, wanted: str) -> str:
    wanted = wanted[:90]  # usernames may be longer than team names
    name, suffix = wanted, 2
    while Team.objects.filter(competition=competition, name=name).exists():
        name, suffix = f"{wanted} ({suffix})", suffix + 1
    return name


def team_rename(*, membership: Membership, name: str) -> Team:
    name = name.strip()[:100]
    if not name:
        raise PodiumError(PodiumError.INVALID, "A team needs a name.")
    team = membership.team
    if Team.objects.filter(competition=team.competition_id, name=name).exclude(pk=team.pk).exists():
        raise PodiumError(PodiumError.NAME_TAKEN, f"Another team is already called {name!r}.", status=409)
    team.name = name
    team.save(update_fields=["name", "updated_at"])
    return team


def invite_create(*, membership: Membership, username: str | None = None) -> Invite:
    """Invite a user by name, or (no name) make a link anyone may open."""
    from django.contrib.auth import get_user_model

    team = membership.team
    _check_room(team.competition, team.memberships.count() + 1)
    invited = None
    if username:
        invited = get_user_model().objects.filter(username=username).first()
        if invited is None:
            raise PodiumError(PodiumError.UNKNOWN_USER, f"There is no user called {username!r}.", status=404)
        if team.memberships.filter(user=invited).exists():
            raise PodiumError(PodiumError.ALREADY_MEMBER, f"{username} is already on your team.", status=409)
    invite = Invite.objects.create(team=team, invited_user=invited, created_by=membership.user)
    if invited is not None:
        notify_invite(invite=invite)
    return invite


def invite_decline(*, invite_id: int, user: User) -> Invite:
    """The invited user says no; the inviting team sees the invitation closed."""
    return _invite_close(Invite.objects.filter(pk=invite_id, invited_user=user), DECLINED)


def invite_withdraw(*, invite_id: int, user: User) -> Invite:
    """A member of the inviting team takes an open invitation (to a user or a link) back."""
    return _invite_close(Invite.objects.filter(pk=invite_id, team__memberships__user=user), WITHDRAWN)


def _invite_close(invites: QuerySet[Invite], outcome: str) -> Invite:
    with transaction.atomic():
        invite = invites.select_for_update(of=("self",)).filter(closed_at__isnull=True).first()
        if invite is None:
            raise PodiumError(PodiumError.INVALID_INVITE, "This invitation is not open (any more).", status=404)
        invite.closed_at = timezone.now()
        invite.outcome = outcome
        invite.save(update_fields=["closed_at", "outcome"])
    return invite


def invite_accept(*, token: str, user: User, accept_rules: bool = False) -> Membership:
    """Accept an invitation: the user's team merges into the inviting team. Whoever has not accepted the
    competition's rules yet accepts them here, having been shown them (`accept_rules`)."""
    with transaction.atomic():
        invite = Invite.objects.select_for_update().select_related("team__competition").filter(token=token, closed_at__isnull=True).first()
        if invite is None or (invite.invited_user_id and invite.invited_user_id != user.pk):
            raise PodiumError(PodiumError.INVALID_INVITE, "This invitation is not valid (any more) for you.", status=404)
        competition = invite.team.competition
        target = Team.objects.select_for_update().get(pk=invite.team_id)
        mine = Membership.objects.filter(competition=competition, user=user).select_related("team").first()
        if mine is None or not mine.rules_accepted_at:
            mine = membership_join(competition=competition, user=user, accept_rules=accept_rules)
        if mine.team_id == target.pk:
            raise PodiumError(PodiumError.ALREADY_MEMBER, "You are already on this team.", status=409)
        _merge(competition, source=Team.objects.select_for_update().get(pk=mine.team_id), target=target)
        if invite.invited_user_id:
            invite.closed_at = timezone.now()
            invite.outcome = ACCEPTED
            invite.save(update_fields=["closed_at", "outcome"])
    return Membership.objects.select_related("team").get(competition=competition, user=user)


def _merge(competition: Competition, *, source: Team, target: Team) -> None:
    for team in (source, target):
        refuse_disqualified(team)
    now = timezone.now()
    deadline = competition.merger_deadline or competition.end_at
    if now >= deadline:
        raise PodiumError(PodiumError.MERGER_CLOSED, f"Teams could merge until {deadline:%Y-%m-%d %H:%M} UTC.")
    _check_room(competition, source.memberships.count() + target.memberships.count())
    valid = competition.submissions.filter(team__in=[source, target]).exclude(status=states.FAILED).count()
    days = max(1, math.ceil((now - competition.start_at).total_seconds() / 86400))
    allowed = competition.daily_submission_limit * days
    if valid > allowed:
        raise PodiumError(
            PodiumError.MERGER_TOO_MANY_SUBMISSIONS,
            f"Together the teams made {valid} valid submissions; a merged team may have at most {allowed} "
            f"({competition.daily_submission_limit} a day for {days} days).",
        )
    source.memberships.update(team=target)
    source.submissions.update(team=target, selected=False)
    Invite.objects.filter(team=source, closed_at__isnull=True).update(closed_at=now, outcome=MERGED)
    source.delete()
    target.save(update_fields=["updated_at"])
    standings_refresh(competition=competition, team_ids=[target.pk])


def _check_room(competition: Competition, size: int) -> None:
    if size > competition.max_team_size:
        raise PodiumError(PodiumError.TEAM_FULL, f"Teams in this competition have at most {competition.max_team_size} members.", status=409)


def team_leave(*, membership: Membership) -> Membership:
    """Leave a team for a new solo team; the team keeps its submissions."""
    team = membership.team
    refuse_disqualified(Team.objects.get(pk=team.pk))  # a disqualified member may not start afresh alone
    if team.memberships.count() == 1:
        raise PodiumError(PodiumError.LAST_MEMBER, "You are the only member; there is no team to leave.")
    with transaction.atomic():
        solo = Team.objects.create(competition=team.competition, name=_free_team_name(team.competition, membership.user.get_username()))
        membership.team = solo
        membership.save(update_fields=["team"])
    return membership


def refuse_disqualified(team: Team) -> None:
    if team.moderation == DISQUALIFIED:
        raise PodiumError(PodiumError.TEAM_DISQUALIFIED, f"Team {team.name} was disqualified by the organizers: "
                                               f"{team.moderation_reason[:200]}", status=403)


def team_moderate(*, team: Team, moderation: str, reason: str, by: User | None) -> Team:
    """Hide a team from the boards, disqualify it, or reinstate it (moderation ""): with a reason, recorded in
    the audit trail, and the boards updated in the same transaction."""
    reason = reason.strip()[:500]
    if moderation not in MODERATIONS:
        raise PodiumError(PodiumError.INVALID, f"Moderation is one of: {', '.join(m or 'reinstate' for m in MODERATIONS)}.")
    if not reason:
        raise PodiumError(PodiumError.INVALID, "Give a reason: it is kept in the audit trail (and shown to a disqualified team).")
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        was = locked.moderation
        locked.moderation, locked.moderation_reason = moderation, reason
        locked.save(update_fields=["moderation", "moderation_reason", "updated_at"])
        ModerationEntry.objects.create(team=locked, moderation=moderation, reason=reason, by=by)
        standings_refresh(competition=locked.competition, team_ids=[locked.pk])
        if DISQUALIFIED in (was, moderation) and was != moderation:  # the team hears it (hiding a baseline: no)
            notify_team_moderated(team=locked, disqualified=moderation == DISQUALIFIED, reason=reason)
    return locked
