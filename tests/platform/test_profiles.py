"""A participant's public profile: competitions joined, best public and (after the reveal) private ranks,
nothing hidden, and a link from every board."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leaderboards.models import Standing
from submissions.models import Submission
from submissions.results import submission_claim, submission_finish
from teams.models import Membership
from teams.services import invite_accept, invite_create, membership_join, team_moderate

pytestmark = pytest.mark.django_db


def _scored(competition, user, public: float, private: float) -> Submission:
    team = Membership.objects.get(competition=competition, user=user).team
    submission = Submission.objects.create(competition=competition, team=team, file="x.csv")
    claimed = submission_claim(submission_id=submission.pk, task_id=f"t-{submission.pk}-{time.monotonic_ns()}")
    assert claimed is not None
    metric = competition.task_type.primary_metric
    assert submission_finish(submission=claimed, started=time.perf_counter(),
                             scores={"public": {metric: public}, "private": {metric: private}})
    return submission


@pytest.fixture
def board(competition, alice, bob, django_user_model):
    """alice first on the public board and last on the private one; bob the other way round; carol third."""
    carol = django_user_model.objects.create_user("carol", password="pw")
    for user in (alice, bob, carol):
        membership_join(competition=competition, user=user, accept_rules=True)
    _scored(competition, alice, 0.9, 0.1)
    _scored(competition, bob, 0.5, 0.8)
    _scored(competition, carol, 0.3, 0.3)
    return competition


def _profile(path: str = "/u/alice/", user=None) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_the_profile_lists_each_competition_with_its_public_rank(board) -> None:
    page = _profile()
    assert board.title in page and board.get_absolute_url() in page
    assert "Best public rank" in page
    assert '<a href="/c/topic/leaderboard/">1</a> <span class="muted">of 3</span>' in page
    bob = _profile("/u/bob/")
    assert '<a href="/c/topic/leaderboard/">2</a> <span class="muted">of 3</span>' in bob


def test_before_the_reveal_nothing_private_reaches_the_profile(board, organizer) -> None:
    before = _without_tokens(_profile(user=organizer))  # even an organizer, who may see private scores elsewhere, sees the public view
    assert "?board=private" not in before and "shown from " in before
    # Turn the private board upside down: the page reads nothing of it, so not a byte moves.
    for standing in Standing.objects.filter(competition=board, board="private"):
        standing.sort_key, standing.score = -standing.sort_key, -standing.score
        standing.save()
    assert _without_tokens(_profile(user=organizer)) == before


def test_after_the_reveal_the_private_rank_shows(board) -> None:
    board.reveal_at = timezone.now() - timedelta(minutes=1)
    board.save()
    page = _profile()
    assert '<a href="/c/topic/leaderboard/?board=private">3</a> <span class="muted">of 3</span>' in page
    assert '<a href="/c/topic/leaderboard/?board=private">1</a>' in _profile("/u/bob/")


def test_a_drafts_membership_is_seen_only_by_its_organizers(board, organizer, bob) -> None:
    board.published_at = None
    board.save()
    assert board.title not in _profile()
    assert board.title not in _profile(user=bob)
    assert board.title in _profile(user=organizer)


def test_a_team_off_the_boards_shows_no_rank_and_no_reason(board, organizer, alice) -> None:
    team = Membership.objects.get(competition=board, user=alice).team
    team_moderate(team=team, moderation="hidden", reason="Shared test labels with bob", by=organizer)
    page = _profile()
    assert board.title in page and "not on the board" in page
    assert "Shared test labels" not in page and "hidden" not in page.lower()
    assert '<a href="/c/topic/leaderboard/">1</a> <span class="muted">of 2</span>' in _profile("/u/bob/")


def test_every_board_links_its_members_to_their_profiles(board, alice, django_user_model) -> None:
    dave = django_user_model.objects.create_user("dave", password="pw")
    invite = invite_create(membership=Membership.objects.get(competition=board, user=alice), username="dave")
    invite_accept(token=invite.token, user=dave, accept_rules=True)
    board_page = Client().get("/c/topic/leaderboard/").content.decode()
    assert '<a href="/u/bob/">bob</a>' in board_page  # a solo team: its name is its member's
    assert '<a href="/u/alice/">alice</a>, <a href="/u/dave/">dave</a>' in board_page
    assert 'with <a href="/u/dave/">dave</a>' in _profile()
    api = Client().get("/api/v1/competitions/topic/leaderboard/").json()
    assert [e["members"] for e in api["entries"]][:2] == [["alice", "dave"], ["bob"]]


def test_an_unknown_or_deactivated_participant_is_not_found(board, bob) -> None:
    assert Client().get("/u/nobody/").status_code == 404
    bob.is_active = False
    bob.save()
    assert Client().get("/u/bob/").status_code == 404


def test_a_participant_with_no_competition_says_so(django_user_model) -> None:
    django_user_model.objects.create_user("erin", password="pw")
    assert "has not joined a competition" in _profile("/u/erin/")
