"""Reads about teams and membership."""
from __future__ import annotations

from competitions.models import Competition
from core.users import Viewer
from teams.models import Membership


def membership_get(*, competition: Competition, user: Viewer) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("team").filter(competition=competition, user=user).first()


def membership_has_access(*, competition: Competition, membership: Membership | None) -> bool:
    """Whether a member may download data and submit: rules accepted where there are rules."""
    if membership is None:
        return False
    return bool(membership.rules_accepted_at) or not competition.rules.strip()
