"""The discussion at scale: a competition's topic list with 10,000 topics against 100, in one run.

`python bench/run.py forum` builds both discussions in one database (SQLite, and PostgreSQL when one
answers, as `bench/run.py boards` does) and measures through Django in-process: the list's first page
and a deep page (logged out, and as an organizer, who also sees hidden topics), the API's first page, one
topic's page, and a new reply through the service. The 100-topic discussion is the reference.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from boards import _timed
from common import size_table

SIZES = {"small": 100, "large": 10_000}
PER_TOPIC = 3  # posts: the opening post and two replies


def build(slug: str, topics: int) -> None:
    """A published competition with `topics` topics of PER_TOPIC posts each, a tenth hidden, two pinned."""
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from competitions.models import Competition
    from discussions.models import Post, Topic

    now = timezone.now()
    competition = Competition.objects.create(slug=slug, title=slug, task="text-classification", classes=["a", "b"],
                                             start_at=now - timedelta(days=60), end_at=now + timedelta(days=30),
                                             published_at=now)
    users = get_user_model().objects
    organizer = users.create_user(f"{slug}-organizer", password="bench-pass-1")
    competition.organizers.add(organizer)
    authors = [users.create_user(f"{slug}-author-{i}", password="bench-pass-1") for i in range(20)]
    rng = random.Random(slug)
    made = Topic.objects.bulk_create([
        Topic(competition=competition, author=rng.choice(authors), title=f"Question {i} about the metric",
              pinned=i < 2, hidden=i % 10 == 9, last_post_at=now - timedelta(minutes=rng.randrange(60 * 24 * 60)),
              reply_count=PER_TOPIC - 1)
        for i in range(topics)], batch_size=2000)
    Post.objects.bulk_create([Post(topic=topic, author=rng.choice(authors), body=f"Post {n} of topic {topic.pk}: "
                                   "does **macro F1** average over classes?") for topic in made for n in range(PER_TOPIC)],
                             batch_size=5000)
    Post.objects.filter(topic__competition=competition).update(created_at=now - timedelta(days=1))  # not this minute's


def measure(slug: str) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from discussions import services
    from discussions.models import Topic

    anonymous, organizer = Client(), Client()
    organizer.force_login(get_user_model().objects.get(username=f"{slug}-organizer"))
    author = get_user_model().objects.get(username=f"{slug}-author-0")
    listing = f"/c/{slug}/discussion/"
    pages = -(-Topic.objects.filter(competition__slug=slug, hidden=False).count() // 25)
    topic = Topic.objects.filter(competition__slug=slug, hidden=False).order_by("pk").first()
    assert topic is not None and anonymous.get(listing).status_code == 200

    def reply() -> None:
        services.post_create(topic=topic, user=author, body="Yes, over classes.")

    page = anonymous.get(listing)
    return {
        "list, first page (logged out)": _timed(lambda: anonymous.get(listing), 40),
        "list, last page (logged out)": _timed(lambda: anonymous.get(f"{listing}?page={pages}"), 40),
        "list, first page (organizer)": _timed(lambda: organizer.get(listing), 40),
        "API topics, first page": _timed(lambda: anonymous.get(f"/api/v1/competitions/{slug}/topics/"), 40),
        "a topic's page": _timed(lambda: anonymous.get(f"{listing}{topic.pk}/"), 40),
        "a new reply (service)": _timed(reply, 40),
        "list page weight (KB)": len(page.content) / 1024,
    }


def child() -> None:
    import os

    import django

    os.environ["PODIUM_DISCUSSION_POSTS_PER_MINUTE"] = str(10**9)  # the pace limit is not what is measured

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    for slug, topics in SIZES.items():
        started = time.perf_counter()
        build(slug, topics)
        print(f"  {slug}: {topics:,} topics, {topics * PER_TOPIC:,} posts built in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(json.dumps({slug: measure(slug) for slug in SIZES}))


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    return size_table(Path(__file__), "podium_forum", "The discussion at scale: median ms through Django in-process "
                      "(weight in KB); reference: 100 topics", ("100 topics", "10,000 topics"))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main(sys.argv[1:])
