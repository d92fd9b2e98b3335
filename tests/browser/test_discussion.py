"""The Discussion tab in real Chromium: a participant asks, an organizer answers and marks the answer, the asker
hears of it in the inbox; at a phone's width a long code block scrolls inside its post, not the page."""
from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_ask_answer_mark_and_hear_of_it(live_server, browser, competition, alice, organizer) -> None:
    asker = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    log_in(asker, live_server.url)
    asker.goto(f"{live_server.url}/c/topic/")
    asker.click("nav.tabs >> text=Discussion")
    asker.click("text=New topic")
    asker.fill("input[name=title]", "Can we use pretrained embeddings?")
    asker.fill("textarea[name=body]", "Like **GloVe**:\n\n```\n" + "x = load_vectors('glove.840B.300d.txt') " * 4 + "\n```")
    asker.click("button:has-text('Post the topic')")
    asker.wait_for_selector("h2:has-text('Can we use pretrained embeddings?')")
    assert asker.locator(".post-body strong").inner_text() == "GloVe"
    width = asker.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the topic page scrolls sideways at 390 px: {width}"

    answerer = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(answerer, live_server.url, "olga", "organizer-pass-1")
    answerer.goto(f"{live_server.url}/c/topic/discussion/")
    answerer.click("text=Can we use pretrained embeddings?")
    answerer.click(".post >> text=Quote")
    answerer.fill("textarea[name=body]", "Yes, if they are public.")
    answerer.click("button:has-text('Post the reply')")
    answer = answerer.locator(".post").nth(1)
    answer.locator(".badge.organizer").wait_for()
    assert "alice wrote:" in answer.locator("blockquote").inner_text()
    answer.locator("button:has-text('Mark as answer')").click()
    answerer.wait_for_selector(".answered-notice")
    assert "Answer" in answerer.locator(".post.answer .badge.answered").inner_text()

    asker.goto(f"{live_server.url}/inbox/")
    asker.click("text=olga replied in “Can we use pretrained embeddings?”")
    asker.wait_for_selector(".post.answer")
    assert asker.locator(".post.answer .post-body").inner_text().endswith("Yes, if they are public.")
