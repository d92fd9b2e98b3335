"""A participant's public profile: the competitions they joined and where their team stands.

Only what every visitor could already read elsewhere: competitions the viewer can see (a
draft only for its organizers), the public board's rank, and the private board's only once
that competition has revealed it, whoever is looking. A team off the boards (hidden or
disqualified) shows no rank and no reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from competitions.models import Competition, Phase
from competitions.selectors import competitions_visible
from core.users import User, Viewer
from leaderboards.models import Standing
from leaderboards.selectors import PRIVATE, PUBLIC, LeaderboardEntry, requested_phase, team_entry
from teams.models import Membership


@dataclass(frozen=True)
class Placing:
    """A team's rank on one board, out of how many teams."""

    rank: int
    of: int

    @property
    def top_percent(self) -> int:
        return max(1, round(100 * self.rank / self.of))


@dataclass(frozen=True)
class CompetitionRecord:
    competition: Competition
    team: str
    teammates: list[str]
    joined_at: datetime
    phase: str  # the board's phase ("" without phases)
    public: Placing | None
    private: Placing | None  # None before the reveal
    submissions: int | None  # the board's count; None off the board


@dataclass(frozen=True)
class Profile:
    username: str
    joined_at: datetime
    records: list[CompetitionRecord]

    @property
    def best_public(self) -> Placing | None:
        return min((r.public for r in self.records if r.public), key=lambda p: (p.rank, p.of), default=None)

    @property
    def best_private(self) -> Placing | None:
        return min((r.private for r in self.records if r.private), key=lambda p: (p.rank, p.of), default=None)


def participant_profile(*, username: str, viewer: Viewer | None) -> Profile | None:
    """The profile of an active account, as `viewer` may see it; None where there is no such participant."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        return None
    memberships = (Membership.objects.filter(user=user, competition__in=competitions_visible(user=viewer))
                   .select_related("team", "competition").order_by("-competition__start_at", "-joined_at"))
    return Profile(username=user.get_username(), joined_at=user.date_joined,
                   records=[_record(membership, user) for membership in memberships])


def _record(membership: Membership, user: User) -> CompetitionRecord:
    competition = membership.competition
    phase = requested_phase(competition, None)
    public = team_entry(competition=competition, board=PUBLIC, team_id=membership.team_id, phase=phase)
    private = (team_entry(competition=competition, board=PRIVATE, team_id=membership.team_id, phase=phase)
               if competition.private_revealed() else None)
    teammates = list(Membership.objects.filter(team_id=membership.team_id).exclude(user=user)
                     .order_by("user__username").values_list("user__username", flat=True))
    return CompetitionRecord(competition=competition, team=membership.team.name, teammates=teammates,
                             joined_at=membership.joined_at, phase=phase.name if phase else "",
                             public=_placing(competition, PUBLIC, public, phase),
                             private=_placing(competition, PRIVATE, private, phase),
                             submissions=public.submission_count if public else None)


def _placing(competition: Competition, board: str, entry: LeaderboardEntry | None, phase: Phase | None) -> Placing | None:
    if entry is None:
        return None
    return Placing(rank=entry.rank, of=Standing.objects.filter(competition=competition, board=board, phase=phase).count())
