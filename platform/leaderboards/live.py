"""Live leaderboards: one rendering per change and view, pushed to every open page of it.

Each web process keeps a `Feed` per competition with open streams. When the
board's version moves (a message through core.events), the feed renders, in
one pass and one database transaction, every distinct view its streams show
(board, page, search) and the row of every viewer's team; each stream then sends
its view with its team's row. A thousand open pages of one board cost one
rendering per change, not a thousand requests.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string

from competitions.models import Competition, Phase
from leaderboards.charts import Series, best_so_far, chart_svg
from leaderboards.selectors import (
    PER_PAGE, PRIVATE, PUBLIC, BoardPage, board_page, leaderboard_version, ranks_of, score_history, team_entries,
)
from core import events

logger = logging.getLogger(__name__)

MINE_MARK = "<!--mine-->"


@dataclass(frozen=True)
class View:
    board: str
    page: int
    query: str
    phase: int | None = None  # a phase's boards (its id); None: a single-stage competition's


@dataclass(frozen=True)
class Viewer:
    view: View
    team_id: int | None


def render_view(competition: Competition, view: View, *, team_id: int | None = None) -> str:
    """The live table of one view (and on the first page, the top teams' chart, which follows it);
    with `team_id`, that team's row below it when it is not on this page."""
    phase = view_phase(competition, view)
    page = board_page(competition=competition, board=view.board, page=view.page, per_page=PER_PAGE,
                      query=view.query, team_id=team_id, phase=phase)
    context = {"competition": competition, "task": competition.task_type, "board_page": page, "my_team_id": team_id,
               "progress_chart": top_teams_chart(competition, page, phase), "other_metrics": competition.other_metrics,
               "phase": phase}
    return render_to_string("leaderboards/_table.html", context)


def view_phase(competition: Competition, view: View) -> Phase | None:
    return competition.phases.filter(pk=view.phase).first() if view.phase is not None else None


def top_teams_chart(competition: Competition, page: BoardPage, phase: Phase | None = None) -> str:
    """The top five teams' best public score so far, over time: on the public board's first page only."""
    if page.page != 1 or page.query or page.board != PUBLIC or not page.entries:
        return ""
    top = page.entries[:5]
    history = score_history(competition=competition, team_ids=[e.team_id for e in top], phase=phase)
    higher = competition.higher_is_better
    series = [Series(e.team, best_so_far(history[e.team_id], higher)) for e in top if history.get(e.team_id)]
    return chart_svg(series, title=f"Top teams' best public {competition.ranking_metric} over time",
                     bounds=competition.task_type.metric(competition.ranking_metric).bounds)


def _render_all(competition_id: int, views: set[View],
                teams: set[tuple[int | None, str, int]]) -> tuple[int, dict[object, str]]:
    """Every view and team row at one version, read in one transaction."""
    with transaction.atomic():
        competition = Competition.objects.get(pk=competition_id)
        version = leaderboard_version(competition=competition)
        frames: dict[object, str] = {view: render_view(competition, view) for view in views}
        by_board: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        other_metrics = competition.other_metrics
        phases = {phase.pk: phase for phase in competition.phases.all()}
        for phase_id, board, team_id in teams:
            by_board[(phase_id, board)].append(team_id)
        for (phase_id, board), team_ids in by_board.items():  # every viewer's own row: a few queries, however many
            phase = phases.get(phase_id) if phase_id is not None else None
            entries = team_entries(competition=competition, board=board, team_ids=team_ids, phase=phase)
            moves: dict[int, int] = {}
            if board == PRIVATE:
                public = ranks_of(competition=competition, board=PUBLIC, team_ids=list(entries), phase=phase)
                moves = {team_id: public[team_id] - entry.rank for team_id, entry in entries.items() if team_id in public}
            for team_id, entry in entries.items():
                frames[(phase_id, board, team_id)] = render_to_string("leaderboards/_mine.html", {
                    "e": entry, "board_page": {"board": board, "moves": moves}, "my_team_id": team_id,
                    "other_metrics": other_metrics})
    return version, frames


class Feed:
    """The open streams of one competition in this process."""

    def __init__(self, competition_id: int) -> None:
        self.competition_id = competition_id
        self.viewers: dict[int, Viewer] = {}
        self.version: int | None = None
        self.frames: dict[object, str] = {}
        self.changed = asyncio.Condition()
        self.kick = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def join(self, key: int, viewer: Viewer) -> None:
        self.viewers[key] = viewer
        if viewer.view not in self.frames or (viewer.team_id and _row_key(viewer) not in self.frames):
            self.kick.set()
        if self.task is None or self.task.done():
            self.task = events.detached_task(self._run())

    def leave(self, key: int) -> None:
        self.viewers.pop(key, None)
        if not self.viewers:
            _feeds.pop(self.competition_id, None)
            if self.task is not None:
                self.task.cancel()

    async def _run(self) -> None:
        channel = events.board_channel(self.competition_id)
        render = events.database_call(_render_all)
        waiting: asyncio.Future[bool] | None = None
        while self.viewers:
            views = {viewer.view for viewer in self.viewers.values()}
            teams = {_row_key(viewer) for viewer in self.viewers.values() if viewer.team_id}
            self.kick.clear()
            mark = events.hub.mark(channel)
            try:
                version, frames = await render(self.competition_id, views, teams)
            except Exception:  # noqa: BLE001 - the database is away: streams stay open, try again
                logger.exception("live leaderboard %s: rendering failed", self.competition_id)
                await asyncio.sleep(2)
                continue
            async with self.changed:
                self.version, self.frames = version, frames
                self.changed.notify_all()
            if self.kick.is_set():
                continue  # a stream joined with a view not rendered yet
            if waiting is None or waiting.done():
                waiting = asyncio.ensure_future(events.hub.wait(channel, mark, events.KEEPALIVE_SECONDS))
            kicked = asyncio.ensure_future(self.kick.wait())
            try:
                either: set[asyncio.Future[Any]] = {waiting, kicked}
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            finally:
                kicked.cancel()
        if waiting is not None:
            waiting.cancel()

    def frame(self, viewer: Viewer) -> str | None:
        html = self.frames.get(viewer.view)
        if html is None:
            return None
        if not viewer.team_id or f'data-team="{viewer.team_id}"' in html:
            return html  # no team, or its row is on this page already
        return html.replace(MINE_MARK, self.frames.get(_row_key(viewer), ""), 1)


def _row_key(viewer: Viewer) -> tuple[int | None, str, int | None]:
    """Where a viewer's own row is kept among the rendered frames: its phase, board and team."""
    return (viewer.view.phase, viewer.view.board, viewer.team_id)


_feeds: dict[int, Feed] = {}


async def board_stream(competition_id: int, viewer: Viewer, since: int | None) -> AsyncIterator[bytes]:
    """The events of one open page: its table whenever the board's version moves past `since`."""
    feed = _feeds.get(competition_id)
    if feed is None:
        feed = _feeds[competition_id] = Feed(competition_id)
    key = id(object())
    feed.join(key, viewer)
    try:
        sent = since
        while True:
            async with feed.changed:
                try:
                    await asyncio.wait_for(
                        feed.changed.wait_for(lambda: feed.version != sent and feed.frame(viewer) is not None),
                        events.KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                version, html = feed.version, feed.frame(viewer)
            sent = version
            yield events.sse_frame(html or "", event="board", event_id=str(version))
    finally:
        feed.leave(key)
