"""Real Chromium for the browser tests (Debian's package, driven by Playwright; never a downloaded browser)."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is required for browser tests: apt-get install chromium chromium-driver (make test does)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the
    # tests make are still plain synchronous calls, so allow them here only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()


@dataclass
class ParticipantPages:
    public: list[str]  # every page someone logged out reaches
    member: list[str]  # every page alice reaches once logged in

    def problems(self, context, base_url: str, check) -> list[str]:  # type: ignore[no-untyped-def]
        """check(page, url) on every page, logged out then in as alice; what each check found, in one list."""
        page = context.new_page()
        found = [problem for path in self.public for problem in check(page, base_url + path)]
        log_in(page, base_url)
        found += [problem for path in self.member for problem in check(page, base_url + path)]
        context.close()
        return found


PUBLIC_PAGES = ["/", "/c/topic/", "/c/topic/data/", "/c/topic/evaluation/", "/c/topic/rules/", "/c/topic/leaderboard/",
                "/c/topic/discussion/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
MEMBER_PAGES = ["/c/topic/submit/", "/c/topic/submissions/", "/c/topic/team/", "/accounts/profile/", "/accounts/password/",
                "/inbox/"]


@pytest.fixture
def participant_pages(competition, alice, bob) -> ParticipantPages:
    """A small world with something on every page (a long team name, a scored submission, invitations both ways)."""
    from discussions.services import post_create, topic_create
    from submissions import states
    from submissions.models import Submission
    from teams.services import invite_create, membership_join

    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    bobs = membership_join(competition=competition, user=bob, accept_rules=True)
    invite_create(membership=bobs, username="alice")  # alice's inbox: an invitation with its buttons
    team.name = ("A team with a very long name that goes on and on " * 2)[:100]
    team.save()
    submission = Submission.objects.create(competition=competition, team=team, submitted_by=alice, file="x.csv",
                                           status=states.SCORED, public_score=0.123456789, private_score=0.5,
                                           public_scores={"accuracy": 0.123456789}, private_scores={"accuracy": 0.5})
    invite = invite_create(membership=team.memberships.first())
    topic = topic_create(competition=competition, user=bob, title="A question with a long title " * 6,
                         body="Is `" + "a_long_identifier_" * 8 + "` allowed?\n\n```\n" + "code " * 60 + "\n```")
    post_create(topic=topic, user=competition.organizers.get(), body="> quoted\n\nYes, **it is**.")
    topic_page = topic.get_absolute_url()
    member = [*PUBLIC_PAGES[:7], *MEMBER_PAGES, f"/submissions/{submission.pk}/", f"/invites/{invite.token}/",
              topic_page, "/c/topic/discussion/new/"]
    return ParticipantPages(public=[*PUBLIC_PAGES, topic_page, "/u/alice/"], member=[*member, "/u/alice/", "/u/bob/"])


def log_in(page, base_url: str, username: str = "alice", password: str = "alice-pass-1") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
