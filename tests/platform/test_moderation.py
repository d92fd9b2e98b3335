"""Moderation: hide or disqualify a team (off the boards, with a reason, audited, reversible); rescore one
submission or a selection; an organizer sees each team's members and submission history."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from leaderboards.selectors import leaderboard_rows
from core.errors import PodiumError
from submissions import states
from submissions.models import Rescore, Submission
from submissions.intake import submission_create
from teams.models import DISQUALIFIED, HIDDEN, ModerationEntry
from teams.services import invite_accept, invite_create, membership_join, team_leave, team_moderate
from tests.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]



@pytest.fixture
def organizer_admin(organizer) -> Client:
    """The competition's organizer in the admin, with the staff permissions organizers are given."""
    from django.contrib.auth.models import Permission

    organizer.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["competitions", "submissions",
                                                                                           "teams"]))
    client = Client()
    client.force_login(organizer)
    return client


@pytest.fixture
def world(competition, alice, bob, django_user_model):
    carol = django_user_model.objects.create_user("carol", password="carol-pass-1")
    teams = [membership_join(competition=competition, user=u, accept_rules=True).team for u in (alice, bob, carol)]
    for team, score in zip(teams, (0.9, 0.8, 0.7)):
        Submission.objects.create(competition=competition, team=team, file="x.csv", status=states.SCORED,
                                  public_score=score, private_score=score, submitted_by=team.memberships.first().user)
    return teams


def _board(competition, board: str = "public") -> list[tuple[int, str]]:
    return [(row.rank, row.team) for row in leaderboard_rows(competition=competition, board=board)]


def test_a_hidden_team_leaves_both_boards_until_reinstated(competition, world, organizer) -> None:
    alice_team = world[0]
    team_moderate(team=alice_team, moderation=HIDDEN, reason="The host's own baseline.", by=organizer)
    assert _board(competition) == [(1, "bob"), (2, "carol")] and _board(competition, "private") == [(1, "bob"), (2, "carol")]
    team_moderate(team=alice_team, moderation="", reason="Shown after all.", by=organizer)
    assert _board(competition) == [(1, "alice"), (2, "bob"), (3, "carol")]
    trail = list(ModerationEntry.objects.filter(team=alice_team).values_list("moderation", "reason", "by__username"))
    assert trail == [("", "Shown after all.", "olga"), (HIDDEN, "The host's own baseline.", "olga")]
    with pytest.raises(PodiumError, match="Give a reason"):
        team_moderate(team=alice_team, moderation=HIDDEN, reason="  ", by=organizer)


def test_a_disqualified_team_may_not_submit_merge_or_leave_and_sees_why(client, competition, world, alice, bob,
                                                                       organizer, text_bundle) -> None:
    alice_team = world[0]
    invite = invite_create(membership=alice_team.memberships.first(), username="bob")
    team_moderate(team=alice_team, moderation=DISQUALIFIED, reason="Hand-labelled the test set.", by=organizer)
    assert [team for _, team in _board(competition)] == ["bob", "carol"]
    with pytest.raises(PodiumError) as refused:
        submission_create(user=alice, competition=competition, kind="predictions",
                          file=upload(text_bundle.baselines["Keyword Voters"]))
    assert refused.value.code == "team-disqualified" and refused.value.status == 403
    api = APIClient()
    api.force_authenticate(alice)
    answer = api.post("/api/v1/competitions/topic/submissions/",
                      {"file": upload(text_bundle.baselines["Keyword Voters"]), "kind": "predictions"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "team-disqualified"
    with pytest.raises(PodiumError, match="disqualified"):
        invite_accept(token=invite.token, user=bob)
    with pytest.raises(PodiumError, match="disqualified"):
        team_leave(membership=alice_team.memberships.first())
    client.force_login(alice)
    page = client.get("/c/topic/").content.decode()
    assert "Your team was disqualified by the organizers:" in page and "Hand-labelled the test set." in page
    assert 'href="/c/topic/submit/"' not in page.split("comp-actions")[1].split("</div>")[0]
    submit = client.get("/c/topic/submit/").content.decode()
    assert "The organizers disqualified your team: Hand-labelled the test set." in submit
    assert "has ended" not in submit  # it has not: the page says what is true
    from notifications.models import TEAM_MODERATED, Notification

    (told,) = Notification.objects.filter(kind=TEAM_MODERATED, user=alice)
    assert "disqualified your team alice: Hand-labelled the test set." in told.message
    team_moderate(team=alice_team, moderation="", reason="Labels were their own after all.", by=organizer)
    assert Notification.objects.filter(kind=TEAM_MODERATED, user=alice, message__contains="reinstated").count() == 1
    assert "The organizers disqualified" not in client.get("/c/topic/submit/").content.decode()


def test_the_admin_asks_why_then_moderates_and_keeps_the_history(competition, world, organizer_admin) -> None:
    admin = organizer_admin
    bob_team = world[1]
    asked = admin.post("/admin/teams/team/", {"action": "disqualify", "_selected_action": [bob_team.pk]})
    assert asked.status_code == 200 and "Reason (kept in the audit trail, and shown to the team)" in asked.content.decode()
    bob_team.refresh_from_db()
    assert bob_team.moderation == ""  # nothing happens before the reason is given
    admin.post("/admin/teams/team/", {"action": "disqualify", "_selected_action": [bob_team.pk], "apply": "1",
                                      "reason": "Two accounts."})
    bob_team.refresh_from_db()
    assert bob_team.moderation == DISQUALIFIED and bob_team.moderation_reason == "Two accounts."
    assert [team for _, team in _board(competition)] == ["alice", "carol"]
    change = admin.get(f"/admin/teams/team/{bob_team.pk}/change/").content.decode()
    assert "Two accounts." in change and "bob" in change  # the trail and the members
    assert "Submission history" in change or "submission history" in change


def test_one_submission_or_a_selection_is_rescored_with_its_old_scores_kept(competition, world, organizer_admin,
                                                                           broker_calls,
                                                                           django_capture_on_commit_callbacks) -> None:
    admin = organizer_admin
    first, second, third = Submission.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/admin/submissions/submission/", {"action": "rescore_selected",
                                                       "_selected_action": [second.pk]})
    assert list(Rescore.objects.values_list("submission_id", "old_public_score")) == [(second.pk, 0.8)]
    assert broker_calls == [second.pk]
    statuses = dict(Submission.objects.values_list("pk", "status"))
    assert statuses == {first.pk: states.SCORED, second.pk: states.QUEUED, third.pk: states.SCORED}
    assert [team for _, team in _board(competition)] == ["alice", "carol"]  # off the board until scored again
