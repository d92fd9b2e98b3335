"""The inbox: invitations answered in place (and withdrawn), finished and failed submissions, competitions
about to end; each event told once; emails only for the kinds a user chose."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import ENDING, INVITE, SUBMISSION_FAILED, SUBMISSION_SCORED, Notification
from notifications.services import notification_email_send, notify_ending_soon
from core.errors import PodiumError
from submissions import states
from submissions.intake import submission_create
from submissions.results import submission_score
from submissions.services import competition_rescore
from teams.models import Invite, Membership
from teams.services import invite_accept, invite_create, invite_withdraw, membership_join
from tests.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]



@pytest.fixture
def bob_joined(competition, bob):
    return membership_join(competition=competition, user=bob, accept_rules=True)


def _inbox(client, user) -> str:
    client.force_login(user)
    return client.get("/inbox/").content.decode()


def test_an_invitation_arrives_in_the_inbox_and_is_accepted_there(client, competition, alice_joined, bob, bob_joined) -> None:
    invite = invite_create(membership=alice_joined, username="bob")
    client.force_login(bob)
    assert '<span class="inbox-count" aria-label="1 unread">1</span>' in client.get("/c/topic/").content.decode()
    page = _inbox(client, bob)
    assert "alice invited you to team" in page and 'value="accept"' in page and 'value="decline"' in page
    assert "inbox-count" not in client.get("/c/topic/").content.decode()  # seen: read
    response = client.post("/inbox/", {"action": "accept", "invite": invite.pk})
    assert response.status_code == 302
    assert Membership.objects.get(user=bob, competition=competition).team_id == alice_joined.team_id
    assert "Invitation accepted." in _inbox(client, bob)


def test_a_declined_invitation_is_closed_for_both_sides(client, competition, alice_joined, bob) -> None:
    invite = invite_create(membership=alice_joined, username="bob")
    client.force_login(bob)
    client.post("/inbox/", {"action": "decline", "invite": invite.pk})
    invite.refresh_from_db()
    assert invite.closed_at is not None and invite.outcome == "declined"
    assert "Invitation declined." in _inbox(client, bob)
    with pytest.raises(PodiumError, match="not valid"):
        invite_accept(token=invite.token, user=bob)
    client.force_login(alice_joined.user)
    assert 'value="withdraw"' not in client.get("/c/topic/team/").content.decode()


def test_the_inviting_team_withdraws_an_invitation_and_no_one_else_can(client, competition, alice_joined, bob, django_user_model) -> None:
    invite = invite_create(membership=alice_joined, username="bob")
    link = invite_create(membership=alice_joined)
    carol = django_user_model.objects.create_user("carol", password="carol-pass-1")
    with pytest.raises(PodiumError):
        invite_withdraw(invite_id=invite.pk, user=carol)
    with pytest.raises(PodiumError):
        invite_withdraw(invite_id=invite.pk, user=bob)  # the invitee declines; only the team withdraws
    client.force_login(alice_joined.user)
    assert client.get("/c/topic/team/").content.decode().count('value="withdraw"') == 2
    for each in (invite, link):
        client.post("/c/topic/team/", {"action": "withdraw", "invite": each.pk})
        each.refresh_from_db()
        assert each.outcome == "withdrawn"
    page = _inbox(client, bob)
    assert "Invitation withdrawn." in page and 'value="accept"' not in page
    assert client.post("/inbox/", {"action": "accept", "invite": invite.pk}).status_code == 302
    assert Membership.objects.filter(user=bob, competition=competition).count() == 0
    assert client.get(f"/invites/{link.token}/").status_code == 404


def test_the_submitter_hears_once_that_a_submission_was_scored_or_failed(
    competition, alice, alice_joined, text_bundle, tmp_path: Path
) -> None:
    good = submission_create(user=alice, competition=competition, kind="predictions",
                             file=upload(text_bundle.baselines["Keyword Voters"]))
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("id,prediction\nt00001,food\n")
    bad = submission_create(user=alice, competition=competition, kind="predictions", file=upload(bad_file))
    assert Notification.objects.count() == 0  # queued: nothing to tell yet
    assert submission_score(submission_id=good.pk, task_id="t1") == states.SCORED
    assert submission_score(submission_id=bad.pk, task_id="t2") == states.FAILED
    scored = Notification.objects.get(kind=SUBMISSION_SCORED)
    failed = Notification.objects.get(kind=SUBMISSION_FAILED)
    assert scored.user == alice and scored.submission_id == good.pk and "public score" in scored.message
    assert failed.submission_id == bad.pk and "bad-header" in failed.message and failed.url == f"/submissions/{bad.pk}/"
    competition_rescore(competition=competition, requested_by=None)
    submission_score(submission_id=good.pk, task_id="t3")
    assert Notification.objects.filter(kind=SUBMISSION_SCORED).count() == 1  # a re-score does not tell again
    # ... but when it changes the score, the one notice says the new one, unread again.
    Notification.objects.filter(kind=SUBMISSION_SCORED).update(read_at=timezone.now())
    from django.core.files.base import ContentFile

    lines = (text_bundle.path / "truth.csv").read_text().splitlines()
    flipped = [lines[0]] + [",".join([row.split(",")[0], "food" if row.split(",")[1] != "food" else "sports",
                                       row.split(",")[2]]) for row in lines[1:]]
    competition.truth_file.save("truth.csv", ContentFile("\n".join(flipped) + "\n"), save=True)
    competition_rescore(competition=competition, requested_by=None)
    submission_score(submission_id=good.pk, task_id="t4")
    good.refresh_from_db()
    (renewed,) = Notification.objects.filter(submission=good)
    assert f"public score {good.public_score:.4g}" in renewed.message and renewed.read_at is None


def test_members_hear_once_that_a_competition_ends_within_a_day(competition, alice_joined, bob, bob_joined, django_user_model) -> None:
    django_user_model.objects.create_user("carol", password="carol-pass-1")  # not a member
    assert notify_ending_soon() == 0  # ends in 30 days
    now = timezone.now()
    competition.end_at = now + timedelta(hours=5)
    competition.save()
    assert notify_ending_soon(now=now) == 2
    assert notify_ending_soon(now=now + timedelta(minutes=10)) == 0
    notes = Notification.objects.filter(kind=ENDING)
    assert sorted(n.user.username for n in notes) == ["alice", "bob"]
    assert "ends in about 5 hours" in notes[0].message
    assert notify_ending_soon(now=now + timedelta(hours=6)) == 0  # over


def test_the_sweep_runs_from_the_beat_schedule() -> None:
    from workers.app import app

    entry = app.conf.beat_schedule["notify-ending-competitions"]
    assert entry["task"] == "workers.tasks.notify_ending_competitions" and entry["options"]["queue"] == "scoring"


def test_emails_go_only_for_the_kinds_chosen_and_only_once(client, competition, alice_joined, bob, bob_joined,
                                                          django_capture_on_commit_callbacks) -> None:
    bob.email = "bob@example.org"
    bob.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite_create(membership=alice_joined, username="bob")
    assert callbacks == []  # not chosen: inbox only
    assert not notification_email_send(notification_id=Notification.objects.get(kind=INVITE).pk)
    assert mail.outbox == []
    client.force_login(bob)
    client.post("/accounts/profile/", {"action": "notifications", "email_kinds": [INVITE, "nonsense"]})
    assert 'value="invite" checked' in client.get("/accounts/profile/").content.decode()
    Invite.objects.all().update(closed_at=timezone.now())
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite_create(membership=alice_joined, username="bob")
    assert len(callbacks) == 1  # the email task, sent after commit
    notification = Notification.objects.get(kind=INVITE)
    assert notification_email_send(notification_id=notification.pk)
    assert not notification_email_send(notification_id=notification.pk)  # a redelivered task sends nothing
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@example.org"]
    assert "alice invited you" in mail.outbox[0].body and "/inbox/" in mail.outbox[0].body


def test_an_email_address_is_added_later_with_the_password(client, alice) -> None:
    client.force_login(alice)
    page = client.post("/accounts/profile/", {"action": "email", "email": "a@example.org", "password": "wrong"})
    assert "That is not your password." in page.content.decode()
    alice.refresh_from_db()
    assert alice.email == ""
    client.post("/accounts/profile/", {"action": "email", "email": "a@example.org", "password": "alice-pass-1"})
    alice.refresh_from_db()
    assert alice.email == "a@example.org"
