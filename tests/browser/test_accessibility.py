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
    v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n =>
      n.target.join(' ') + ' ' + ((n.any[0] || {}).message || '').slice(0, 160)).join(' | '));
}"""


def _violations(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    return [f"{url}: {found}" for found in page.evaluate(RUN_AXE)]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
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
    page.evaluate(
        "() => { const img = document.createElement('img'); img.src = '/static/podium/favicon.svg';"
        " document.querySelector('main').append(img); }"
    )
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


CHART_TIMES = r"""() => [...document.querySelectorAll('svg.chart [data-utc]')].map(el => ({
  utc: el.dataset.utc, tag: el.tagName, text: el.firstChild.textContent,
  hover: el.tagName === 'title' ? '' : (el.querySelector('title') || {}).textContent || null}))"""


def test_a_charts_times_are_in_the_viewers_time_zone_with_utc_on_hover(live_server, browser, participant_pages) -> None:
    """Chart labels and points read like every other time on the site: local, UTC on hover (here UTC+05:30)."""
    from datetime import datetime, timedelta

    context = browser.new_context(timezone_id="Asia/Kolkata")
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/c/topic/submissions/")
        page.wait_for_load_state("networkidle")
        found = page.evaluate(CHART_TIMES)
        shown = page.evaluate("() => [...document.querySelectorAll('time')].map(el => [el.textContent, el.title])")
    finally:
        context.close()
    assert {item["tag"] for item in found} == {"text", "title"}, found  # a time label and a point
    for item in found:
        local = (datetime.fromisoformat(item["utc"]) + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M")
        utc = datetime.fromisoformat(item["utc"]).strftime("%Y-%m-%d %H:%M UTC")
        if item["tag"] == "text":
            assert (item["text"], item["hover"]) == (local, utc)
        else:
            assert item["text"].endswith(f" at {local} ({utc})"), item
    assert shown and all(text != title.removesuffix(" UTC") for text, title in shown)  # the page's times moved too
