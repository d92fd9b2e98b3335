"""Reads of a competition's discussion: its topics page by page, a topic's posts, who may moderate."""
from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from competitions.models import Competition
from competitions.selectors import competition_managed_by, competition_visible
from core.users import Viewer, signed_in
from discussions.models import Follow, Post, Topic

TOPICS_PER_PAGE = 25
POSTS_PER_PAGE = 50


def topics_of(*, competition: Competition, user: Viewer | None) -> QuerySet[Topic]:
    """Pinned first, then the most recently active; hidden ones for organizers only."""
    topics = Topic.objects.filter(competition=competition)
    if not competition_managed_by(competition=competition, user=user):
        topics = topics.filter(hidden=False)
    return topics.select_related("author", "competition").order_by("-pinned", "-last_post_at", "-id")


def topics_page(*, competition: Competition, user: Viewer | None, page: str | None) -> Page[Topic]:
    """One page of the list: its ids from the index alone (a deep page skips index entries, not rows), then
    those topics."""
    topics = topics_of(competition=competition, user=user)
    ids = Paginator(topics.values_list("pk", flat=True), TOPICS_PER_PAGE).get_page(page)
    rows = topics.in_bulk(list(ids.object_list))
    paginator = ids.paginator
    return Page([rows[pk] for pk in ids.object_list if pk in rows], ids.number,
                paginator)  # type: ignore[arg-type]  # the ids' paginator counts and numbers the pages of topics


def topic_visible(*, topic_id: int, user: Viewer | None, slug: str | None = None) -> Topic | None:
    """The topic if this user may read it: its competition visible to them (and at `slug`), not hidden from them."""
    topic = Topic.objects.select_related("competition", "answer").filter(pk=topic_id).first()
    if topic is None or (slug is not None and topic.competition.slug != slug):
        return None
    if competition_visible(slug=topic.competition.slug, user=user) is None:
        return None
    if topic.hidden and not competition_managed_by(competition=topic.competition, user=user):
        return None
    return topic


def post_visible(*, post_id: int, user: Viewer | None) -> Post | None:
    post = Post.objects.select_related("author").filter(pk=post_id).first()
    if post is None or topic_visible(topic_id=post.topic_id, user=user) is None:
        return None
    return post


def posts_of(*, topic: Topic) -> QuerySet[Post]:
    return topic.posts.select_related("author").order_by("created_at", "id")


def posts_page(*, topic: Topic, page: str | None) -> Page[Post]:
    return Paginator(posts_of(topic=topic), POSTS_PER_PAGE).get_page(page)


def post_url(post: Post) -> str:
    """Where a post is read: its topic's page that holds it, at its anchor."""
    before = Post.objects.filter(topic_id=post.topic_id, created_at__lt=post.created_at).count()
    page = before // POSTS_PER_PAGE + 1
    return f"{post.topic.get_absolute_url()}{'' if page == 1 else f'?page={page}'}#post-{post.pk}"


def moderates(*, topic: Topic, user: Viewer | None) -> bool:
    """Whether this user moderates the topic's discussion (organizes its competition)."""
    return competition_managed_by(competition=topic.competition, user=user)


def following(*, topic: Topic, user: Viewer | None) -> bool:
    return signed_in(user) and Follow.objects.filter(topic=topic, user=user).exists()


@dataclass(frozen=True)
class Moderation:
    """What the viewer may do here: moderate (organizers), and who the organizers are (their posts are marked)."""

    organizer: bool
    organizer_ids: frozenset[int]


def moderation_for(*, competition: Competition, user: Viewer | None) -> Moderation:
    return Moderation(organizer=competition_managed_by(competition=competition, user=user),
                      organizer_ids=frozenset(competition.organizers.values_list("pk", flat=True)))
