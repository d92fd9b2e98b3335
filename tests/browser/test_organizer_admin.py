"""Organizers in real Chromium: the Markdown preview follows what is typed, the model limits are labelled boxes,
and an inbox invitation is accepted with one click."""
from __future__ import annotations

import pytest

from teams.models import Membership
from teams.services import invite_create, membership_join
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_markdown_preview_follows_the_organizers_typing(live_server, page, competition, django_user_model) -> None:
    django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    log_in(page, live_server.url, "root", "root-pass-1")
    page.goto(f"{live_server.url}/admin/competitions/competition/{competition.pk}/change/")
    page.fill("#id_rules", "## House rules\n\n*One* account each. <script>window.owned = 1</script>")
    preview = page.locator("#id_rules + .markdown-preview")
    preview.locator("h2", has_text="House rules").wait_for()
    assert preview.locator("em").inner_text() == "One"
    assert page.evaluate("() => window.owned") is None  # sanitized: the script neither shows nor runs
    assert page.locator(".model-limits label").count() == 9
    assert page.locator('.truth-formats details[data-task="text-classification"]').get_attribute("open") is not None
    page.select_option("#id_task", "detection")
    assert page.locator('.truth-formats details[data-task="detection"]').get_attribute("open") is not None
    assert page.locator('.truth-formats details[data-task="text-classification"]').get_attribute("open") is None
    assert page.get_by_label("Wall-clock seconds").count() == 1


def test_the_metric_list_offers_only_the_chosen_tasks_metrics(live_server, page, competition, django_user_model) -> None:
    django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    log_in(page, live_server.url, "root", "root-pass-1")
    page.goto(f"{live_server.url}/admin/competitions/competition/{competition.pk}/change/")

    def offered() -> set[str]:
        return set(page.eval_on_selector_all("#id_metric option", "options => options.filter(o => !o.hidden)"
                                                                  ".map(o => o.value)"))

    assert offered() == {"", "accuracy", "macro_f1", "micro_f1", "weighted_f1"}  # no Dice for a text competition
    page.select_option("#id_metric", "macro_f1")
    page.select_option("#id_task", "segmentation")
    assert "dice" in offered() and "macro_f1" not in offered()
    assert page.eval_on_selector("#id_metric", "select => select.value") == ""  # a metric that no longer ranks it


def test_an_invitation_is_accepted_from_the_inbox(live_server, page, competition, alice, bob) -> None:
    alices = membership_join(competition=competition, user=alice, accept_rules=True)
    invite_create(membership=alices, username="bob")
    log_in(page, live_server.url, "bob", "bob-pass-1")
    page.goto(f"{live_server.url}/c/topic/")
    page.click("text=Inbox")
    page.click("button:has-text('Accept')")
    # bob has not joined: he is shown the rules to accept first, never accepted for him unseen
    page.get_by_text("I have read and accept the rules").wait_for()
    assert "Be nice." in page.locator(".rules-box").inner_text()
    page.check("input[name=accept_rules]")
    page.click("button:has-text('Accept the invitation')")
    page.locator(".message.success").wait_for()
    assert Membership.objects.get(user=bob, competition=competition).team_id == alices.team_id
    assert "You are now on team" in page.content()
    page.goto(f"{live_server.url}/inbox/")
    assert "Invitation accepted." in page.content()
