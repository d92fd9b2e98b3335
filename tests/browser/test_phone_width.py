"""At a phone's width (390×844) no page a participant can reach scrolls sideways, logged in or out."""
from __future__ import annotations

import pytest

from submissions import states
from submissions.models import Submission
from teams.services import invite_create, membership_join

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PUBLIC_PAGES = ["/", "/c/topic/", "/c/topic/data/", "/c/topic/evaluation/", "/c/topic/rules/", "/c/topic/leaderboard/",
                "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
MEMBER_PAGES = ["/c/topic/submit/", "/c/topic/submissions/", "/c/topic/team/", "/accounts/profile/", "/accounts/password/",
                "/inbox/"]

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


def test_no_page_scrolls_sideways_on_a_phone(live_server, browser, competition, alice, bob) -> None:
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    bobs = membership_join(competition=competition, user=bob, accept_rules=True)
    invite_create(membership=bobs, username="alice")  # alice's inbox: an invitation with its buttons
    long_name = "A team with a very long name that goes on and on " * 2
    team.name = long_name[:100]
    team.save()
    submission = Submission.objects.create(competition=competition, team=team, submitted_by=alice, file="x.csv",
                                           status=states.SCORED, public_score=0.123456789, private_score=0.5,
                                           public_scores={"accuracy": 0.123456789}, private_scores={"accuracy": 0.5})
    invite = invite_create(membership=team.memberships.first())
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    problems = []
    for path in PUBLIC_PAGES:
        problems += _check(page, live_server.url + path)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-pass-1")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in [*PUBLIC_PAGES[:6], *MEMBER_PAGES, f"/submissions/{submission.pk}/", f"/invites/{invite.token}/"]:
        problems += _check(page, live_server.url + path)
    context.close()
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
