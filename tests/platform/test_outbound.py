"""One way out: webhook URLs are parsed once, by the library that connects; odd forms are refused when saved;
the address is checked on the socket actually opened, so a name that answers a public address and then
127.0.0.1 reaches nothing; refusals are permanent; no outcome tells a closed port from a filtered one."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from notifications.models import READY, Webhook, WebhookDelivery
from notifications.organizers import WebhookFailed, webhook_deliver
from core import outbound

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"  # answered by the resolver stand-in; never connected to (the connect stand-in says so)


class Endpoint:
    """A real HTTP server on 127.0.0.1 that counts what reaches it and answers `status`."""

    def __init__(self, status: int = 200, location: str = "") -> None:
        self.hits: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                endpoint.hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            do_GET = do_POST  # noqa: N815 - a followed redirect would GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.server.shutdown()


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A resolver stand-in for rebind.example: a public address on the first lookup, 127.0.0.1 on every later
    one; connecting to the public address times out at once, without a packet sent."""
    real_lookup, real_connect = socket.getaddrinfo, socket.socket.connect
    lookups: list[str] = []

    def lookup(host: str, port: object, *args: object, **kwargs: object) -> list:
        if host != "rebind.example":
            return real_lookup(host, port, *args, **kwargs)  # type: ignore[arg-type]
        lookups.append(PUBLIC if not lookups else "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (lookups[-1], int(port)))]  # type: ignore[call-overload]

    def connect(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple) and address[0] == PUBLIC:
            raise TimeoutError("timed out")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return lookups


def _delivery(competition, url: str) -> WebhookDelivery:
    hook = Webhook.objects.create(competition=competition, url=url)  # as saved before the form checked it
    return WebhookDelivery.objects.create(webhook=hook, event=READY, payload={"event": READY})


@pytest.mark.parametrize("url, says", [
    ("http://127.0.0.1:18995\\@1.1.1.1/hook", "backslash"),
    ("http://user:secret@hooks.example.com/x", "credentials"),
    ("http://hooks.example.com@127.0.0.1/x", "credentials"),
    ("http://localhost:8000/x", "this machine"),
    ("http://api.localhost/x", "this machine"),
    ("http://127.0.0.1/x", "private, loopback or reserved"),
    ("http://169.254.169.254/latest/meta-data/", "private, loopback or reserved"),
    ("http://10.0.0.7/x", "private, loopback or reserved"),
    ("http://[::1]/x", "private, loopback or reserved"),
    ("http://[::ffff:127.0.0.1]/x", "private, loopback or reserved"),
    ("http://2130706433/x", "not a host name or a dotted IPv4"),
    ("http://0x7f.0.0.1/x", "not a host name or a dotted IPv4"),
    ("http://0177.0.0.1/x", "leading zeros"),
    ("http://hooks.example.com/a b", "spaces"),
    ("ftp://hooks.example.com/x", "only http:// and https://"),
])
def test_an_odd_or_private_url_is_refused_when_saved_with_a_message(competition, url: str, says: str) -> None:
    hook = Webhook(competition=competition, url=url)
    with pytest.raises(ValidationError) as refused:
        hook.full_clean()
    assert says in " ".join(refused.value.message_dict["url"])


def test_a_public_url_is_accepted_when_saved(competition) -> None:
    Webhook(competition=competition, url="https://hooks.example.com/podium?team=1").full_clean()


def test_the_backslash_bypass_reaches_nothing(competition, endpoint: Endpoint) -> None:
    delivery = _delivery(competition, f"http://127.0.0.1:{endpoint.port}\\@1.1.1.1/hook")
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert endpoint.hits == [] and delivery.last_error == "refused: the URL holds a backslash, which URL parsers read differently"


def test_a_name_that_rebinds_to_loopback_reaches_nothing(competition, endpoint: Endpoint, rebinding: list[str]) -> None:
    delivery = _delivery(competition, f"http://rebind.example:{endpoint.port}/hook")
    with pytest.raises(WebhookFailed):
        webhook_deliver(delivery_id=delivery.pk)  # one lookup (public), connected to that very address: no answer
    assert rebinding == [PUBLIC]
    delivery.refresh_from_db()
    assert delivery.last_error == "timed out"
    assert webhook_deliver(delivery_id=delivery.pk) is False  # the next lookup says 127.0.0.1: refused, for good
    assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert rebinding == [PUBLIC, "127.0.0.1"] and delivery.attempts == 2
    assert delivery.last_error.startswith("refused: rebind.example resolves to 127.0.0.1")
    assert endpoint.hits == []


def test_a_closed_port_and_a_filtered_one_read_the_same(settings, competition, rebinding: list[str]) -> None:
    settings.PODIUM_WEBHOOK_ALLOW_PRIVATE = True  # so that the connections are tried at all
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: the connection is refused at once
    errors = []
    for url in (f"http://127.0.0.1:{port}/hook", f"http://rebind.example:{port}/hook"):  # refused / timed out
        delivery = _delivery(competition, url)
        with pytest.raises(WebhookFailed):
            webhook_deliver(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        errors.append(delivery.last_error)
    assert errors == ["timed out", "timed out"]


def test_a_redirect_is_not_followed(settings, competition) -> None:
    settings.PODIUM_WEBHOOK_ALLOW_PRIVATE = True
    target = Endpoint()
    redirecting = Endpoint(302, location=f"http://127.0.0.1:{target.port}/elsewhere")
    try:
        delivery = _delivery(competition, f"http://127.0.0.1:{redirecting.port}/hook")
        with pytest.raises(WebhookFailed, match="HTTP 302"):
            webhook_deliver(delivery_id=delivery.pk)
        assert redirecting.hits == ["/hook"] and target.hits == []
    finally:
        target.server.shutdown()
        redirecting.server.shutdown()


def test_the_url_is_parsed_once_by_the_library_that_connects() -> None:
    target = outbound.parse("https://Hooks.Example.com:8443/a/b?x=1#frag")
    assert (target.scheme, target.host, target.port, target.request_uri) == ("https", "hooks.example.com", 8443, "/a/b?x=1")
