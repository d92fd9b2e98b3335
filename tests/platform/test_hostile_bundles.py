"""Hostile competition bundles uploaded in the admin: each refused with a message, nothing created, nothing written outside."""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from competitions.models import Competition

pytestmark = pytest.mark.django_db


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _understated() -> bytes:
    """A zip whose headers claim its entry expands to 10 bytes; it holds a megabyte."""
    data = bytearray(_zip({"b/competition.yaml": b"x" * 1024 * 1024}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 10)  # local header: uncompressed size
    struct.pack_into("<I", data, central + 24, 10)  # central directory: uncompressed size
    return bytes(data)


def _meta(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return _zip({"b/competition.yaml": raw, "b/truth.csv": b"id,label,Usage\n1,a,Public\n"})


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
) + "slug: laughs\ntitle: *i\ntask: text-classification\n"

HOSTILE = {
    "zip bomb": (_zip({"b/truth.csv": b"0" * (64 * 1024 * 1024)}), "zip bomb"),
    "understated sizes": (_understated(), "cannot be read"),
    "path traversal": (_zip({"../../podium-escape.txt": b"escaped"}), "points outside"),
    "absolute path": (_zip({"/tmp/podium-escape-absolute.txt": b"escaped"}), "points outside"),
    "not a zip": (bytes(range(256)) * 100, "neither a folder nor a .zip"),
    "truncated zip": (_zip({"b/competition.yaml": b"slug: x\n" * 5000})[:700], ""),
    "billion laughs": (_meta(LAUGHS), "wrong type"),
    "deeply nested yaml": (_meta("slug: " + "[" * 50_000 + "]" * 50_000), "competition.yaml"),
    "python tag": (_meta("slug: !!python/object/apply:os.system ['touch /tmp/podium-pwned']\n"), "cannot be parsed"),
    "yaml list": (_meta("- slug\n- title\n"), "must be a mapping"),
    "latin-1 yaml": (_meta("slug: x\ntitle: caf\xe9\n".encode("latin-1")), "cannot be parsed"),
}


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-1"))
    return client


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_bundle_is_refused_with_a_message(name: str, superuser_client: Client) -> None:
    data, message = HOSTILE[name]
    response = superuser_client.post("/admin/competitions/competition/import/",
                                     {"bundle": SimpleUploadedFile("bundle.zip", data, content_type="application/zip")})
    assert response.status_code == 200
    problems = response.context["problems"]
    assert problems and message in " ".join(problems), problems
    assert not Competition.objects.exists()
    for escaped in ("/tmp/podium-escape-absolute.txt", "/tmp/podium-pwned"):
        assert not Path(escaped).exists()
