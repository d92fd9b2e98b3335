"""No existence oracle: for anyone who may not see a draft, every answer about it is byte for byte the answer
for a slug that does not exist, on every route that takes a slug, whatever the method or the declared size."""
from __future__ import annotations

import re
import threading

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

pytestmark = pytest.mark.django_db

DRAFT, MISSING = "topic", "tqpic"  # the same length: answers may quote the path
SUBPATHS = {"path:name": "test.csv", "int:topic_id": "1", "int:post_id": "1"}
IGNORED_HEADERS = {"Date", "Set-Cookie"}
# Django masks the CSRF token afresh in every response: the one part of a page that differs by design.
CSRF = re.compile(rb'(csrfmiddlewaretoken" value="|csrf-token" content=")[^"]+')


def _slug_routes() -> list[str]:
    """Every URL pattern that takes a slug, with its other parts filled in: the test follows new routes."""
    routes: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            elif "<slug:slug>" in text:
                for name, value in SUBPATHS.items():
                    text = text.replace(f"<{name}>", value)
                assert "<" not in text.replace("<slug:slug>", ""), f"fill in the parts of {text}"
                routes.append("/" + text.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return routes


REQUESTS = [
    ("GET", {}), ("HEAD", {}), ("POST", {}), ("PUT", {}), ("DELETE", {}),
    ("POST", {"CONTENT_LENGTH": str(1900 * 1024 * 1024), "CONTENT_TYPE": "multipart/form-data; boundary=x"}),
    ("POST", {"CONTENT_LENGTH": str(300 * 1024 * 1024), "CONTENT_TYPE": "multipart/form-data; boundary=x"}),
]


def _answer(client: Client, method: str, path: str, meta: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    response = client.generic(method, path, b"", **meta)
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    headers = {name: value.replace(MISSING, DRAFT) for name, value in response.headers.items()
               if name not in IGNORED_HEADERS}
    return response.status_code, headers, CSRF.sub(rb"\1-", body.replace(MISSING.encode(), DRAFT.encode()))


@pytest.fixture
def draft(competition):
    competition.published_at = None
    competition.submission_kinds = ["predictions", "model"]
    competition.max_model_mb = 2048
    competition.save()
    return competition


@pytest.mark.parametrize("who", ["anonymous", "participant", "staff"])
def test_every_answer_about_a_hidden_draft_is_the_answer_for_no_competition(draft, who: str, alice,
                                                                            django_user_model) -> None:
    client = Client()
    if who == "participant":
        client.force_login(alice)
    elif who == "staff":  # staff, but not one of its organizers
        client.force_login(django_user_model.objects.create_user("stan", password="stan-pass-1", is_staff=True))
    routes = _slug_routes()
    assert len(routes) >= 20
    for path in routes:
        for method, meta in REQUESTS:
            hidden = _answer(client, method, path.replace("<slug:slug>", DRAFT), meta)
            missing = _answer(client, method, path.replace("<slug:slug>", MISSING), meta)
            assert hidden == missing, (who, method, path, meta)


async def _stream_answer(client: AsyncClient, path: str) -> tuple[int, bytes]:
    response = await client.get(path)
    return response.status_code, CSRF.sub(rb"\1-", response.content.replace(MISSING.encode(), DRAFT.encode()))


@pytest.mark.django_db(transaction=True)
def test_event_streams_served_by_the_asgi_handler_answer_alike(draft, alice) -> None:
    """Under the ASGI server a stream route checks the viewer before it streams: a hidden draft's is a 404 too."""
    streams = [path for path in _slug_routes() if path.endswith("/events/")]
    assert len(streams) == 2

    async def answers() -> list[tuple[str, str, tuple[int, bytes], tuple[int, bytes]]]:
        client, seen = AsyncClient(), []
        for who in ("anonymous", "participant"):
            if who == "participant":
                await client.aforce_login(alice)
            for path in streams:
                seen.append((who, path, await _stream_answer(client, path.replace("<slug:slug>", DRAFT)),
                             await _stream_answer(client, path.replace("<slug:slug>", MISSING))))
        return seen

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    results: list[list[tuple[str, str, tuple[int, bytes], tuple[int, bytes]]]] = []
    worker = threading.Thread(target=lambda: results.append(async_to_sync(answers)()))
    worker.start()
    worker.join(timeout=120)
    assert results, "the ASGI requests did not finish"
    for who, path, hidden, missing in results[0]:
        assert hidden == missing and hidden[0] == 404, (who, path)
