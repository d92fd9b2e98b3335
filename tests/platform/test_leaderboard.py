"""Leaderboard ordering: best score per team, direction from the task registry, ties to the earlier."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leaderboards.selectors import leaderboard_rows
from submissions import states
from submissions.models import Submission
from teams.services import membership_join

pytestmark = pytest.mark.django_db


def scored(competition, team, public: float, private: float, minutes_ago: int, selected: bool = False) -> Submission:
    submission = Submission.objects.create(
        competition=competition, team=team, file="x.csv", status=states.SCORED,
        public_score=public, private_score=private, selected=selected,
    )
    submission.created_at = timezone.now() - timedelta(minutes=minutes_ago)
    submission.save(update_fields=["created_at"])  # a save, as the admin makes it: the standings follow
    return submission


@pytest.fixture
def teams(competition, alice, bob, django_user_model):
    carol = django_user_model.objects.create_user("carol", password="carol-pass-1")
    return [membership_join(competition=competition, user=u, accept_rules=True).team for u in (alice, bob, carol)]


def test_teams_are_ranked_by_their_best_public_score(competition, teams) -> None:
    alice, bob, carol = teams
    scored(competition, alice, 0.70, 0.9, 50)
    scored(competition, alice, 0.80, 0.1, 40)
    scored(competition, bob, 0.75, 0.5, 30)
    scored(competition, carol, 0.60, 0.99, 20)
    Submission.objects.create(competition=competition, team=carol, file="x.csv", status=states.FAILED)
    rows = leaderboard_rows(competition=competition, board="public")
    assert [(r.rank, r.team, r.score, r.submission_count) for r in rows] == [
        (1, "alice", 0.80, 2), (2, "bob", 0.75, 1), (3, "carol", 0.60, 1)
    ]


def test_ties_go_to_the_team_that_reached_the_score_first(competition, teams) -> None:
    alice, bob, _ = teams
    scored(competition, alice, 0.8, 0.8, 10)
    scored(competition, bob, 0.8, 0.8, 20)
    assert [r.team for r in leaderboard_rows(competition=competition)] == ["bob", "alice"]


def test_submissions_after_the_end_are_not_ranked(competition, teams) -> None:
    alice, bob, _ = teams
    scored(competition, alice, 0.5, 0.5, 10)
    late = scored(competition, bob, 0.9, 0.9, 0)
    late.created_at = competition.end_at + timedelta(minutes=1)
    late.save(update_fields=["created_at"])
    assert [r.team for r in leaderboard_rows(competition=competition)] == ["alice"]


def test_the_private_board_uses_selected_submissions_or_the_best_public_ones(competition, teams) -> None:
    alice, bob, carol = teams
    competition.final_selection_limit = 2
    competition.save()
    # alice selected her worst public one, which has the best private score.
    scored(competition, alice, 0.9, 0.1, 50)
    scored(competition, alice, 0.1, 0.95, 40, selected=True)
    # bob selected nothing: his two best public submissions count (not the third).
    scored(competition, bob, 0.8, 0.6, 30)
    scored(competition, bob, 0.7, 0.7, 29)
    scored(competition, bob, 0.2, 0.99, 28)
    scored(competition, carol, 0.5, 0.5, 10)
    rows = leaderboard_rows(competition=competition, board="private")
    assert [(r.team, r.score) for r in rows] == [("alice", 0.95), ("bob", 0.7), ("carol", 0.5)]


def test_a_lower_is_better_task_sorts_ascending(competition, teams, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from scoring import Metric, get_task

    task = get_task("text-classification")
    loss_task = dataclasses.replace(task, declared_metrics=tuple(
        Metric(m.name, higher_is_better=m.name != "accuracy") for m in task.declared_metrics))
    monkeypatch.setattr(type(competition), "task_type", property(lambda self: loss_task))
    alice, bob, _ = teams
    scored(competition, alice, 0.3, 0.3, 10)
    scored(competition, bob, 0.2, 0.2, 10)
    assert [r.team for r in leaderboard_rows(competition=competition)] == ["bob", "alice"]


def test_the_shakeup_is_each_teams_move_from_public_to_private_rank(competition, teams) -> None:
    from leaderboards.selectors import board_page

    alice, bob, carol = teams
    scored(competition, alice, 0.9, 0.5, 30)  # public 1st, private 3rd
    scored(competition, bob, 0.8, 0.8, 20)  # public 2nd, private 1st
    scored(competition, carol, 0.7, 0.6, 10)  # public 3rd, private 2nd
    page = board_page(competition=competition, board="private")
    assert page.moves == {alice.pk: -2, bob.pk: 1, carol.pk: 1}
    assert board_page(competition=competition, board="private", per_page=1, page=3).moves == {alice.pk: -2}


def test_best_so_far_keeps_only_improvements() -> None:
    from datetime import datetime, timezone as tz

    from leaderboards.charts import best_so_far

    t = [datetime(2026, 1, d, tzinfo=tz.utc) for d in range(1, 6)]
    points = [(t[0], 0.5), (t[1], 0.4), (t[2], 0.7), (t[3], 0.7), (t[4], 0.9)]
    assert best_so_far(points, higher_is_better=True) == [(t[0], 0.5), (t[2], 0.7), (t[4], 0.9)]
    assert best_so_far(points, higher_is_better=False) == [(t[0], 0.5), (t[1], 0.4)]


def test_pages_draw_score_charts_as_inline_svg(competition, teams, alice) -> None:
    from django.test import Client

    scored(competition, teams[0], 0.6, 0.6, 30)
    scored(competition, teams[0], 0.8, 0.8, 10)
    scored(competition, teams[1], 0.7, 0.7, 20)
    client = Client()
    client.force_login(alice)
    board = client.get("/c/topic/leaderboard/").content.decode()
    assert board.count("<svg") == 1 and "Top teams" in board and "alice" in board.split("<svg")[1]
    mine = client.get("/c/topic/submissions/").content.decode()
    assert "<svg" in mine and mine.count("<circle") == 2  # one dot per scored submission


def test_the_version_moves_with_every_change_a_live_board_must_show(competition, teams) -> None:
    from leaderboards.selectors import leaderboard_version
    from submissions.services import submission_select
    from teams.models import Membership
    from teams.services import team_rename

    versions = [leaderboard_version(competition=competition)]
    first = scored(competition, teams[0], 0.5, 0.5, minutes_ago=10)
    versions.append(leaderboard_version(competition=competition))
    team_rename(membership=Membership.objects.filter(team=teams[0]).first(), name="Renamed")
    versions.append(leaderboard_version(competition=competition))
    submission_select(submission=first, selected=True)
    versions.append(leaderboard_version(competition=competition))
    assert len(set(versions)) == len(versions)
    assert leaderboard_version(competition=competition) == versions[-1]  # and stays put while nothing happens


def test_chart_axes_have_round_ticks_within_the_metric_range() -> None:
    from datetime import datetime, timezone as tz

    from leaderboards.charts import SCORE_BOUNDS, Series, axis, chart_svg

    ticks, decimals = axis(0.193, 0.378)
    assert ticks == [0.1, 0.2, 0.3, 0.4] and decimals == 1  # not 0.193, 0.239, …
    ticks, _ = axis(0.0, 0.04, bounds=SCORE_BOUNDS)  # an mAP near zero: the axis stops at 0
    assert ticks[0] == 0.0 and all(0 <= t <= 1 for t in ticks)
    assert axis(0.99, 1.0, bounds=SCORE_BOUNDS)[0][-1] == 1.0
    one = chart_svg([Series("x", [(datetime(2026, 1, 1, tzinfo=tz.utc), 0.5)])], title="t", bounds=SCORE_BOUNDS)
    assert one.count("2026-01-01 00:00 UTC") == 1  # one point: one time label, not two on top of each other
    assert ">0.50<" in one and ">0.45<" in one  # ticks every 0.05, printed to the step's precision
