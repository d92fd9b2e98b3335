"""At a phone's width (390×844) no page a participant can reach scrolls sideways, logged in or out."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const over = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) return false;
    for (let p = el.parentElement; p; p = p.parentElement) {  // inside a box that scrolls by itself: fine
      const style = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX) && p.getBoundingClientRect().right <= width + 1) return false;
    }
    return true;
  }).slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, over};
}"""


def _check(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = page.evaluate(WIDE)
    return [] if found["scroll"] <= found["width"] and not found["over"] else [f"{url}: {found}"]


def test_no_page_scrolls_sideways_on_a_phone(live_server, browser, participant_pages) -> None:
    problems = participant_pages.problems(browser.new_context(viewport=PHONE, is_mobile=True), live_server.url, _check)
    assert not problems, "\n".join(problems)


def test_accessible_names_and_states(live_server, page, competition) -> None:
    """The sign-up form's descriptions exist, the active tab is marked current, live regions are announced."""
    page.goto(f"{live_server.url}/accounts/signup/")
    described = page.evaluate("""() => [...document.querySelectorAll('[aria-describedby]')].flatMap(el =>
        el.getAttribute('aria-describedby').split(' ').filter(id => !document.getElementById(id)))""")
    assert described == [], f"aria-describedby points at missing elements: {described}"
    assert page.locator("label[for=id_username]").count() == 1
    page.goto(f"{live_server.url}/c/topic/leaderboard/")
    assert page.locator('.tabs a[aria-current="page"]').inner_text() == "Leaderboard"
    assert page.locator('[aria-live="polite"]').count() >= 1
