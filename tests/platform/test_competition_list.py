"""The competitions page at 100 competitions: active, upcoming and ended apart, each with its teams and
submissions counted, a filter by task type and a search box; drafts only for their organizers, marked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competitions.models import Competition
from submissions.models import Submission
from teams.services import membership_join

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(organizer, alice) -> dict[str, Competition]:
    now = timezone.now()
    made = {}
    for n in range(100):
        state = ("active", "upcoming", "ended")[n % 3]
        start = {"active": now - timedelta(days=1), "upcoming": now + timedelta(days=n + 1),
                 "ended": now - timedelta(days=200 - n)}[state]
        made[f"c{n:03d}"] = Competition.objects.create(
            slug=f"c{n:03d}", title=f"Contest {n:03d} {'speech' if n == 7 else ''}", start_at=start,
            end_at=start + timedelta(days=30 if state != "ended" else 10),
            task="detection" if n % 10 == 0 else "text-classification", published_at=now)
    team = membership_join(competition=made["c000"], user=alice, accept_rules=True).team
    for _ in range(3):
        Submission.objects.create(competition=made["c000"], team=team, file="x.csv")
    draft = Competition.objects.create(slug="secret-draft", title="Secret draft", task="text-classification",
                                       start_at=now, end_at=now + timedelta(days=3))
    draft.organizers.add(organizer)
    return made


def sections(page: str) -> dict[str, str]:
    found = {}
    for chunk in page.split('<section class="competition-section"')[1:]:
        heading = chunk.split("<h2", 1)[1].split(">", 1)[1].split(" <span", 1)[0]
        found[heading] = chunk.split("</section>")[0]
    return found


def test_active_upcoming_and_ended_apart_with_counts_in_a_few_queries(client: Client, many) -> None:
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    assert len(queries) <= 6  # one for the list, whatever its size (and the session's)
    found = sections(page)
    assert list(found) == ["Active", "Upcoming", "Ended"]  # no drafts for a visitor
    assert "(34)" in page and "(33)" in page
    assert "Contest 000" in found["Active"] and "Contest 001" in found["Upcoming"] and "Contest 002" in found["Ended"]
    assert "1 team · 3 submissions" in found["Active"].split("Contest 000")[1].split("</a>")[0]
    assert found["Ended"].index("Contest 098") < found["Ended"].index("Contest 002")  # the latest ended first
    assert "Secret draft" not in page


def test_the_filters_and_the_drafts_of_an_organizer(client: Client, many, organizer) -> None:
    detection = sections(client.get("/?task=detection").content.decode())
    assert all("Contest" in text for text in detection.values())
    assert sum(text.count('class="card"') for text in detection.values()) == 10
    searched = client.get("/?q=speech").content.decode()
    assert "Contest 007" in searched and searched.count('class="card"') == 1
    assert "No competition matches these filters" in client.get("/?q=nothing-like-it").content.decode()
    client.force_login(organizer)
    mine = sections(client.get("/").content.decode())
    assert list(mine)[0] == "Your drafts" and "Secret draft" in mine["Your drafts"] and "Draft</span>" in mine["Your drafts"]
