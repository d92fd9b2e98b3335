"""The kept standings always equal a full recomputation from every submission.

Random sequences of what moves a board — scores through the scoring service,
re-scores, selections, merges, renames, late submissions, rule changes and the
reveal — are played, and after each step both boards are compared with the
Kaggle rules recomputed here from scratch, independently of leaderboards/standings.py.
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from leaderboards.selectors import board_page, leaderboard_rows, leaderboard_version, with_members
from submissions import states
from submissions.models import Submission
from submissions.results import submission_claim, submission_finish
from submissions.services import competition_rescore, submission_select
from teams.models import Membership, Team
from teams.services import invite_accept, invite_create, membership_join, team_rename

pytestmark = pytest.mark.django_db


def recomputed(competition, board: str) -> list[tuple[int, str, float, int, int]]:
    """(rank, team, score, submission id, entries): the rules applied to every scored submission."""
    higher = competition.task_type.higher_is_better
    sign = -1.0 if higher else 1.0
    by_team = defaultdict(list)
    for s in Submission.objects.filter(competition=competition, status=states.SCORED,
                                       created_at__lt=competition.end_at).select_related("team"):
        by_team[s.team_id].append(s)
    placed = []
    for submissions in by_team.values():
        ranked = sorted(submissions, key=lambda s: (sign * s.public_score, s.created_at, s.id))
        if board == "public":
            pick, score = ranked[0], ranked[0].public_score
        else:
            pool = [s for s in submissions if s.selected] or ranked[: competition.final_selection_limit]
            pool = [s for s in pool if s.private_score is not None]
            if not pool:
                continue
            pick = min(pool, key=lambda s: (sign * s.private_score, s.created_at, s.id))
            score = pick.private_score
        placed.append((sign * score, pick.created_at, pick.id, pick.team.name, score, len(submissions)))
    placed.sort()
    return [(rank, name, score, pick_id, count)
            for rank, (_, _, pick_id, name, score, count) in enumerate(placed, start=1)]


def kept(competition, board: str) -> list[tuple[int, str, float, int, int]]:
    return [(e.rank, e.team, e.score, e.submission_id, e.submission_count)
            for e in leaderboard_rows(competition=competition, board=board)]


def score_through_the_service(submission: Submission, public: float, private: float) -> None:
    claimed = submission_claim(submission_id=submission.pk, task_id=f"t-{submission.pk}-{time.monotonic_ns()}")
    assert claimed is not None
    metric = claimed.competition.task_type.primary_metric
    assert submission_finish(submission=claimed, started=time.perf_counter(),
                             scores={"public": {metric: public}, "private": {metric: private}})


@pytest.mark.parametrize("seed", range(6))
def test_kept_standings_equal_a_full_recomputation_after_random_changes(competition, django_user_model, seed) -> None:
    rng = random.Random(seed)
    competition.daily_submission_limit = 1000
    competition.max_team_size = 50
    competition.save()
    users = [django_user_model.objects.create_user(f"user{seed}-{i}", password="pw-12345678") for i in range(8)]
    for user in users:
        membership_join(competition=competition, user=user, accept_rules=True)
    # Scores on a coarse grid: ties are frequent, so the tie-breaks are exercised too.
    grid = [round(0.1 * k, 1) for k in range(11)]
    for step in range(60):
        action = rng.choice(["score"] * 5 + ["rescore", "select", "unselect", "merge", "rename", "late", "rules"])
        teams = list(Team.objects.filter(competition=competition))
        team = rng.choice(teams)
        if action == "score":
            submission = Submission.objects.create(competition=competition, team=team, file="x.csv")
            score_through_the_service(submission, rng.choice(grid), rng.choice(grid + [None]))
        elif action == "rescore":
            competition_rescore(competition=competition, requested_by=None)
            assert kept(competition, "public") == recomputed(competition, "public")  # all off the board meanwhile
            for submission in Submission.objects.filter(competition=competition, status=states.QUEUED):
                score_through_the_service(submission, rng.choice(grid), rng.choice(grid))
        elif action in ("select", "unselect"):
            candidates = list(Submission.objects.filter(team=team, status=states.SCORED,
                                                        selected=action == "unselect"))
            if candidates:
                try:
                    submission_select(submission=rng.choice(candidates), selected=action == "select")
                except Exception as exc:  # the selection limit: a refusal changes nothing
                    assert getattr(exc, "code", "") == "selection-limit"
        elif action == "merge" and len(teams) > 2:
            other = rng.choice([t for t in teams if t.pk != team.pk])
            inviter = Membership.objects.filter(team=team).first()
            invitee = Membership.objects.filter(team=other).first().user
            invite = invite_create(membership=inviter, username=invitee.username)
            invite_accept(token=invite.token, user=invitee)
        elif action == "rename":
            team_rename(membership=Membership.objects.filter(team=team).first(), name=f"team {seed}-{step}")
        elif action == "late":
            submission = Submission.objects.create(competition=competition, team=team, file="x.csv")
            score_through_the_service(submission, 1.0, 1.0)
            submission.refresh_from_db()
            submission.created_at = competition.end_at + timedelta(minutes=5)
            submission.save(update_fields=["created_at"])
        elif action == "rules":
            competition.refresh_from_db()
            competition.final_selection_limit = rng.choice([1, 2, 3])
            competition.reveal_at = timezone.now() - timedelta(minutes=1) if rng.random() < 0.5 else None
            competition.save()
        competition.refresh_from_db()
        for board in ("public", "private"):
            assert kept(competition, board) == recomputed(competition, board), (step, action, board)


def test_the_end_date_moving_rebuilds_the_board(competition, alice, bob) -> None:
    teams = [membership_join(competition=competition, user=u, accept_rules=True).team for u in (alice, bob)]
    for team, score in zip(teams, (0.4, 0.9)):
        score_through_the_service(Submission.objects.create(competition=competition, team=team, file="x.csv"),
                                  score, score)
    assert [e.team for e in leaderboard_rows(competition=competition)] == ["bob", "alice"]
    competition.end_at = timezone.now() - timedelta(days=400)  # before every submission: none is ranked
    competition.save()
    assert leaderboard_rows(competition=competition) == [] == recomputed(competition, "public")


def test_a_page_is_a_window_of_the_board_with_the_viewers_team_and_search(competition, django_user_model) -> None:
    users = [django_user_model.objects.create_user(f"p{i:03d}", password="pw-12345678") for i in range(25)]
    teams = [membership_join(competition=competition, user=u, accept_rules=True).team for u in users]
    for i, team in enumerate(teams):
        score_through_the_service(Submission.objects.create(competition=competition, team=team, file="x.csv"),
                                  i / 100, i / 100)
    full = with_members(leaderboard_rows(competition=competition))  # pages name each team's members
    second = board_page(competition=competition, page=2, per_page=10, team_id=teams[0].pk)
    assert (second.count, second.pages, second.page) == (25, 3, 2)
    assert second.entries == full[10:20]
    assert second.mine == full[-1] and second.mine.team == "p000"  # the worst team, shown below page 2
    assert board_page(competition=competition, page=1, per_page=10, team_id=teams[24].pk).mine is None  # on it
    found = board_page(competition=competition, query="p01")
    assert [(e.rank, e.team) for e in found.entries] == [(e.rank, e.team) for e in full if e.team.startswith("p01")]
    assert board_page(competition=competition, page=99, per_page=10).page == 3  # past the end: the last page


def test_an_idle_version_read_does_not_look_at_submissions(competition, alice, django_assert_max_num_queries) -> None:
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    score_through_the_service(Submission.objects.create(competition=competition, team=team, file="x.csv"), 0.5, 0.5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        leaderboard_version(competition=competition)
    assert len(queries) == 1
    assert "submission" not in queries[0]["sql"].lower()


def test_the_page_at_ten_thousand_teams_stays_small_and_shows_the_viewers_team(competition, alice) -> None:
    from django.test import Client

    from leaderboards.models import Standing
    from leaderboards.standings import board_touch

    count = 10_000
    teams = Team.objects.bulk_create([Team(competition=competition, name=f"Team number {i:05d}") for i in range(count)])
    now = timezone.now()
    submissions = Submission.objects.bulk_create([
        Submission(competition=competition, team=team, file="x.csv", status=states.SCORED, public_score=i / count,
                   private_score=i / count) for i, team in enumerate(teams)])
    Standing.objects.bulk_create([
        Standing(competition=competition, board="public", team=team, score=s.public_score, sort_key=-s.public_score,
                 submission=s, decided_at=now, submission_count=1, last_submission_at=now)
        for team, s in zip(teams, submissions)])
    board_touch(competition_id=competition.pk)
    Membership.objects.create(team=teams[500], user=alice, competition=competition)  # rank 9,500
    client = Client()
    client.force_login(alice)
    page = client.get("/c/topic/leaderboard/")
    html = page.content.decode()
    assert page.status_code == 200 and len(page.content) < 300_000, len(page.content)
    assert html.count('<tr data-team="') == 101  # the top 100 and the viewer's own row
    assert "Team number 00500" in html and '<td class="rank">9500</td>' in html
    assert "Page 1 of 100" in html and 'rel="next"' in html
    found = client.get("/c/topic/leaderboard/?q=number 09999").content.decode()
    assert '<td class="rank">1</td>' in found and found.count('<tr data-team="') == 2  # the match and the viewer
    api = client.get("/api/v1/competitions/topic/leaderboard/?page=2").json()
    assert api["count"] == count and api["pages"] == 100 and [e["rank"] for e in api["entries"]] == list(range(101, 201))
    assert api["mine"]["rank"] == 9500 and api["next"].endswith("page=3")


def test_an_event_carries_a_name_with_carriage_returns_as_one_event() -> None:
    from core.events import sse_frame

    frame = sse_frame('<td>a\rb\r\nevent: forged\r\rc</td>', event="board", event_id="7").decode()
    lines = frame.split("\n")
    assert frame.endswith("\n\n") and "\r" not in frame
    assert lines[:2] == ["event: board", "id: 7"] and all(line.startswith("data: ") for line in lines[2:-2])


def test_a_pushed_frame_carries_each_viewers_own_row_below_the_page(competition, django_user_model, monkeypatch) -> None:
    from leaderboards import live

    users = [django_user_model.objects.create_user(f"v{i:02d}", password="pw-12345678") for i in range(6)]
    teams = [membership_join(competition=competition, user=u, accept_rules=True).team for u in users]
    for i, team in enumerate(teams):
        score_through_the_service(Submission.objects.create(competition=competition, team=team, file="x.csv"),
                                  i / 10, 1 - i / 10)
    monkeypatch.setattr(live, "PER_PAGE", 2)
    view = live.View(board="public", page=1, query="")
    version, frames = live._render_all(competition.pk, {view}, {(None, "public", teams[0].pk),
                                                               (None, "public", teams[5].pk),
                                                               (None, "private", teams[5].pk)})
    assert version == leaderboard_version(competition=competition)
    feed = live.Feed(competition.pk)
    feed.frames = frames
    low = feed.frame(live.Viewer(view=view, team_id=teams[0].pk))  # 6th of 6: shown below the page
    top = feed.frame(live.Viewer(view=view, team_id=teams[5].pk))  # 1st: on the page, not repeated
    assert low.count('data-team="') == 3 and '<td class="rank">6</td>' in low and 'class="mine"' in low
    assert top.count('data-team="') == 2 and "gap" not in top
    assert '<span class="down">▼5</span>' in frames[(None, "private", teams[5].pk)]  # public 1st, private 6th
