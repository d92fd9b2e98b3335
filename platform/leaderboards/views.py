"""The leaderboard page, its table for polling, and its event stream."""
from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from competitions.models import Competition
from competitions.selectors import competition_or_404
from competitions.views import competition_context
from leaderboards.live import View, Viewer, board_stream, render_view, top_teams_chart, view_phase
from leaderboards.selectors import PRIVATE, PUBLIC, board_page, leaderboard_version, requested_phase
from core.events import database_call, no_stream, sse_response, streams_served
from core.fragments import fragment_response
from submissions.selectors import private_scores_visible


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1


def _viewer(request: HttpRequest, competition: Competition) -> tuple[bool, Viewer]:
    """What differs between viewers: may they see private scores, which view, and their team."""
    private_visible = private_scores_visible(competition=competition, user=request.user)
    board = PRIVATE if request.GET.get("board") == PRIVATE and private_visible else PUBLIC
    phase = requested_phase(competition, request.GET.get("phase"))
    view = View(board=board, page=_page_number(request.GET.get("page")), query=request.GET.get("q", "").strip()[:100],
                phase=phase.pk if phase else None)
    team_id = None
    if request.user.is_authenticated:
        team_id = competition.memberships.filter(user=request.user).values_list("team_id", flat=True).first()
    return private_visible, Viewer(view=view, team_id=team_id)


def _view_query(view: View, phase_slug: str = "") -> str:
    params: dict[str, object] = {"board": view.board}
    if phase_slug:
        params["phase"] = phase_slug
    if view.page > 1:
        params["page"] = view.page
    if view.query:
        params["q"] = view.query
    return urlencode(params)


def leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "leaderboard")
    private_visible, viewer = _viewer(request, competition)
    phase = view_phase(competition, viewer.view)
    page = board_page(competition=competition, board=viewer.view.board, page=viewer.view.page,
                      query=viewer.view.query, team_id=viewer.team_id, phase=phase)
    context.update({
        "board": page.board, "board_page": page, "private_visible": private_visible, "my_team_id": viewer.team_id,
        "version": leaderboard_version(competition=competition),
        "view_query": _view_query(View(page.board, page.page, page.query, viewer.view.phase),
                                  phase.slug if phase else ""),
        "progress_chart": top_teams_chart(competition, page, phase), "other_metrics": competition.other_metrics,
        "phases": list(competition.phases.all()), "phase": phase,
    })
    return render(request, "leaderboards/leaderboard.html", context)


def leaderboard_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    """The table alone, for polling (when the stream is down): 304 from one lookup while the board is unchanged."""
    competition = competition_or_404(slug=slug, user=request.user)
    _, viewer = _viewer(request, competition)
    version = (leaderboard_version(competition=competition), competition.updated_at, viewer)
    return fragment_response(
        request, "leaderboards/_fragment.html",
        lambda: {"html": render_view(competition, viewer.view, team_id=viewer.team_id)},
        version,
    )


async def leaderboard_events(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Server-sent events: the table of this view each time the board changes (core/events.py)."""
    if not streams_served(request):
        return no_stream()
    competition, viewer = await database_call(_stream_viewer)(request, slug)
    try:
        since = int(request.headers.get("Last-Event-ID") or request.GET.get("v") or -1)
    except ValueError:
        since = -1
    return sse_response(board_stream(competition.pk, viewer, since))


def _stream_viewer(request: HttpRequest, slug: str) -> tuple[Competition, Viewer]:
    competition = competition_or_404(slug=slug, user=request.user)
    return competition, _viewer(request, competition)[1]
