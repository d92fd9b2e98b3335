"""Leaderboards at Kaggle scale: what a board costs with 10,000 teams and 100,000 submissions against 100 and 1,000.

`python bench/run.py boards` builds both competitions in one database — on
SQLite, and on PostgreSQL when one answers at DATABASE_URL or
postgres://postgres@127.0.0.1:5432/test (a fresh database beside it) — and
measures, through Django in-process (no network, so the figures are the
server's own cost): an idle poll (304), the API's first page, the HTML page,
and a new score (the standings of one team refreshed, through the scoring
service). Each backend runs in its own child process; the small competition,
measured in the same run, is the reference.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from common import size_table

SIZES = {"small": (100, 1_000), "large": (10_000, 100_000)}


def build(slug: str, teams: int, submissions: int) -> None:
    """A text competition with `teams` teams and `submissions` scored submissions among them, standings built."""
    from django.utils import timezone

    from competitions.models import Competition

    now = timezone.now()
    competition = Competition.objects.create(slug=slug, title=slug, task="text-classification", classes=["a", "b"],
                                             start_at=now - timedelta(days=60), end_at=now + timedelta(days=30),
                                             published_at=now)
    populate(competition, teams, submissions)


def populate(competition, teams: int, submissions: int) -> None:  # type: ignore[no-untyped-def]
    """Add `teams` teams (one with a viewer account, `<slug>-viewer`) and `submissions` scored submissions."""
    import random

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from leaderboards.standings import standings_rebuild
    from submissions import states
    from submissions.models import Submission
    from teams.models import Membership, Team

    slug = competition.slug
    rng = random.Random(slug)
    now = timezone.now()
    made = Team.objects.bulk_create([Team(competition=competition, name=f"{slug} team {i:05d}") for i in range(teams)],
                                    batch_size=2000)
    viewer = get_user_model().objects.create_user(f"{slug}-viewer", password="bench-pass-1")
    Membership.objects.create(team=made[teams // 2], user=viewer, competition=competition)
    rows = []
    for i in range(submissions):
        score = rng.random()
        rows.append(Submission(competition=competition, team=made[i % teams], file="x.csv", status=states.SCORED,
                               public_score=score, private_score=min(1.0, score + rng.uniform(-0.05, 0.05)),
                               public_scores={"accuracy": score}, private_scores={"accuracy": score},
                               scored_at=now))
    Submission.objects.bulk_create(rows, batch_size=5000)
    Submission.objects.filter(competition=competition, team__in=made).update(created_at=now - timedelta(days=1))
    started = time.perf_counter()
    standings_rebuild(competition=competition)
    print(f"  {slug}: standings built from {submissions:,} submissions in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)


def _timed(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median milliseconds of `call` over `repeat` runs (after one warm-up)."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(slug: str) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from competitions.models import Competition
    from submissions.models import Submission
    from submissions.results import submission_claim, submission_finish

    anonymous, viewer = Client(), Client()
    viewer.force_login(get_user_model().objects.get(username=f"{slug}-viewer"))
    table = f"/c/{slug}/leaderboard/table/"
    etag = viewer.get(table)["ETag"]
    page = viewer.get(f"/c/{slug}/leaderboard/")
    assert page.status_code == 200
    competition = Competition.objects.get(slug=slug)
    team_id = competition.teams.order_by("pk").values_list("pk", flat=True)[7]

    def new_score() -> None:
        submission = Submission.objects.create(competition=competition, team_id=team_id, file="x.csv")
        claimed = submission_claim(submission_id=submission.pk, task_id=f"bench-{submission.pk}")
        submission_finish(submission=claimed, started=time.perf_counter(),
                          scores={"public": {"accuracy": 0.5}, "private": {"accuracy": 0.5}})

    return {
        "idle poll (304)": _timed(lambda: viewer.get(table, HTTP_IF_NONE_MATCH=etag), 300),
        "API first page": _timed(lambda: anonymous.get(f"/api/v1/competitions/{slug}/leaderboard/"), 40),
        "HTML page (logged in)": _timed(lambda: viewer.get(f"/c/{slug}/leaderboard/"), 40),
        "a new score (scoring service)": _timed(new_score, 40),
        "page weight (KB)": len(page.content) / 1024,
    }


def child() -> None:
    """In a fresh process: migrate, build both competitions, print the figures as JSON."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    for slug, (teams, submissions) in SIZES.items():
        build(slug, teams, submissions)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have, on a database that has been running
    print(json.dumps({slug: measure(slug) for slug in SIZES}))


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    return size_table(Path(__file__), "podium_boards", "Leaderboards at scale: median ms through Django in-process "
                      "(page weight in KB); reference: the small competition",
                      ("100 teams / 1,000 subs", "10,000 teams / 100,000 subs"))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main(sys.argv[1:])
