"""A crawl that posts malformed values to every HTML form a participant can reach: nothing answers 500."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from submissions.models import Submission

pytestmark = pytest.mark.django_db
MALFORMED = ["", "x" * 10_000, "-1", "99999999999999999999", "\x00", "<script>", "1e309", "../../etc/passwd", "🦆"]


class Forms(HTMLParser):
    """Every form of a page: its action, method and the names of its fields (file fields apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"action": found.get("action") or "", "method": (found.get("method") or "get").lower(),
                               "fields": [], "files": [], "choices": {}})
        elif tag in ("input", "select", "textarea") and self.forms and found.get("name"):
            kind = "files" if found.get("type") == "file" else "fields"
            if found["name"] != "csrfmiddlewaretoken":
                self.forms[-1][kind].append(found["name"])
            if found.get("type") == "hidden" and found.get("value"):  # e.g. action=revoke: the branch to reach
                self.forms[-1]["choices"][found["name"]] = found["value"]


def _forms(client: Client, path: str) -> list[dict]:
    parser = Forms()
    parser.feed(client.get(path).content.decode())
    return [{**form, "action": urljoin(path, form["action"]) if form["action"] else path} for form in parser.forms]


@pytest.fixture
def pages(competition, alice, alice_joined) -> list[str]:
    competition.submission_kinds = ["predictions", "model"]
    competition.save()
    from accounts.services import token_issue

    scored = Submission.objects.create(competition=competition, team=alice_joined.team, file="x.csv", status="scored",
                                       public_score=0.5, public_scores={"accuracy": 0.5})
    token_issue(user=alice, name="crawl")  # the profile page then has a revoke form too
    from discussions.services import post_create, topic_create

    topic = topic_create(competition=competition, user=alice, title="A question", body="Is **this** allowed?")
    reply = post_create(topic=topic, user=competition.organizers.get(), body="Yes.")
    return ["/", "/c/topic/", "/c/topic/data/", "/c/topic/evaluation/", "/c/topic/rules/", "/c/topic/leaderboard/",
            "/c/topic/submit/", "/c/topic/team/", "/c/topic/submissions/", f"/submissions/{scored.pk}/",
            "/accounts/profile/", "/accounts/signup/", "/accounts/login/", "/c/topic/discussion/",
            "/c/topic/discussion/new/", topic.get_absolute_url(), f"{topic.get_absolute_url()}?quote={reply.pk}",
            f"/c/topic/discussion/posts/{topic.posts.first().pk}/edit/"]


def test_no_form_answers_500_to_malformed_values(pages: list[str], alice, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: None)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    posted = 0
    for page in pages:
        for form in _forms(client, page):
            if form["method"] != "post":
                continue
            for value in MALFORMED:
                # Every field malformed; then the form's own `action` kept, so each branch of its view is reached.
                for keep in ({}, {k: v for k, v in form["choices"].items() if k == "action"}):
                    data = {name: value for name in form["fields"]}
                    data.update(keep)
                    data.update({name: SimpleUploadedFile("f.csv", value.encode("utf-8", "replace")) for name in form["files"]})
                    answer = client.post(form["action"], data)
                    assert answer.status_code < 500, (page, form["action"], data.get("action"), repr(value[:20]), answer.status_code)
                    posted += 1
            client.force_login(alice)  # a form may have logged out or changed the team; the crawl goes on
    assert posted >= 60, f"only {posted} posts: the crawl found too few forms"
