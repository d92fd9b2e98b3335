"""axe-core (the npm package, `make axe`) over every page a participant reaches, logged in and out, on a desktop
and at a phone's width: no serious or critical violation."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v =>
    v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + ((n.any[0] || {}).message || '').slice(0, 160)).join(' | '));
}"""


def _violations(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    return [f"{url}: {found}" for found in page.evaluate(RUN_AXE)]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_no_page_has_a_serious_accessibility_violation(live_server, browser, participant_pages, viewport) -> None:
    if not AXE.is_file():
        pytest.fail("axe-core is required for this test: `make axe` (make test does) installs it with npm")
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe is injected as a script
    problems = participant_pages.problems(context, live_server.url, _violations)
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_violation_where_there_is_one(live_server, browser) -> None:
    """axe itself is live: an image without alternative text on a real page is reported."""
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("() => { const img = document.createElement('img'); img.src = '/static/podium/favicon.svg';"
                  " document.querySelector('main').append(img); }")
    page.add_script_tag(path=str(AXE))
    assert any(found.startswith("image-alt") for found in page.evaluate(RUN_AXE))


SHAPES = r"""() => [...document.querySelectorAll('time')].map(el => ({
  text: el.textContent.trim().replace(/\d/g, '9'), title: el.title}))"""


def test_every_time_reads_one_way_with_utc_on_hover(live_server, page, participant_pages) -> None:
    log_in(page, live_server.url)
    shapes, titles = set(), []
    for path in participant_pages.member:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        for found in page.evaluate(SHAPES):
            shapes.add(found["text"])
            titles.append(found["title"])
    assert len(titles) >= 8
    assert len(shapes) == 1, shapes  # one format, in the viewer's time zone
    assert all(__import__("re").fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", title) for title in titles), titles
