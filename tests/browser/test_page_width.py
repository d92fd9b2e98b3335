"""No page wider than its viewport, at a phone's 390 px and a laptop's 1366 px, logged in or out, for every page
of a competition of every registered task type (custom included), each with every metric scored: wide tables
show the metrics that matter and switch the others in (the chosen-metric switcher), never a sideways page or a
table scrolling sideways."""
from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from scoring import TASKS
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
# Sideways overflow anywhere but inside what scrolls by design (a CSV preview, a code block): a problem.
# A data table scrolling inside its own box counts too: that is how status and scores went out of sight.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const allowed = el => el.closest('.data-preview, pre');
  const over = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !allowed(el) && getComputedStyle(el).visibility !== 'hidden'
      && ![...document.querySelectorAll('.visually-hidden')].some(hidden => hidden.contains(el));
  });
  const scrolling = [...document.querySelectorAll('.table, .table-scroll')].filter(el =>
    !allowed(el) && el.scrollWidth > el.clientWidth + 1);
  return {page: document.documentElement.scrollWidth, width,
          over: over.slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)),
          scrolling: scrolling.slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth)};
}"""
CUSTOM_METRICS = [{"name": f"metric_{i}", "label": f"A long custom metric label {i}", "higher_is_better": i % 2 == 0}
                  for i in range(1, 9)]


def _competition(task: str, folder: Path, organizer):  # type: ignore[no-untyped-def]
    from competitions.bundles import competition_import_bundle
    from competitions.models import Competition

    if TASKS[task].demo is None:  # the organizers' own program: declared metrics, nothing to import
        now = timezone.now()
        competition = Competition.objects.create(
            slug=f"w-{task}", title=f"Wide {task}", task=task, metrics=CUSTOM_METRICS, submission_suffix=".csv",
            start_at=now - timedelta(days=1), end_at=now + timedelta(days=30), published_at=now - timedelta(days=1))
    else:
        demo = TASKS[task].demo
        bundle = demo.build(folder / task, slug=f"w-{task}", **demo.example_sizes)
        competition, _ = competition_import_bundle(path=bundle.path, publish=True)
    competition.organizers.add(organizer)
    return competition


def _scored(competition, team, user, rng: random.Random):  # type: ignore[no-untyped-def]
    from submissions import states
    from submissions.models import Submission

    metrics = competition.task_type.metrics
    public = {m: rng.random() for m in metrics}
    private = {m: rng.random() for m in metrics}
    ranking = competition.ranking_metric
    return Submission.objects.create(
        competition=competition, team=team, submitted_by=user, file="x.csv", status=states.SCORED,
        description="A description long enough to wrap on a phone " * 2, public_score=public[ranking],
        private_score=private[ranking], public_scores=public, private_scores=private, scored_at=timezone.now())


@pytest.fixture
def wide_world(tmp_path: Path, organizer, alice, django_user_model):  # type: ignore[no-untyped-def]
    """A competition of every task type with three other teams on its board and alice's scored and failed
    submissions: every metric has a value, the error a long message."""
    from leaderboards.standings import standings_rebuild
    from submissions import states
    from submissions.models import Submission
    from teams.services import membership_join

    rng = random.Random(7)
    others = [django_user_model.objects.create_user(f"rival-{i}", password="pw") for i in range(3)]
    # Beside each competition's pages: the site's own, logged out and in (the phone crawl checks them at 390 px too).
    pages = {"public": ["/", "/accounts/login/", "/accounts/signup/", "/u/alice/"],
             "member": ["/", "/u/alice/", "/inbox/", "/accounts/profile/", "/accounts/password/"]}
    for task in TASKS:
        competition = _competition(task, tmp_path, organizer)
        mine = membership_join(competition=competition, user=alice, accept_rules=True).team
        mine.name = ("A team with a very long name that goes on and on " * 2)[:100]
        mine.save()
        scored = _scored(competition, mine, alice, rng)
        failed = Submission.objects.create(
            competition=competition, team=mine, submitted_by=alice, file="x.csv", status=states.FAILED,
            error_code="bad-format", error_message="Line 3: expected 2 columns (id,label) but found 5: " + "x" * 200)
        for user in others:
            _scored(competition, membership_join(competition=competition, user=user, accept_rules=True).team, user, rng)
        standings_rebuild(competition=competition)
        base = f"/c/{competition.slug}/"
        shown = [base, f"{base}data/", f"{base}evaluation/", f"{base}leaderboard/", f"{base}discussion/"]
        pages["public"] += shown
        pages["member"] += [*shown, f"{base}rules/", f"{base}submit/", f"{base}submissions/", f"{base}team/",
                            f"{base}discussion/new/",
                            f"/submissions/{scored.pk}/", f"/submissions/{failed.pk}/"]
    return pages


def _problems(page, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    answer = page.goto(url, wait_until="load")
    if answer is None or answer.status != 200:
        return [f"{url}: answered {answer.status if answer else 'nothing'}"]
    answer = page.evaluate(OVERFLOW)
    wide = answer["page"] > answer["width"] or answer["over"] or answer["scrolling"]
    return [f"{url}: {answer}"] if wide else []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_page_of_any_task_type_is_wider_than_its_viewport(live_server, browser, wide_world, viewport) -> None:
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=viewport == "phone")
    page = context.new_page()
    problems = [p for path in wide_world["public"] for p in _problems(page, live_server.url + path)]
    log_in(page, live_server.url)
    problems += [p for path in wide_world["member"] for p in _problems(page, live_server.url + path)]
    context.close()
    assert not problems, "\n".join(problems)


def test_the_metric_switcher_shows_the_chosen_metric_and_remembers_it(live_server, page, wide_world) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/c/w-detection/leaderboard/")
    visible = "() => [...document.querySelectorAll('.leaderboard thead th')].filter(th => th.offsetWidth).map(th => th.title)"
    shown = page.evaluate(visible)
    assert "map" in shown and "map_50" in shown and "mar_100" not in shown  # ranking metric + the first other
    assert page.locator(".leaderboard thead th[title=map]").inner_text() == "mAP"  # as the task names it, not MAP
    page.select_option("select[data-metric-switch]", label="AR@100")
    shown = page.evaluate(visible)
    assert "mar_100" in shown and "map_50" not in shown
    page.goto(f"{live_server.url}/c/w-detection/submissions/")  # the same competition's other table follows
    assert "Public AR@100" in page.evaluate(
        "() => [...document.querySelectorAll('table thead th')].filter(th => th.offsetWidth).map(th => th.textContent)")

