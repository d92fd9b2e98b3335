"""Teams: rename, invite by username or link, accept (a merge), leave, size and merger rules."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import PodiumError
from submissions.models import Submission
from teams.models import Membership
from teams.services import invite_accept, invite_create, membership_join, team_leave, team_rename

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_joined(competition, bob):
    return membership_join(competition=competition, user=bob, accept_rules=True)


def test_an_invited_user_accepts_and_brings_their_submissions(competition, alice_joined, bob, bob_joined) -> None:
    Submission.objects.create(competition=competition, team=bob_joined.team, file="b.csv", status="scored", public_score=0.5)
    team_rename(membership=alice_joined, name="Blue")
    invite = invite_create(membership=alice_joined, username="bob")
    merged = invite_accept(token=invite.token, user=bob)
    assert merged.team.name == "Blue"
    assert sorted(m.user.username for m in merged.team.memberships.all()) == ["alice", "bob"]
    assert Submission.objects.get().team == merged.team


def test_an_invitation_for_someone_else_cannot_be_used(competition, alice_joined, bob, django_user_model) -> None:
    carol = django_user_model.objects.create_user("carol", password="carol-pass-1")
    invite = invite_create(membership=alice_joined, username="bob")
    with pytest.raises(PodiumError) as caught:
        invite_accept(token=invite.token, user=carol)
    assert caught.value.code == "invalid-invite"


def test_a_link_invitation_works_for_anyone_and_joins_them_once_they_accept_the_rules(competition, alice_joined,
                                                                                       bob) -> None:
    invite = invite_create(membership=alice_joined)
    with pytest.raises(PodiumError) as caught:
        invite_accept(token=invite.token, user=bob)  # never accepted for them unshown
    assert caught.value.code == "rules-not-accepted" and not Membership.objects.filter(user=bob).exists()
    membership = invite_accept(token=invite.token, user=bob, accept_rules=True)
    assert membership.team == alice_joined.team and membership.rules_accepted_at is not None


def test_the_invitation_page_shows_the_rules_to_whoever_has_not_accepted_them(competition, alice_joined, bob) -> None:
    invite = invite_create(membership=alice_joined, username="bob")
    client = Client()
    client.force_login(bob)
    page = client.get(f"/invites/{invite.token}/").content.decode()
    assert "Be nice." in page and 'name="accept_rules" required' in page
    client.post(f"/invites/{invite.token}/")  # the box left unticked (a browser would not send it)
    assert not Membership.objects.filter(user=bob).exists()
    client.post(f"/invites/{invite.token}/", {"accept_rules": "on"})
    assert Membership.objects.get(user=bob).team == alice_joined.team
    member = Client()
    member.force_login(alice_joined.user)  # a member who accepted already is not asked again
    assert 'name="accept_rules"' not in member.get(f"/invites/{invite_create(membership=alice_joined).token}/").content.decode()


def test_accepting_in_the_inbox_sends_whoever_has_not_accepted_the_rules_to_read_them(competition, alice_joined,
                                                                                      bob) -> None:
    invite = invite_create(membership=alice_joined, username="bob")
    client = Client()
    client.force_login(bob)
    answer = client.post("/inbox/", {"action": "accept", "invite": invite.pk})
    assert answer.status_code == 302 and answer["Location"] == f"/invites/{invite.token}/"
    assert not Membership.objects.filter(user=bob).exists()


def test_teams_cannot_grow_past_the_maximum_size(competition, alice_joined, bob, bob_joined) -> None:
    competition.max_team_size = 1
    competition.save()
    with pytest.raises(PodiumError) as caught:
        invite_create(membership=alice_joined, username="bob")
    assert caught.value.code == "team-full"


def test_merging_is_closed_after_the_deadline(competition, alice_joined, bob, bob_joined) -> None:
    invite = invite_create(membership=alice_joined, username="bob")
    competition.merger_deadline = timezone.now() - timedelta(minutes=1)
    competition.save()
    with pytest.raises(PodiumError) as caught:
        invite_accept(token=invite.token, user=bob)
    assert caught.value.code == "merger-closed"


def test_teams_whose_submissions_exceed_the_daily_budget_cannot_merge(competition, alice_joined, bob, bob_joined) -> None:
    # One day run, a limit of 3 a day: 2 + 2 valid submissions are too many; failed ones do not count.
    for team, count in ((alice_joined.team, 2), (bob_joined.team, 2)):
        for _ in range(count):
            Submission.objects.create(competition=competition, team=team, file="x.csv", status="scored")
    Submission.objects.create(competition=competition, team=bob_joined.team, file="x.csv", status="failed")
    competition.start_at = timezone.now() - timedelta(hours=5)
    competition.save()
    invite = invite_create(membership=alice_joined, username="bob")
    with pytest.raises(PodiumError) as caught:
        invite_accept(token=invite.token, user=bob)
    assert caught.value.code == "merger-too-many-submissions" and "at most 3" in caught.value.message


def test_leaving_gives_a_solo_team_and_the_team_keeps_its_submissions(competition, alice_joined, bob, bob_joined) -> None:
    invite_accept(token=invite_create(membership=alice_joined, username="bob").token, user=bob)
    Submission.objects.create(competition=competition, team=alice_joined.team, file="x.csv", status="scored")
    left = team_leave(membership=Membership.objects.get(user=bob, competition=competition))
    assert left.team != alice_joined.team and left.team.name == "bob"
    assert Submission.objects.get().team == alice_joined.team


def test_the_team_page_invites_and_the_link_page_accepts(competition, alice, alice_joined, bob) -> None:
    owner = Client()
    owner.force_login(alice)
    owner.post("/c/topic/team/", {"action": "rename", "name": "Red"})
    page = owner.post("/c/topic/team/", {"action": "link"}, follow=True).content.decode()
    link = page.split("Share this link to invite anyone: ")[1].split("<")[0]
    guest = Client()
    guest.force_login(bob)
    assert "Join team Red" in guest.get(link).content.decode()
    guest.post(link, {"accept_rules": "on"})  # bob has not joined: the page had him accept the rules
    assert "alice" in guest.get("/c/topic/team/").content.decode()
