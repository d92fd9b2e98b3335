"""Keeping the standings (leaderboards/models.py) equal to a full recomputation, one team at a time.

Whatever can move a team on a board — a submission scored, re-scored or removed,
a selection, a merge — calls `standings_refresh` with that team, inside the
transaction that made the change: it locks the team, reads that team's scored
submissions only, rewrites its rows and moves the board's version. What changes
every team's standing at once (the end date, the selection limit, the task) calls
`standings_rebuild`. The cost of a change is one team's history, never the
competition's.

The rules (Kaggle's): the public board ranks each team's best public score. The
private board ranks each team's best private score among its selected
submissions or, where it selected none, among its `final_selection_limit` best
public ones. Ties go to the deciding submission made first. Submissions made
after the end are shown to their team but never ranked.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, QuerySet

from competitions.models import Competition
from leaderboards.models import BoardVersion, Standing
from submissions import states
from submissions.models import Submission
from teams.models import Team

logger = logging.getLogger(__name__)

PUBLIC = "public"
PRIVATE = "private"
BOARDS = (PUBLIC, PRIVATE)


@dataclass(frozen=True)
class Scored:
    """One ranked submission of a team, as the rules need it."""

    id: int
    public: float
    private: float | None
    created_at: datetime
    selected: bool


def deciding(submissions: list[Scored], *, higher_is_better: bool, selection_limit: int) -> dict[str, tuple[Scored, float]]:
    """The submission that places a team on each board, with its score; `submissions` in the order they were made."""
    sign = -1.0 if higher_is_better else 1.0
    by_public = sorted(submissions, key=lambda s: (sign * s.public, s.created_at, s.id))
    picks: dict[str, tuple[Scored, float]] = {}
    if by_public:
        picks[PUBLIC] = (by_public[0], by_public[0].public)
    chosen = [s for s in submissions if s.selected] or by_public[:selection_limit]
    private = [(s, s.private) for s in chosen if s.private is not None]
    if private:
        best, score = min(private, key=lambda pair: (sign * pair[1], pair[0].created_at, pair[0].id))
        picks[PRIVATE] = (best, score)
    return picks


def standings_refresh(*, competition: Competition, team_ids: Iterable[int]) -> int:
    """Recompute these teams' rows on both boards; returns the board's new version.

    Runs in the caller's transaction (or its own). Teams are locked in id order,
    so concurrent refreshes of one team serialize and each reads the other's
    committed change.
    """
    wanted = sorted(set(team_ids))
    with transaction.atomic():
        teams = list(Team.objects.select_for_update().filter(pk__in=wanted, competition=competition)
                     .order_by("pk").values_list("pk", "moderation"))
        ranked = [pk for pk, moderation in teams if not moderation]  # hidden and disqualified teams: off the boards
        # By team alone: the planner takes the (team, created_at) index, whatever the competition's history.
        _rewrite(competition, Submission.objects.filter(team_id__in=ranked),
                 Standing.objects.filter(competition=competition, team_id__in=wanted))
        return board_touch(competition_id=competition.pk)


def standings_rebuild(*, competition: Competition) -> int:
    """Every team of the competition: after a change to the rules themselves (or to build them the first time)."""
    with transaction.atomic():
        teams = Team.objects.select_for_update().filter(competition=competition).order_by("pk")
        off = {pk for pk, moderation in teams.values_list("pk", "moderation") if moderation}
        _rewrite(competition, Submission.objects.filter(competition=competition),
                 Standing.objects.filter(competition=competition), off_board=off)
        return board_touch(competition_id=competition.pk)


def _rewrite(competition: Competition, submissions: QuerySet[Submission], standings: QuerySet[Standing],
             off_board: frozenset[int] | set[int] = frozenset()) -> None:
    # Each phase has its own boards (None: a single-stage competition's), ranking what was made before its end.
    ends: dict[int | None, datetime] = {None: competition.end_at, **dict(competition.phases.values_list("pk", "end_at"))}
    rows: dict[tuple[int | None, int], list[Scored]] = defaultdict(list)
    # Status and date are checked here, not in SQL: a condition on another index would tempt the planner away
    # from the team's (or the competition's) own rows.
    ranked = (submissions.order_by("created_at", "id").values_list(
        "phase_id", "team_id", "status", "id", "public_score", "private_score", "created_at", "selected"))
    for phase_id, team_id, status, *fields in ranked.iterator(chunk_size=2000):
        scored = Scored(*fields)  # type: ignore[arg-type]  # the columns named above, in Scored's order
        if (status == states.SCORED and scored.public is not None and scored.created_at < ends[phase_id]
                and team_id not in off_board):
            rows[(phase_id, team_id)].append(scored)
    standings.delete()
    Standing.objects.bulk_create(_standings(competition, rows), batch_size=1000)


def _standings(competition: Competition, rows: dict[tuple[int | None, int], list[Scored]]) -> Iterable[Standing]:
    higher = competition.higher_is_better
    for (phase_id, team_id), submissions in rows.items():
        picks = deciding(submissions, higher_is_better=higher, selection_limit=competition.final_selection_limit)
        for board, (pick, score) in picks.items():
            yield Standing(
                competition=competition, phase_id=phase_id, board=board, team_id=team_id, score=score,
                sort_key=-score if higher else score, submission_id=pick.id, decided_at=pick.created_at,
                submission_count=len(submissions), last_submission_at=submissions[-1].created_at,
            )


def standings_refresh_submission(*, submission_id: int) -> None:
    """The team of this submission, as it is now (a merge may have moved it)."""
    row = Submission.objects.filter(pk=submission_id).values_list("competition_id", "team_id").first()
    if row is None:
        return
    competition = Competition.objects.get(pk=row[0])
    standings_refresh(competition=competition, team_ids=[row[1]])


def board_touch(*, competition_id: int) -> int:
    """Move the board's version (a rename, an organizer's edit, new standings); pages are told after the commit."""
    with transaction.atomic():
        if not BoardVersion.objects.filter(competition_id=competition_id).update(version=F("version") + 1):
            BoardVersion.objects.get_or_create(competition_id=competition_id)
            BoardVersion.objects.filter(competition_id=competition_id).update(version=F("version") + 1)
        version = BoardVersion.objects.filter(competition_id=competition_id).values_list("version", flat=True).get()
        transaction.on_commit(lambda: _announce(competition_id, version))
    return version


def board_version(*, competition_id: int) -> int:
    """The idle poll's one lookup, by primary key."""
    return BoardVersion.objects.filter(competition_id=competition_id).values_list("version", flat=True).first() or 0


def _announce(competition_id: int, version: int) -> None:
    from core import events

    events.publish(events.board_channel(competition_id), str(version))
