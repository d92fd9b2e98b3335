"""The discussion through the API: the same topics, posts and rules as the Discussion tab."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import token_issue
from discussions.models import Post, Topic
from notifications.models import DISCUSSION_REPORT, Notification

pytestmark = pytest.mark.django_db


def _client(user=None) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user, name='test')[1]}")
    return client


def test_a_participant_opens_a_topic_and_others_reply_quote_and_read(competition, alice, bob) -> None:
    made = _client(alice).post("/api/v1/competitions/topic/topics/",
                               {"title": "Train/test overlap?", "body": "Row 7 is in **both**."}, format="json")
    assert made.status_code == 201, made.json()
    topic = made.json()
    assert (topic["title"], topic["author"], topic["reply_count"], topic["announcement"]) == \
        ("Train/test overlap?", "alice", 0, False)
    opening = Post.objects.get(topic_id=topic["id"])
    reply = _client(bob).post(f"/api/v1/topics/{topic['id']}/posts/", {"body": "Confirmed.", "quote": opening.pk},
                              format="json")
    assert reply.status_code == 201 and reply.json()["quoted"] == opening.pk
    assert reply.json()["body"].startswith("> **alice** wrote:")
    posts = _client().get(f"/api/v1/topics/{topic['id']}/posts/")
    assert posts.status_code == 200 and posts["X-Total-Count"] == "2"
    assert posts.json()[0]["html"] == "<p>Row 7 is in <strong>both</strong>.</p>"
    listed = _client().get("/api/v1/competitions/topic/topics/").json()
    assert [(t["title"], t["reply_count"]) for t in listed] == [("Train/test overlap?", 1)]
    assert _client(alice).get(f"/api/v1/topics/{topic['id']}/").json()["following"] is True


def test_writing_needs_an_account_and_reading_a_draft_needs_to_organize_it(competition, alice) -> None:
    assert _client().post("/api/v1/competitions/topic/topics/", {"title": "t", "body": "b"}).status_code == 401
    competition.published_at = None
    competition.save()
    refused = _client(alice).get("/api/v1/competitions/topic/topics/")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not-found"


def test_errors_have_stable_codes(competition, alice, bob, organizer) -> None:
    topic = _client(alice).post("/api/v1/competitions/topic/topics/", {"title": "t", "body": "b"}).json()
    announce = _client(bob).post("/api/v1/competitions/topic/topics/",
                                 {"title": "Hear ye", "body": "x", "announcement": True}, format="json")
    assert announce.status_code == 403 and announce.json()["error"]["code"] == "not-organizer"
    post = Post.objects.get(topic_id=topic["id"])
    edit = _client(bob).patch(f"/api/v1/posts/{post.pk}/", {"body": "mine"}, format="json")
    assert edit.status_code == 403 and edit.json()["error"]["code"] == "not-author"
    moderate = _client(bob).post(f"/api/v1/topics/{topic['id']}/moderate/", {"locked": True}, format="json")
    assert moderate.status_code == 403 and moderate.json()["error"]["code"] == "not-organizer"
    _client(organizer).post(f"/api/v1/topics/{topic['id']}/moderate/", {"locked": True}, format="json")
    locked = _client(bob).post(f"/api/v1/topics/{topic['id']}/posts/", {"body": "hello?"}, format="json")
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "topic-locked"
    assert _client(bob).get("/api/v1/topics/999999/").status_code == 404


def test_organizers_pin_hide_and_answer_and_a_hidden_post_loses_its_text(competition, alice, bob, organizer) -> None:
    topic = _client(alice).post("/api/v1/competitions/topic/topics/", {"title": "t", "body": "question"}).json()
    answer = _client(organizer).post(f"/api/v1/topics/{topic['id']}/posts/", {"body": "the answer"}).json()
    spam = _client(bob).post(f"/api/v1/topics/{topic['id']}/posts/", {"body": "spam"}).json()
    moderated = _client(organizer).post(f"/api/v1/topics/{topic['id']}/moderate/",
                                        {"pinned": True, "answer": answer["id"]}, format="json")
    assert moderated.status_code == 200 and (moderated.json()["pinned"], moderated.json()["answer"]) == (True, answer["id"])
    hidden = _client(organizer).patch(f"/api/v1/posts/{spam['id']}/", {"hidden": True}, format="json")
    assert hidden.status_code == 200 and hidden.json()["body"] == "spam"  # organizers still read it
    seen = {p["id"]: p for p in _client(alice).get(f"/api/v1/topics/{topic['id']}/posts/").json()}
    assert (seen[spam["id"]]["hidden"], seen[spam["id"]]["body"], seen[spam["id"]]["html"]) == (True, None, None)
    _client(organizer).post(f"/api/v1/topics/{topic['id']}/moderate/", {"hidden": True}, format="json")
    assert _client(alice).get(f"/api/v1/topics/{topic['id']}/").status_code == 404
    assert _client(organizer).get(f"/api/v1/topics/{topic['id']}/").json()["hidden"] is True
    assert Topic.objects.get(pk=topic["id"]).hidden


def test_follow_and_report(competition, alice, bob, organizer) -> None:
    topic = _client(alice).post("/api/v1/competitions/topic/topics/", {"title": "t", "body": "b"}).json()
    assert _client(bob).post(f"/api/v1/topics/{topic['id']}/follow/", {"following": True}).json() == {"following": True}
    assert _client(bob).get(f"/api/v1/topics/{topic['id']}/").json()["following"] is True
    post = Post.objects.get(topic_id=topic["id"])
    report = _client(bob).post(f"/api/v1/posts/{post.pk}/report/", {"reason": "off topic"})
    assert report.status_code == 201
    assert Notification.objects.filter(user=organizer, kind=DISCUSSION_REPORT).count() == 1


def test_posting_too_fast_answers_429_with_retry_after(competition, alice, settings) -> None:
    client = _client(alice)
    topic = client.post("/api/v1/competitions/topic/topics/", {"title": "t", "body": "b"}).json()
    answers = [client.post(f"/api/v1/topics/{topic['id']}/posts/", {"body": f"reply {n}"})
               for n in range(settings.PODIUM_DISCUSSION_POSTS_PER_MINUTE)]
    assert [a.status_code for a in answers] == [201] * (settings.PODIUM_DISCUSSION_POSTS_PER_MINUTE - 1) + [429]
    assert answers[-1].json()["error"]["code"] == "posting-too-fast" and int(answers[-1]["Retry-After"]) <= 60
