"""Writing to a competition's discussion: topics and replies, edits, moderation, follows and reports.

Who may do what: anyone signed in who can see the competition opens topics and replies (within the pace
limits); a post's author edits it within PODIUM_DISCUSSION_EDIT_MINUTES; the competition's organizers pin, lock,
hide and mark answers, post announcements (every participant's inbox), and are never paced or locked out.
"""
from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from competitions.models import Competition
from competitions.selectors import competition_managed_by
from core.errors import PodiumError
from discussions.models import MAX_BODY, MAX_TITLE, Follow, Post, Report, Topic
from discussions.selectors import post_url
from notifications.inbox import notify, notify_many
from notifications.models import ANNOUNCEMENT, DISCUSSION_REPLY, DISCUSSION_REPORT, Notification
from notifications.organizers import organizers_notify
from teams.models import Membership

QUOTE_CHARS = 500


def topic_create(*, competition: Competition, user: User, title: str, body: str,
                 announcement: bool = False) -> Topic:
    """A new topic with its opening post; an announcement (organizers only) is pinned and reaches every inbox."""
    title, body = _text(title, "title", MAX_TITLE), _text(body, "body", MAX_BODY)
    organizer = competition_managed_by(competition=competition, user=user)
    if announcement and not organizer:
        raise PodiumError(PodiumError.NOT_ORGANIZER, "Only the competition's organizers post announcements.", status=403)
    if not organizer:
        _keep_pace(user, topic=True)
    with transaction.atomic():
        topic = Topic.objects.create(competition=competition, author=user, title=title, announcement=announcement,
                                     pinned=announcement, last_post_at=timezone.now())
        Post.objects.create(topic=topic, author=user, body=body)
        Follow.objects.create(topic=topic, user=user)
        if announcement:
            _announce(topic)
    return topic


def post_create(*, topic: Topic, user: User, body: str, quote: Post | None = None) -> Post:
    """A reply; its followers hear of it (one unread notice per topic however many replies), and its author follows."""
    organizer = competition_managed_by(competition=topic.competition, user=user)
    if topic.hidden and not organizer:
        raise PodiumError(PodiumError.NOT_FOUND, "No such topic.", status=404)
    if topic.locked and not organizer:
        raise PodiumError(PodiumError.TOPIC_LOCKED, "The organizers locked this topic: it takes no new replies.",
                          status=409)
    body = _text(body, "body", MAX_BODY)
    if quote is not None:
        if quote.topic_id != topic.pk or (quote.hidden and not organizer):
            raise PodiumError(PodiumError.INVALID, "quote: not a post of this topic.")
        body = _text(_quoted(quote) + body, "body", MAX_BODY)
    if not organizer:
        _keep_pace(user)
    with transaction.atomic():
        post = Post.objects.create(topic=topic, author=user, body=body, quoted=quote)
        Topic.objects.filter(pk=topic.pk).update(reply_count=F("reply_count") + 1, last_post_at=post.created_at)
        followers = list(Follow.objects.filter(topic=topic).exclude(user=user).values_list("user_id", flat=True))
        Follow.objects.get_or_create(topic=topic, user=user)
        _tell_followers(topic, post, followers)
    return post


def post_edit(*, post: Post, user: User, body: str, title: str | None = None) -> Post:
    """The author's edit within the window; the opening post's edit may retitle the topic."""
    if post.author_id != user.pk:
        raise PodiumError(PodiumError.NOT_AUTHOR, "Only a post's author edits it.", status=403)
    window = timedelta(minutes=settings.PODIUM_DISCUSSION_EDIT_MINUTES)
    if timezone.now() - post.created_at > window:
        raise PodiumError(PodiumError.EDIT_WINDOW_CLOSED,
                          f"Posts can be edited for {settings.PODIUM_DISCUSSION_EDIT_MINUTES} minutes after posting; "
                          "reply instead.", status=409)
    post.body, post.edited_at = _text(body, "body", MAX_BODY), timezone.now()
    with transaction.atomic():
        post.save(update_fields=["body", "edited_at"])
        if title is not None and post.topic.posts.order_by("created_at", "id").first() == post:
            Topic.objects.filter(pk=post.topic_id).update(title=_text(title, "title", MAX_TITLE))
    return post


def topic_moderate(*, topic: Topic, user: User, pinned: bool | None = None, locked: bool | None = None,
                   hidden: bool | None = None) -> Topic:
    """An organizer pins, locks or hides a topic (each left as it is where None)."""
    _require_organizer(topic, user)
    for field, value in (("pinned", pinned), ("locked", locked), ("hidden", hidden)):
        if value is not None:
            setattr(topic, field, value)
    topic.save(update_fields=["pinned", "locked", "hidden"])
    return topic


