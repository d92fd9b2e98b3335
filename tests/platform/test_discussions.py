"""A discussion per competition: topics and replies in sanitised Markdown, who sees what, moderation, follows,
announcements, reports, edits within a window and the pace limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import PodiumError
from discussions import services
from discussions.models import Post, Topic
from notifications.models import ANNOUNCEMENT, DISCUSSION_REPLY, DISCUSSION_REPORT, Notification, NotificationSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(competition, alice) -> Topic:
    return services.topic_create(competition=competition, user=alice, title="How is macro F1 averaged?",
                                 body="Over **classes**, I think.")


def _page(client: Client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.content.decode()


def test_a_topic_and_its_replies_read_as_sanitised_markdown(topic, bob) -> None:
    services.post_create(topic=topic, user=bob, body="Yes: `mean` of per-class F1.<script>alert(1)</script>"
                         "<img src=x onerror=alert(2)>")
    page = _page(Client(), topic.get_absolute_url())
    assert "<strong>classes</strong>" in page and "<code>mean</code>" in page
    assert "<script>alert(1)" not in page and "onerror" not in page
    listing = _page(Client(), "/c/topic/discussion/")
    assert "How is macro F1 averaged?" in listing and "1 reply" in listing


def test_a_drafts_discussion_is_for_its_organizers_only(competition, topic, organizer, bob) -> None:
    competition.published_at = None
    competition.save()
    outsider = Client()
    outsider.force_login(bob)
    assert outsider.get("/c/topic/discussion/").status_code == 404
    assert outsider.get(topic.get_absolute_url()).status_code == 404
    organizers = Client()
    organizers.force_login(organizer)
    assert "How is macro F1 averaged?" in _page(organizers, topic.get_absolute_url())


def test_a_hidden_topic_or_post_is_seen_by_organizers_only(topic, organizer, bob) -> None:
    reply = services.post_create(topic=topic, user=bob, body="Buy cheap watches at spam.example")
    services.post_moderate(post=reply, user=organizer, hidden=True)
    page = _page(Client(), topic.get_absolute_url())
    assert "spam.example" not in page and "Hidden by the organizers." in page
    services.topic_moderate(topic=topic, user=organizer, hidden=True)
    assert Client().get(topic.get_absolute_url()).status_code == 404
    assert "How is macro F1" not in _page(Client(), "/c/topic/discussion/")
    organizers = Client()
    organizers.force_login(organizer)
    assert "spam.example" in _page(organizers, topic.get_absolute_url())
    assert "How is macro F1" in _page(organizers, "/c/topic/discussion/")
    with pytest.raises(PodiumError) as refused:
        services.post_create(topic=topic, user=bob, body="still here?")
    assert refused.value.code == PodiumError.NOT_FOUND


def test_only_organizers_moderate(topic, alice, bob) -> None:
    for act in (lambda: services.topic_moderate(topic=topic, user=alice, pinned=True),
                lambda: services.post_moderate(post=topic.posts.get(), user=bob, hidden=True),
                lambda: services.topic_answer(topic=topic, user=bob, answer=None),
                lambda: services.topic_create(competition=topic.competition, user=bob, title="Hear ye", body="x",
                                              announcement=True)):
        with pytest.raises(PodiumError) as refused:
            act()
        assert refused.value.code == PodiumError.NOT_ORGANIZER
    topic.refresh_from_db()
    assert not topic.pinned


def test_pinned_topics_come_first_then_the_most_recently_active(competition, topic, alice, bob, organizer) -> None:
    older = services.topic_create(competition=competition, user=bob, title="Older topic", body="x")
    services.post_create(topic=older, user=organizer, body="bump")  # now the most recently active
    rules = services.topic_create(competition=competition, user=organizer, title="Read the rules", body="x")
    Topic.objects.filter(pk=rules.pk).update(last_post_at=timezone.now() - timedelta(days=9))
    services.topic_moderate(topic=rules, user=organizer, pinned=True)
    listing = _page(Client(), "/c/topic/discussion/")
    assert listing.index("Read the rules") < listing.index("Older topic") < listing.index("How is macro F1")


def test_a_locked_topic_takes_replies_from_organizers_only(topic, organizer, bob) -> None:
    services.topic_moderate(topic=topic, user=organizer, locked=True)
    with pytest.raises(PodiumError) as refused:
        services.post_create(topic=topic, user=bob, body="one more thing")
    assert refused.value.code == PodiumError.TOPIC_LOCKED and refused.value.status == 409
    services.post_create(topic=topic, user=organizer, body="Closing this: see the Evaluation tab.")
    assert topic.posts.count() == 2


def test_an_answer_is_marked_and_shown(topic, organizer, bob) -> None:
    reply = services.post_create(topic=topic, user=organizer, body="Unweighted mean over the four classes.")
    services.topic_answer(topic=topic, user=organizer, answer=reply)
    page = _page(Client(), topic.get_absolute_url())
    assert f'href="#post-{reply.pk}">see the answer' in page and 'class="post answer' in page
    assert "Answered" in _page(Client(), "/c/topic/discussion/")
    other = services.topic_create(competition=topic.competition, user=bob, title="Another", body="x")
    with pytest.raises(PodiumError):
        services.topic_answer(topic=other, user=organizer, answer=reply)  # a post of another topic


def test_followers_hear_of_replies_in_one_notice_per_topic(topic, alice, bob, organizer) -> None:
    services.post_create(topic=topic, user=bob, body="first")
    services.post_create(topic=topic, user=organizer, body="second")
    notices = Notification.objects.filter(user=alice, kind=DISCUSSION_REPLY)
    assert [n.message for n in notices] == ["2 new replies in “How is macro F1 averaged?”, the latest by olga."]
    assert notices.get().url == topic.get_absolute_url()
    # bob follows since he replied; the organizer's reply told him
    assert Notification.objects.filter(user=bob, kind=DISCUSSION_REPLY).count() == 1
    assert not Notification.objects.filter(user=organizer, kind=DISCUSSION_REPLY).exists()  # nobody hears themself
    notices.update(read_at=timezone.now())
    services.topic_follow(topic=topic, user=bob, following=False)
    services.post_create(topic=topic, user=organizer, body="third")
    assert Notification.objects.filter(user=alice, kind=DISCUSSION_REPLY, read_at__isnull=True).count() == 1
    assert Notification.objects.filter(user=bob, kind=DISCUSSION_REPLY).count() == 1  # no longer following


def test_an_announcement_reaches_every_participants_inbox_and_chosen_email(
        competition, organizer, alice, bob, alice_joined, monkeypatch, django_capture_on_commit_callbacks) -> None:
    from teams.services import membership_join

    membership_join(competition=competition, user=bob, accept_rules=True)
    NotificationSettings.objects.create(user=bob, email_kinds=[ANNOUNCEMENT])
    sent: list[int] = []
    monkeypatch.setattr("notifications.inbox._send_later", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        topic = services.topic_create(competition=competition, user=organizer, title="Deadline moved",
                                      body="One more week.", announcement=True)
    told = Notification.objects.filter(kind=ANNOUNCEMENT)
    assert sorted(n.user.username for n in told) == ["alice", "bob"]
    assert {n.message for n in told} == {"Announcement in Topic: Deadline moved"}
    assert sent == [told.get(user=bob).pk]  # bob chose email for announcements; alice did not
    assert topic.pinned and topic.announcement


def test_a_report_reaches_the_organizers_once(topic, organizer, bob) -> None:
    post = topic.posts.get()
    services.post_report(post=post, user=bob, reason="Shares the private labels")
    services.post_report(post=post, user=bob, reason="again")
    notices = Notification.objects.filter(user=organizer, kind=DISCUSSION_REPORT)
    assert notices.count() == 1
    assert "bob reported a post" in notices.get().message and "Shares the private labels" in notices.get().message
    assert notices.get().url.endswith(f"#post-{post.pk}")


def test_an_author_edits_within_the_window_and_only_then(topic, alice, bob, settings) -> None:
    post = topic.posts.get()
    with pytest.raises(PodiumError) as refused:
        services.post_edit(post=post, user=bob, body="mine now")
    assert refused.value.code == PodiumError.NOT_AUTHOR
    services.post_edit(post=post, user=alice, body="Over classes, unweighted.", title="Macro F1: how averaged?")
    topic.refresh_from_db()
    post.refresh_from_db()
    assert (topic.title, post.body) == ("Macro F1: how averaged?", "Over classes, unweighted.")
    assert post.edited_at is not None
    Post.objects.filter(pk=post.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.PODIUM_DISCUSSION_EDIT_MINUTES, seconds=1))
    post.refresh_from_db()
    with pytest.raises(PodiumError) as closed:
        services.post_edit(post=post, user=alice, body="too late")
    assert closed.value.code == PodiumError.EDIT_WINDOW_CLOSED


def test_quoting_puts_the_quoted_post_above_the_reply(topic, bob) -> None:
    reply = services.post_create(topic=topic, user=bob, body="Agreed.", quote=topic.posts.first())
    assert reply.body.startswith("> **alice** wrote:\n>\n> Over **classes**, I think.\n\n")
    assert reply.body.endswith("Agreed.") and reply.quoted_id == topic.posts.first().pk
    client = Client()
    client.force_login(bob)
    page = _page(client, f"{topic.get_absolute_url()}?quote={reply.pk}")
    assert f'name="quote" value="{reply.pk}"' in page and "Quoting bob's post" in page


def test_posting_faster_than_the_limit_is_refused_saying_when_to_retry(topic, bob, organizer, settings) -> None:
    for n in range(settings.PODIUM_DISCUSSION_POSTS_PER_MINUTE):
        services.post_create(topic=topic, user=bob, body=f"post {n}")
    with pytest.raises(PodiumError) as refused:
        services.post_create(topic=topic, user=bob, body="one too many")
    assert refused.value.code == PodiumError.POSTING_TOO_FAST and refused.value.status == 429
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    Post.objects.filter(author=bob).update(created_at=timezone.now() - timedelta(seconds=61))
    services.post_create(topic=topic, user=bob, body="a minute later")
    for n in range(settings.PODIUM_DISCUSSION_POSTS_PER_MINUTE + 2):  # organizers are not paced
        services.post_create(topic=topic, user=organizer, body=f"note {n}")


def test_new_topics_are_limited_per_day(competition, bob, settings) -> None:
    for n in range(settings.PODIUM_DISCUSSION_TOPICS_PER_DAY):
        services.topic_create(competition=competition, user=bob, title=f"topic {n}", body="x")
        Post.objects.filter(author=bob).update(created_at=timezone.now() - timedelta(minutes=5))  # past the minute
    with pytest.raises(PodiumError) as refused:
        services.topic_create(competition=competition, user=bob, title="one too many", body="x")
    assert refused.value.code == PodiumError.POSTING_TOO_FAST and "new topics a day" in refused.value.message


def test_the_pages_post_reply_edit_report_and_moderate(topic, alice, bob, organizer) -> None:
    client = Client()
    client.force_login(bob)
    answer = client.post(topic.get_absolute_url(), {"body": "From the **form**."})
    reply = Post.objects.get(author=bob)
    assert answer.status_code == 302 and answer["Location"].endswith(f"#post-{reply.pk}")
    assert client.post(f"/c/topic/discussion/posts/{reply.pk}/edit/", {"body": "Edited."}).status_code == 302
    client.post(f"/c/topic/discussion/posts/{topic.posts.first().pk}/action/", {"action": "report", "reason": "rude"})
    assert Notification.objects.filter(user=organizer, kind=DISCUSSION_REPORT).count() == 1
    assert client.post(topic.get_absolute_url(), {"body": ""}).status_code == 400  # said on the page, kept
    moderator = Client()
    moderator.force_login(organizer)
    moderator.post(f"/c/topic/discussion/{topic.pk}/action/", {"action": "lock"})
    moderator.post(f"/c/topic/discussion/posts/{reply.pk}/action/", {"action": "answer"})
    topic.refresh_from_db()
    assert topic.locked and topic.answer_id == reply.pk
    refused = client.post(topic.get_absolute_url(), {"body": "but wait"})
    assert refused.status_code == 409 and "locked" in refused.content.decode()
    assert client.post(f"/c/topic/discussion/{topic.pk}/action/", {"action": "unlock"}).status_code == 302
    topic.refresh_from_db()
    assert topic.locked  # bob may not unlock


def test_a_new_topic_from_the_form(competition, bob) -> None:
    client = Client()
    client.force_login(bob)
    answer = client.post("/c/topic/discussion/new/", {"title": "Is external data allowed?", "body": "Asking first."})
    topic = Topic.objects.get(title="Is external data allowed?")
    assert answer.status_code == 302 and answer["Location"] == topic.get_absolute_url()
    kept = client.post("/c/topic/discussion/new/", {"title": "No body", "body": "  "})
    assert "write something" in kept.content.decode() and 'value="No body"' in kept.content.decode()
    assert Client().get("/c/topic/discussion/new/").status_code == 302  # log in first


def test_the_topic_list_paginates(competition, organizer) -> None:
    Topic.objects.bulk_create([Topic(competition=competition, author=organizer, title=f"topic {n:03}",
                                     last_post_at=timezone.now() - timedelta(minutes=n)) for n in range(60)])
    first = _page(Client(), "/c/topic/discussion/")
    assert "topic 000" in first and "topic 025" not in first and "Page 1 of 3" in first
    assert "topic 025" in _page(Client(), "/c/topic/discussion/?page=2")
