"""Access control, crawled: every page and API endpoint, as a participant and as another competition's organizer.

The URL list comes from Django's resolver, so a new route is crawled without
editing this test. Each route is tried with every value a curious participant
could put in it (both competitions, another team's submission, the truth
file's storage name, path traversal), over HTTP against the live server.
Nothing answered may contain a truth row, another team's file or a private
score before the reveal; no answer may be a 5xx.
"""
from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from competitions.models import Competition
from submissions import states
from submissions.models import Rescore, Submission

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BOB_MARKER = "bob-secret-predictions-7f3a"
PRIVATE_VALUES = ("0.98765", "98.77", "0.91234", "91.23", "0.8765", "87.65")
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


@pytest.fixture
def world(competition, alice, bob, alice_joined, django_user_model, text_bundle):
    """topic: alice's and bob's teams, each with a scored submission; other: a second competition and its organizer."""
    from teams.services import membership_join

    bob_membership = membership_join(competition=competition, user=bob, accept_rules=True)
    bob_submission = _scored(competition, bob_membership.team, bob, f"id,label\n{BOB_MARKER},food\n", 0.55, 0.987654321)
    alice_submission = _scored(competition, alice_joined.team, alice, "id,label\nr1,food\n", 0.6, 0.912345678)
    Rescore.objects.create(submission=bob_submission, old_status=states.SCORED, old_public_score=0.5, old_private_score=0.87654321)
    now = timezone.now()
    other = Competition.objects.create(slug="other", title="Other Contest", task="text-classification", rules="",
                                       start_at=now - timedelta(days=1), end_at=now + timedelta(days=5),
                                       classes=competition.classes, published_at=now)
    oscar = django_user_model.objects.create_user("oscar", password="oscar-pass-1", is_staff=True)
    oscar.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["competitions", "submissions", "teams"]))
    other.organizers.add(oscar)
    truth_rows = (text_bundle.path / "truth.csv").read_text().splitlines()[1:40]
    from discussions.services import post_create, topic_create

    topic = topic_create(competition=competition, user=bob, title="Which classes?", body="Four, I think.")
    post = post_create(topic=topic, user=alice, body="Yes, four.")
    return {"bob_submission": bob_submission, "alice_submission": alice_submission, "other": other, "truth_rows": truth_rows,
            "topic": topic, "post": post}


def _scored(competition, team, user, content: str, public: float, private: float) -> Submission:  # type: ignore[no-untyped-def]
    submission = Submission(competition=competition, team=team, submitted_by=user, kind="predictions",
                            status=states.SCORED, scored_at=timezone.now(), public_score=public, private_score=private,
                            public_scores={"accuracy": public, "macro_f1": public},
                            private_scores={"accuracy": private, "macro_f1": private - 0.075})
    submission.file.save("predictions.csv", ContentFile(content.encode()), save=True)
    return submission


def _routes() -> list[str]:
    """Every non-admin route of the site, as its pattern string."""
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:  # type: ignore[type-arg]
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not str(pattern.pattern).startswith("admin/"):
                    walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return found


def _urls(world: dict, competition: Competition) -> list[str]:
    values = {
        "slug": ["topic", "other"],
        "submission_id": [str(world["bob_submission"].pk), str(world["alice_submission"].pk)],
        "name": ["train.csv", "test.csv", competition.truth_file.name, "../truth/" + Path(competition.truth_file.name).name,
                 "../../../" + competition.truth_file.name, "truth.csv", "%2e%2e/truth/truth.csv"],
        "token": ["not-a-token"],
        "topic_id": [str(world["topic"].pk), "999999"],
        "post_id": [str(world["post"].pk)],
        "username": ["alice", "bob", "oscar", "nobody"],  # profiles: public ranks only, before the reveal
        "uidb64": ["MQ", "Mg"],  # password-reset links: user ids 1 and 2, with a token that is not theirs
    }
    urls = []
    for route in _routes():
        names = [name for _, name in PARAMETER.findall(route)]
        for combination in itertools.product(*(values[name] for name in names)):
            url = route
            for name, value in zip(names, combination):
                url = PARAMETER.sub(value, url, count=1)
            urls.append("/" + url)
    return urls + ["/api/v1/competitions/topic/leaderboard/?board=private", "/c/topic/leaderboard/?board=private",
                   "/c/topic/leaderboard/table/?board=private"]


