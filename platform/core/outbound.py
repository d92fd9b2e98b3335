"""The one way out to the internet: every request Podium itself sends (webhooks today) goes through `post`.

- The URL is parsed once, by urllib3 (the library that connects): the pool is built from its host and port,
  the request line from its path, so no second parser can read it differently (`http://a\\@b/` is one host
  to one parser and another to the next). Credentials, backslashes, whitespace, numeric host forms other
  than dotted quads, and names that only mean this machine are refused when the organizer saves the URL.
- The address is checked when the socket is opened: the name is resolved there, each address is checked
  before it is connected to, and only a checked address is connected to. No lookup is made earlier, so a
  name that answers a public address first and 127.0.0.1 next (DNS rebinding) reaches nothing private.
- Redirects are not followed. A refusal (`Refused`) is permanent: the caller does not retry it.
- What the organizer sees says "refused", "timed out" or "HTTP <status>", never which of a closed port,
  a filtered one or an unknown name it met: every failure to connect reads "timed out".
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, LocationParseError
from urllib3.util import parse_url

MAX_URL_CHARS = 500
TIMED_OUT = "timed out"
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class Refused(Exception):
    """Podium will not send there (the URL's form or its address): permanent, shown to the organizer."""


class Unreachable(Exception):
    """No answer: the same words whatever the reason, so that the outcome says nothing of a private network."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    request_uri: str


def parse(url: str, *, allow_private: bool = False) -> Target:
    """The URL as urllib3 reads it, or Refused with a message saying what is wrong with it.

    `allow_private` (PODIUM_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks) leaves out only the address
    check; the grammar is the same."""
    if len(url) > MAX_URL_CHARS:
        raise Refused(f"the URL is longer than {MAX_URL_CHARS} characters")
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise Refused("the URL holds spaces or control characters")
    if "\\" in url:
        raise Refused("the URL holds a backslash, which URL parsers read differently")
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise Refused("the URL cannot be parsed") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http:// and https:// URLs are accepted")
    if parts.auth is not None or "@" in (parts.netloc or ""):
        raise Refused("the URL holds credentials (user:password@); put a secret in the path or verify the signature")
    host = (parts.host or "").strip("[]").lower().rstrip(".")
    if not host:
        raise Refused("the URL has no host")
    _check_host_form(host, allow_private)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Target(parts.scheme, host, port, parts.request_uri)


def _check_host_form(host: str, allow_private: bool) -> None:
    if not allow_private and (host in LOCAL_NAMES or host.endswith(".localhost")):
        raise Refused(f"{host[:80]} is this machine")
    if all(part.isdigit() for part in host.split(".")) or host.startswith("0x") or ".0x" in host:
        # A dotted quad is fine; 2130706433, 0177.1 or 0x7f.1 are the same loopback to some resolvers.
        if any(len(part) > 1 and part.startswith("0") and part.isdigit() for part in host.split(".")):
            raise Refused(f"{host[:80]} is written with leading zeros, which some resolvers read as octal")
        try:
            literal = ipaddress.IPv4Address(host)
        except ValueError:
            raise Refused(f"{host[:80]} is not a host name or a dotted IPv4 address") from None
        if not allow_private:
            _check_address(literal)
        return
    if ":" in host:
        try:
            literal6 = ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise Refused(f"{host[:80]} is not a valid IPv6 address") from None
        if not allow_private:
            _check_address(literal6)


def _check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        raise Refused(f"{address} is a private, loopback or reserved address")


def url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """What is wrong with an organizer's URL, for a form: None when Podium would send to it."""
    try:
        parse(url, allow_private=allow_private)
    except Refused as exc:
        return str(exc)
    return None


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool = False) -> int:
    """POST `body` once, without following redirects; the status, or Refused / Unreachable."""
    target = parse(url, allow_private=allow_private)
    pool_class = _CheckedHTTPSPool if target.scheme == "https" else _CheckedHTTPPool
    pool = pool_class(target.host, target.port, maxsize=1, retries=False,
                      timeout=urllib3.Timeout(connect=timeout, read=timeout))
    pool.allow_private = allow_private
    try:
        response = pool.urlopen("POST", target.request_uri, body=body, headers=headers, redirect=False,
                                retries=False, preload_content=False, assert_same_host=False)
        status = response.status
        response.release_conn()
        return status
    except HTTPError:
        raise Unreachable(TIMED_OUT) from None
    finally:
        pool.close()


def _open_checked(host: str, port: int, timeout: float | None, allow_private: bool) -> socket.socket:
    """Resolve `host` here, and connect only to an address that passed the check (tried in the resolver's order)."""
    try:
        candidates = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise Unreachable(TIMED_OUT) from None
    refused = ""
    for family, kind, proto, _, address in candidates:
        if not allow_private:
            try:
                _check_address(ipaddress.ip_address(str(address[0]).split("%")[0]))
            except Refused:
                refused = str(address[0])
                continue
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            continue
        return sock
    if refused:
        raise Refused(f"{host[:80]} resolves to {refused}, a private, loopback or reserved address")
    raise Unreachable(TIMED_OUT)


class _Checked:
    """Opens its socket with `_open_checked` (urllib3 calls `_new_conn` for every connection it makes)."""

    allow_private = False

    def _new_conn(self) -> socket.socket:
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else None  # type: ignore[attr-defined]  # urllib3's connection, mixed in
        return _open_checked(self._dns_host, self.port, timeout, self.allow_private)  # type: ignore[attr-defined]  # as above


class _CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class _PoolOfChecked:
    """Hands its `allow_private` to each connection it makes."""

    allow_private = False

    def _new_conn(self) -> Any:  # the pool's own connection class, HTTP or HTTPS
        conn = super()._new_conn()  # type: ignore[misc]  # urllib3's pool, mixed in
        conn.allow_private = self.allow_private
        return conn


class _CheckedHTTPPool(_PoolOfChecked, HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(_PoolOfChecked, HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection
