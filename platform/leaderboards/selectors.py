"""Leaderboard standings, ordered by the task type's primary metric and direction.

Public board: each team's best public score. Private board: each team's best
private score among its selected submissions, or, where it selected none,
among its `final_selection_limit` best public submissions (Kaggle's rule).
Ties go to the team whose deciding submission came first. Submissions made
after the end are shown to their team but never ranked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from competitions.models import Competition
from submissions import states
from submissions.models import Submission

PUBLIC = "public"
PRIVATE = "private"
BOARDS = (PUBLIC, PRIVATE)


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    team: str
    team_id: int
    score: float
    submission_id: int
    submission_count: int
    last_submission_at: datetime


@dataclass(frozen=True)
class _Scored:
    id: int
    team_id: int
    team: str
    public: float
    private: float | None
    created_at: datetime
    selected: bool


def leaderboard_version(*, competition: Competition) -> tuple[object, ...]:
    """Changes whenever either board may have changed; one indexed query.

    A submission scored or re-scored moves the latest `scored_at`; a new team,
    a merge, a rename or a selection moves `Team.updated_at` or the selected
    count; an organizer's edit moves `Competition.updated_at`. Every poll of
    every open leaderboard runs this, so it is one plain SQL statement: building
    the equivalent ORM aggregates cost more than running them.
    """
    from django.db import connection

    from teams.models import Team

    submissions, teams = Submission._meta.db_table, Team._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {submissions} WHERE competition_id = %s AND status = %s),"
            f" (SELECT MAX(scored_at) FROM {submissions} WHERE competition_id = %s),"
            f" (SELECT COUNT(*) FROM {submissions} WHERE competition_id = %s AND selected),"
            f" (SELECT COUNT(*) FROM {teams} WHERE competition_id = %s),"
            f" (SELECT MAX(updated_at) FROM {teams} WHERE competition_id = %s)",
            [competition.pk, states.SCORED, competition.pk, competition.pk, competition.pk, competition.pk],
        )
        return (competition.updated_at, *cursor.fetchone())


def leaderboard_rows(*, competition: Competition, board: str = PUBLIC) -> list[LeaderboardEntry]:
    task = competition.task_type
    by_team: dict[int, list[_Scored]] = defaultdict(list)
    rows = (
        Submission.objects.filter(competition=competition, status=states.SCORED, created_at__lt=competition.end_at)
        .order_by("created_at", "id")
        .values_list("id", "team_id", "team__name", "public_score", "private_score", "created_at", "selected")
    )
    for row in rows:
        by_team[row[1]].append(_Scored(*row))
    best: list[tuple[float, datetime, _Scored, list[_Scored]]] = []
    for submissions in by_team.values():
        pick = _best_public(submissions, task) if board == PUBLIC else _best_private(submissions, task, competition)
        if pick is not None:
            score = pick.public if board == PUBLIC else pick.private
            best.append((score, pick.created_at, pick, submissions))
    sign = -1.0 if task.higher_is_better else 1.0
    best.sort(key=lambda item: (sign * item[0], item[1], item[2].id))
    return [
        LeaderboardEntry(
            rank=position,
            team=pick.team,
            team_id=pick.team_id,
            score=score,
            submission_id=pick.id,
            submission_count=len(submissions),
            last_submission_at=submissions[-1].created_at,
        )
        for position, (score, _, pick, submissions) in enumerate(best, start=1)
    ]


def _ranked_by_public(submissions: list[_Scored], task: object) -> list[_Scored]:
    sign = -1.0 if task.higher_is_better else 1.0
    return sorted(submissions, key=lambda s: (sign * s.public, s.created_at, s.id))


def _best_public(submissions: list[_Scored], task: object) -> _Scored | None:
    ranked = _ranked_by_public(submissions, task)
    return ranked[0] if ranked else None


def _best_private(submissions: list[_Scored], task: object, competition: Competition) -> _Scored | None:
    chosen = [s for s in submissions if s.selected]
    if not chosen:
        chosen = _ranked_by_public(submissions, task)[: competition.final_selection_limit]
    chosen = [s for s in chosen if s.private is not None]
    if not chosen:
        return None
    sign = -1.0 if task.higher_is_better else 1.0
    return min(chosen, key=lambda s: (sign * s.private, s.created_at, s.id))


def shakeup(*, competition: Competition, private_entries: list[LeaderboardEntry] | None = None) -> dict[int, int]:
    """Each team's move from its public rank to its private rank (positive: moved up).

    Pass the private board when the caller already has it, so it is not computed twice.
    """
    if private_entries is None:
        private_entries = leaderboard_rows(competition=competition, board=PRIVATE)
    public = {entry.team_id: entry.rank for entry in leaderboard_rows(competition=competition, board=PUBLIC)}
    return {entry.team_id: public[entry.team_id] - entry.rank for entry in private_entries if entry.team_id in public}


def score_history(*, competition: Competition, team_ids: list[int]) -> dict[int, list[tuple[datetime, float]]]:
    """Public scores over time of the given teams' ranked submissions."""
    history: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    rows = Submission.objects.filter(competition=competition, team_id__in=team_ids, status=states.SCORED,
                                     created_at__lt=competition.end_at).values_list("team_id", "created_at", "public_score")
    for team_id, created_at, score in rows.order_by("created_at"):
        history[team_id].append((created_at, score))
    return history