def _login(base: str, username: str, password: str, path: str = "/accounts/login/") -> requests.Session:
    session = requests.Session()
    page = session.get(base + path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(base + path, data={"username": username, "password": password, "csrfmiddlewaretoken": token},
                          headers={"Referer": base + path})
    assert answer.status_code in (200, 302) and "sessionid" in session.cookies, answer.text[:500]
    return session


def _leaks(body: str, world: dict) -> list[str]:
    problems = [f"truth row {row!r}" for row in world["truth_rows"] if row in body]
    if BOB_MARKER in body:
        problems.append("bob's submission file")
    problems += [f"private score {value}" for value in PRIVATE_VALUES if value in body]
    return problems


def _json_private_scores(value: object) -> list[object]:
    """Every non-null private score anywhere in a JSON answer."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("private_score", "private_scores") and item not in (None, {}):
                found.append(item)
            found += _json_private_scores(item)
    elif isinstance(value, list):
        for item in value:
            found += _json_private_scores(item)
    return found


def test_a_participant_crawling_every_route_gets_no_truth_no_other_teams_files_and_no_private_scores(
    live_server, world, competition
) -> None:
    base = live_server.url
    session = _login(base, "alice", "alice-pass-1")
    token = requests.post(base + "/api/v1/auth/token/", json={"username": "alice", "password": "alice-pass-1"}).json()["token"]
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    crawled = 0
    for url in _urls(world, competition):
        if url.startswith("/accounts/logout"):
            continue
        client = api if url.startswith("/api/") else session
        answer = client.get(base + url, allow_redirects=False)
        crawled += 1
        # /health/ answers 503 by design here: this test runs no broker.
        assert answer.status_code < 500 or url == "/health/", f"{url}: {answer.status_code}"
        body = answer.content.decode("utf-8", "replace")
        assert not _leaks(body, world), f"{url} leaks {_leaks(body, world)}"
        if answer.headers.get("Content-Type", "").startswith("application/json"):
            assert not _json_private_scores(json.loads(body)), f"{url} shows private scores"
    assert crawled > 60
    bob_id = world["bob_submission"].pk
    assert api.get(f"{base}/api/v1/submissions/{bob_id}/").status_code == 404
    assert api.post(f"{base}/api/v1/submissions/{bob_id}/select/", json={"selected": True}).status_code == 404
    assert session.get(f"{base}/submissions/{bob_id}/").status_code == 404
    # The admin is closed to participants: every page sends them to the admin's login.
    for path in ("/admin/", "/admin/submissions/submission/", f"/admin/submissions/submission/{bob_id}/file/",
                 f"/admin/competitions/competition/{competition.pk}/change/", "/admin/submissions/rescore/"):
        answer = session.get(base + path, allow_redirects=False)
        assert answer.status_code == 302 and "/admin/login/" in answer.headers["Location"], path


def test_an_organizer_of_one_competition_cannot_see_or_manage_another(live_server, world, competition) -> None:
    base = live_server.url
    oscar = _login(base, "oscar", "oscar-pass-1", path="/admin/login/?next=/admin/")
    bob_id = world["bob_submission"].pk
    own = oscar.get(f"{base}/admin/competitions/competition/")
    assert "Other Contest" in own.text and ">Topic<" not in own.text
    for path in (f"/admin/competitions/competition/{competition.pk}/change/", f"/admin/submissions/submission/{bob_id}/change/",
                 f"/admin/teams/team/{world['bob_submission'].team_id}/change/"):
        answer = oscar.get(base + path)  # the admin sends him back to its index: "… doesn’t exist"
        assert answer.status_code == 404 or "doesn’t exist" in answer.text, path
        assert not _leaks(answer.text, world), path
    assert oscar.get(f"{base}/admin/submissions/submission/{bob_id}/file/").status_code == 404
    for path in ("/admin/submissions/submission/", "/admin/submissions/rescore/", "/admin/teams/team/"):
        listing = oscar.get(base + path)
        assert listing.status_code == 200 and not _leaks(listing.text, world) and "bob" not in listing.text, path
    # The site itself treats a staff user who does not organize this competition as a participant.
    assert oscar.get(f"{base}/submissions/{bob_id}/").status_code == 404
    board = requests.get(f"{base}/api/v1/competitions/topic/leaderboard/?board=private", cookies=oscar.cookies)
    assert board.status_code in (403, 404) or not _json_private_scores(board.json())
    # Actions go through the same scoping: a rescore of another's competition does nothing.
    page = oscar.get(f"{base}/admin/competitions/competition/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    oscar.post(f"{base}/admin/competitions/competition/", data={"action": "rescore_all_submissions", "_selected_action": [competition.pk],
                                                               "csrfmiddlewaretoken": csrf}, headers={"Referer": f"{base}/admin/"})
    assert Rescore.objects.filter(submission__competition=competition).count() == 1  # only the fixture's


def test_every_form_refuses_a_post_without_its_csrf_token(live_server, world, competition) -> None:
    """Forms found by crawling the participant's pages and the organizer's admin; each POSTed without the token."""
    base = live_server.url
    forms: set[str] = set()
    for username, password, login_path, pages in (
        ("alice", "alice-pass-1", "/accounts/login/", [u for u in _urls(world, competition) if not u.startswith("/api/")]),
        ("oscar", "oscar-pass-1", "/admin/login/?next=/admin/",
         ["/admin/", "/admin/competitions/competition/", f"/admin/competitions/competition/{world['other'].pk}/change/",
          "/admin/password_change/"]),
    ):
        session = _login(base, username, password, path=login_path)
        for url in pages:
            if url.startswith("/accounts/logout"):
                continue
            page = session.get(base + url)
            for form in re.finditer(r'<form[^>]*method="post"[^>]*>', page.text, flags=re.I):
                action = re.search(r'action="([^"]*)"', form.group(0))
                target = action.group(1) if action and action.group(1) else url
                forms.add(target if target.startswith("/") else url)
        for target in sorted(forms):
            refused = session.post(base + target, data={"name": "x"}, headers={"Referer": base + target}, allow_redirects=False)
            assert refused.status_code == 403, f"{target} accepted a POST without a CSRF token"
    assert {"/accounts/login/", "/accounts/logout/", "/accounts/profile/", "/accounts/signup/", "/c/other/join/",
            "/c/topic/submit/", "/c/topic/team/", f"/submissions/{world['alice_submission'].pk}/",
            "/admin/competitions/competition/", "/admin/password_change/"} <= forms, sorted(forms)
