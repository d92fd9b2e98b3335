"""Reading the boards from the kept standings (leaderboards/standings.py): a page, a team's rank, a search.

A page is one index range (`LIMIT`/`OFFSET` on the standings' order), a rank one
count over that index, the version one lookup by key: none of them looks at the
submissions, so their cost does not grow with a competition's history.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from competitions.models import Competition, Phase, phase_at
from leaderboards.models import Standing
from leaderboards.standings import BOARDS, PRIVATE, PUBLIC, board_version
from submissions import states
from submissions.models import Submission
from teams.models import Membership

__all__ = ["BOARDS", "PRIVATE", "PUBLIC", "LeaderboardEntry", "BoardPage", "board_page", "leaderboard_rows",
           "leaderboard_version", "ranks_of", "score_history", "team_entries", "team_entry", "with_members", "PER_PAGE",
           "MAX_PER_PAGE"]

PER_PAGE = 100
MAX_PER_PAGE = 1000
# The index's own order: within one board the first three are constant, but PostgreSQL does not treat
# `phase_id IS NULL` as making phase_id one value, so without them it sorts the whole board (a 107 ms first page
# at 10,000 teams) instead of reading 100 entries off standing_order (3 ms).
_ORDER = ("competition_id", "phase_id", "board", "sort_key", "decided_at", "submission_id")


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    team: str
    team_id: int
    score: float
    submission_id: int
    submission_count: int
    last_submission_at: datetime
    scores: dict[str, float] = field(default_factory=dict)  # every metric of the deciding submission, on this board
    members: tuple[str, ...] = ()  # the team's usernames (pages only: each links to its profile)


@dataclass(frozen=True)
class BoardPage:
    board: str
    entries: list[LeaderboardEntry]
    count: int  # teams on the board (or matching the search)
    page: int
    per_page: int
    query: str = ""
    mine: LeaderboardEntry | None = None  # the viewer's team where it is not on this page
    moves: dict[int, int] = field(default_factory=dict)  # private board: public rank minus private rank

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def requested_phase(competition: Competition, slug: str | None) -> Phase | None:
    """The phase asked for (?phase=final), else the one running (or last started); None without phases."""
    phases = list(competition.phases.all())
    chosen = next((phase for phase in phases if phase.slug == slug), None) if slug else None
    return chosen or (phase_at(competition) if phases else None)


def leaderboard_version(*, competition: Competition) -> int:
    """Moves whenever a board may have changed: one lookup by primary key."""
    return board_version(competition_id=competition.pk)


def _standings(competition: Competition, board: str, phase: Phase | None = None) -> QuerySet[Standing]:
    # A phase's own boards; None: a single-stage competition's (phase IS NULL).
    return Standing.objects.filter(competition=competition, phase=phase, board=board)


def _entry(standing: dict[str, Any], rank: int) -> LeaderboardEntry:
    """A board's row from a Standing's values (the columns `_fields` names)."""
    return LeaderboardEntry(
        rank=rank, team=standing["team__name"], team_id=standing["team_id"], score=standing["score"],
        submission_id=standing["submission_id"], submission_count=standing["submission_count"],
        last_submission_at=standing["last_submission_at"],
        scores=standing.get(_SCORES[PUBLIC]) or standing.get(_SCORES[PRIVATE]) or {},
    )


# Each board's row carries its deciding submission's scores on that board: every metric is a column.
_SCORES = {PUBLIC: "submission__public_scores", PRIVATE: "submission__private_scores"}


def _fields(board: str) -> tuple[str, ...]:
    return (*_FIELDS, _SCORES[board])


_FIELDS = ("team_id", "team__name", "score", "sort_key", "decided_at", "submission_id", "submission_count",
           "last_submission_at")


def board_page(
    *, competition: Competition, board: str = PUBLIC, page: int = 1, per_page: int = PER_PAGE, query: str = "",
    team_id: int | None = None, phase: Phase | None = None,
) -> BoardPage:
    """One page of a board, best first; with `query`, the teams whose name contains it (with their real ranks)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    standings = _standings(competition, board, phase)
    query = query.strip()[:100]
    if query:
        standings = standings.filter(team__name__icontains=query)
    count = standings.count()
    page = max(1, min(page, max(1, -(-count // per_page))))
    offset = (page - 1) * per_page
    rows = list(standings.order_by(*_ORDER).values(*_fields(board))[offset:offset + per_page])
    if query:
        ranks = ranks_of(competition=competition, board=board, team_ids=[row["team_id"] for row in rows], phase=phase)
        entries = [_entry(row, ranks[row["team_id"]]) for row in rows]
    else:
        entries = [_entry(row, offset + position) for position, row in enumerate(rows, start=1)]
    shown = {entry.team_id for entry in entries}
    mine = None
    if team_id is not None and team_id not in shown:
        mine = team_entry(competition=competition, board=board, team_id=team_id, phase=phase)
    moves = {}
    if board == PRIVATE:
        listed = [*entries, *([mine] if mine else [])]
        public = ranks_of(competition=competition, board=PUBLIC, team_ids=[e.team_id for e in listed], phase=phase)
        moves = {e.team_id: public[e.team_id] - e.rank for e in listed if e.team_id in public}
    entries, mine_list = with_members(entries), with_members([mine] if mine else [])
    return BoardPage(board=board, entries=entries, count=count, page=page, per_page=per_page, query=query,
                     mine=mine_list[0] if mine_list else None, moves=moves)


def with_members(entries: list[LeaderboardEntry]) -> list[LeaderboardEntry]:
    """The entries with their teams' usernames: one query for a page."""
    members: dict[int, list[str]] = defaultdict(list)
    rows = Membership.objects.filter(team_id__in=[e.team_id for e in entries]).order_by("user__username")
    for team_id, username in rows.values_list("team_id", "user__username") if entries else ():
        members[team_id].append(username)
    return [replace(e, members=tuple(members[e.team_id])) for e in entries]


def team_entry(*, competition: Competition, board: str, team_id: int, phase: Phase | None = None) -> LeaderboardEntry | None:
    """A team's row with its rank: one count over the board's index."""
    row = _standings(competition, board, phase).filter(team_id=team_id).values(*_fields(board)).first()
    if row is None:
        return None
    return _entry(row, 1 + _ahead(competition, board, row, phase))


def team_entries(*, competition: Competition, board: str, team_ids: list[int],
                 phase: Phase | None = None) -> dict[int, LeaderboardEntry]:
    """Many teams' rows with their ranks: one query for the rows, one pass for the ranks (live pages' own rows)."""
    standings = _standings(competition, board, phase).filter(team_id__in=team_ids)
    rows = {row["team_id"]: row for row in standings.values(*_fields(board))}
    ranks = ranks_of(competition=competition, board=board, team_ids=list(rows), phase=phase)
    entries = with_members([_entry(row, ranks[team_id]) for team_id, row in rows.items() if team_id in ranks])
    return {entry.team_id: entry for entry in entries}


def _ahead(competition: Competition, board: str, row: dict[str, Any], phase: Phase | None = None) -> int:
    """Teams placed before this standing, in the board's order (ties broken as the page breaks them)."""
    key, when, submission = row["sort_key"], row["decided_at"], row["submission_id"]
    standings = _standings(competition, board, phase)
    return (standings.filter(sort_key__lt=key).count()
            + standings.filter(sort_key=key, decided_at__lt=when).count()
            + standings.filter(sort_key=key, decided_at=when, submission_id__lt=submission).count())


def ranks_of(*, competition: Competition, board: str, team_ids: list[int], phase: Phase | None = None) -> dict[int, int]:
    """Several teams' ranks in one pass over the board (a window over its index)."""
    if not team_ids:
        return {}
    if len(team_ids) <= 3:
        ranks = {}
        for team_id in team_ids:
            entry = team_entry(competition=competition, board=board, team_id=team_id, phase=phase)
            if entry is not None:
                ranks[team_id] = entry.rank
        return ranks
    table = Standing._meta.db_table
    marks = ", ".join(["%s"] * len(team_ids))
    phase_condition, phase_params = ("phase_id IS NULL", []) if phase is None else ("phase_id = %s", [phase.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT team_id, position FROM (SELECT team_id, ROW_NUMBER() OVER"
            f" (ORDER BY sort_key, decided_at, submission_id) AS position FROM {table}"
            f" WHERE competition_id = %s AND board = %s AND {phase_condition}) ranked WHERE team_id IN ({marks})",
            [competition.pk, board, *phase_params, *team_ids],
        )
        return dict(cursor.fetchall())


def leaderboard_rows(*, competition: Competition, board: str = PUBLIC, phase: Phase | None = None) -> list[LeaderboardEntry]:
    """The whole board (exports, tests): every team, best first."""
    rows = _standings(competition, board, phase).order_by(*_ORDER).values(*_fields(board))
    return [_entry(row, rank) for rank, row in enumerate(rows.iterator(chunk_size=2000), start=1)]


def score_history(*, competition: Competition, team_ids: list[int],
                  phase: Phase | None = None) -> dict[int, list[tuple[datetime, float]]]:
    """Public scores over time of the given teams' ranked submissions (in that phase)."""
    history: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    end = phase.end_at if phase else competition.end_at
    phase_id = phase.pk if phase else None
    # By team alone (these teams are the competition's): the (team, created_at) index, whatever the history;
    # status and date are checked here, as a condition on another index would tempt the planner away from it.
    rows = Submission.objects.filter(team_id__in=team_ids).values_list("team_id", "status", "created_at",
                                                                       "public_score", "phase_id")
    for team_id, status, created_at, score, row_phase in rows.order_by("team_id", "created_at"):
        if status == states.SCORED and score is not None and created_at < end and row_phase == phase_id:
            history[team_id].append((created_at, score))
    return history
