"""The leaderboard page and its live fragment."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from competitions.models import Competition
from competitions.views import competition_context
from leaderboards.charts import Series, best_so_far, chart_svg
from leaderboards.selectors import PRIVATE, PUBLIC, leaderboard_rows, leaderboard_version, score_history, shakeup
from podium.fragments import fragment_response
from submissions.selectors import private_scores_visible


def _viewer(request: HttpRequest, competition: Competition) -> tuple[bool, str, int | None]:
    """What differs between viewers: may they see private scores, which board, and their team (highlighted)."""
    private_visible = private_scores_visible(competition=competition, user=request.user)
    board = PRIVATE if request.GET.get("board") == PRIVATE and private_visible else PUBLIC
    membership_team = None
    if request.user.is_authenticated:
        membership_team = competition.memberships.filter(user=request.user).values_list("team_id", flat=True).first()
    return private_visible, board, membership_team


def _board_context(competition: Competition, viewer: tuple[bool, str, int | None]) -> dict[str, object]:
    private_visible, board, membership_team = viewer
    entries = leaderboard_rows(competition=competition, board=board)
    moves = shakeup(competition=competition, private_entries=entries) if board == PRIVATE else {}
    return {
        "moves": moves,
        "board": board,
        "entries": entries,
        "private_visible": private_visible,
        "my_team_id": membership_team,
    }


def leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    competition = get_object_or_404(Competition, slug=slug)
    context = competition_context(request, competition, "leaderboard")
    context.update(_board_context(competition, _viewer(request, competition)))
    context["progress_chart"] = _top_teams_chart(competition, context["entries"])
    return render(request, "leaderboards/leaderboard.html", context)


def _top_teams_chart(competition: Competition, entries: list) -> str:  # type: ignore[type-arg]
    """The top five teams' best public score so far, over time."""
    top = entries[:5]
    history = score_history(competition=competition, team_ids=[e.team_id for e in top])
    higher = competition.task_type.higher_is_better
    series = [Series(e.team, best_so_far(history[e.team_id], higher)) for e in top if history.get(e.team_id)]
    return chart_svg(series, title=f"Top teams' best public {competition.task_type.primary_metric} over time")


def leaderboard_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    """The table alone, for live polling: 304 from one query while the standings are unchanged."""
    competition = get_object_or_404(Competition, slug=slug)
    viewer = _viewer(request, competition)
    version = (leaderboard_version(competition=competition), viewer)
    return fragment_response(
        request, "leaderboards/_table.html",
        lambda: {"competition": competition, "task": competition.task_type, **_board_context(competition, viewer)},
        version, cache_key=f"leaderboard:{competition.pk}",
    )
