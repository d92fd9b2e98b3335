"""Joining competitions (a solo team unless already on one)."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from competitions.models import ENDED, Competition
from podium.errors import PodiumError
from teams.models import Membership, Team


def membership_join(*, competition: Competition, user: AbstractBaseUser, accept_rules: bool) -> Membership:
    """Join `competition` (creating a solo team) and record the acceptance of its rules."""
    if competition.rules.strip() and not accept_rules:
        raise PodiumError(
            "rules-not-accepted",
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
        raise PodiumError("competition-ended", "This competition has ended; it no longer takes new participants.")
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
    name, suffix = wanted, 2
    while Team.objects.filter(competition=competition, name=name).exists():
        name, suffix = f"{wanted} ({suffix})", suffix + 1
    return name