def topic_answer(*, topic: Topic, user: User, answer: Post | None) -> Topic:
    """An organizer marks the reply that answers the topic (None: no answer)."""
    _require_organizer(topic, user)
    if answer is not None and answer.topic_id != topic.pk:
        raise PodiumError(PodiumError.INVALID, "answer: not a post of this topic.")
    topic.answer = answer
    topic.save(update_fields=["answer"])
    return topic


def post_moderate(*, post: Post, user: User, hidden: bool) -> Post:
    _require_organizer(post.topic, user)
    post.hidden = hidden
    post.save(update_fields=["hidden"])
    return post


def topic_follow(*, topic: Topic, user: User, following: bool) -> bool:
    if following:
        Follow.objects.get_or_create(topic=topic, user=user)
    else:
        Follow.objects.filter(topic=topic, user=user).delete()
    return following


def post_report(*, post: Post, user: User, reason: str) -> Report:
    """Ask the organizers to look at a post: their inbox (and webhooks) hear of it once per reporter."""
    reason = _text(reason, "reason", 300)
    with transaction.atomic():
        report, created = Report.objects.get_or_create(post=post, reporter=user, defaults={"reason": reason})
        if created:
            topic = post.topic
            organizers_notify(competition=topic.competition, kind=DISCUSSION_REPORT, url=post_url(post),
                              message=f"{user.username} reported a post in “{topic.title[:80]}”: {reason[:80]}",
                              data={"topic": topic.pk, "post": post.pk, "reason": reason})
    return report


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise PodiumError(PodiumError.INVALID, f"{field}: write something.")
    if len(value) > limit:
        raise PodiumError(PodiumError.INVALID, f"{field}: at most {limit:,} characters ({len(value):,} given).")
    return value


def _quoted(post: Post) -> str:
    """The quoted post as Markdown: who wrote it, then its text (cut to QUOTE_CHARS) as a block quote."""
    text = post.body if len(post.body) <= QUOTE_CHARS else post.body[:QUOTE_CHARS].rstrip() + " …"
    lines = "\n".join(f"> {line}" for line in text.splitlines())
    return f"> **{post.author.username if post.author else 'someone'}** wrote:\n>\n{lines}\n\n"


def _keep_pace(user: User, *, topic: bool = False) -> None:
    """Refuse a post past PODIUM_DISCUSSION_POSTS_PER_MINUTE (or a topic past ..._TOPICS_PER_DAY), saying when to retry."""
    now = timezone.now()
    checks: list[tuple[QuerySet[Any], timedelta, int, str]] = [
        (Post.objects.filter(author=user), timedelta(minutes=1), settings.PODIUM_DISCUSSION_POSTS_PER_MINUTE, "posts a minute")]
    if topic:
        checks.append((Topic.objects.filter(author=user), timedelta(days=1), settings.PODIUM_DISCUSSION_TOPICS_PER_DAY,
                       "new topics a day"))
    for rows, window, limit, what in checks:
        recent = list(rows.filter(created_at__gt=now - window).order_by("-created_at")
                      .values_list("created_at", flat=True)[:limit])
        if len(recent) >= limit:
            wait = max(1, math.ceil((recent[-1] + window - now).total_seconds()))
            raise PodiumError(PodiumError.POSTING_TOO_FAST,
                              f"At most {limit} {what}; try again in {_duration(wait)}.",
                              status=429, headers={"Retry-After": str(wait)})


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds // 60} min" if seconds < 7200 else f"{seconds // 3600} h"


def _require_organizer(topic: Topic, user: User) -> None:
    if not competition_managed_by(competition=topic.competition, user=user):
        raise PodiumError(PodiumError.NOT_ORGANIZER, "Only the competition's organizers moderate its discussion.",
                          status=403)


def _announce(topic: Topic) -> None:
    participants = (Membership.objects.filter(competition=topic.competition).exclude(user=topic.author)
                    .values_list("user_id", flat=True).distinct())
    notify_many(user_ids=list(participants), kind=ANNOUNCEMENT, competition=topic.competition,
                message=f"Announcement in {topic.competition.title}: {topic.title}", url=topic.get_absolute_url())


def _tell_followers(topic: Topic, post: Post, followers: list[int]) -> None:
    """Each follower's one unread notice for the topic says how many replies wait; a new notice once they read it."""
    url = topic.get_absolute_url()
    author = post.author.username if post.author else "someone"
    waiting = {row.user_id: row for row in Notification.objects.filter(
        user_id__in=followers, kind=DISCUSSION_REPLY, url=url, read_at__isnull=True)}
    for user_id in followers:
        row = waiting.get(user_id)
        if row is None:
            notify(user_id=user_id, kind=DISCUSSION_REPLY, url=url, competition=topic.competition,
                   message=f"{author} replied in “{topic.title[:120]}”.")
        else:
            count = int(row.message.split(" ", 1)[0]) + 1 if row.message[:1].isdigit() else 2
            Notification.objects.filter(pk=row.pk).update(
                message=f"{count} new replies in “{topic.title[:120]}”, the latest by {author}.",
                created_at=post.created_at)
