"""The Data tab: every file described, CSV previews within fixed bounds, folders summed up, one streamed zip."""
from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from competitions.data_files import CHUNK_BYTES, PREVIEW_BYTES, PREVIEW_CELL
from competitions.models import CompetitionFile

pytestmark = pytest.mark.django_db


def _add(competition, name: str, content: bytes, description: str = "") -> CompetitionFile:
    item = CompetitionFile(competition=competition, name=name, description=description)
    item.file.save(name, ContentFile(content), save=False)
    item.save()
    return item


def _zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_each_file_has_a_description_and_each_csv_a_preview(client, competition, alice_joined) -> None:
    _add(competition, "notes.md", b"# Notes", description="How the texts were collected.")
    for index in range(30):
        _add(competition, f"images/{index:03}.png", b"\x89PNG fake")
    client.force_login(alice_joined.user)
    page = client.get("/c/topic/data/").content.decode()
    assert "How the texts were collected." in page  # the organizer's own
    assert "Training data, with the labels." in page and "The test inputs: predict these." in page
    assert "A valid submission in the expected format" in page
    assert "30 images" in page and page.count(">images/0") == 30  # one entry for the folder, its files inside
    first_train_line = (competition.files.get(name="train.csv").file.open("rb").read().decode().splitlines()[1])
    first_cell = next(iter(__import__("csv").reader([first_train_line])))[0]
    assert f"<td>{first_cell[:PREVIEW_CELL - 1]}" in page
    assert page.count('class="data-preview"') == 3  # train, test, sample_submission
    assert "Download all" in page


def test_a_huge_one_line_csv_costs_the_page_nothing(client, competition, alice_joined) -> None:
    _add(competition, "huge.csv", b"a" * (PREVIEW_BYTES * 40))
    _add(competition, "wide.csv", (",".join(f"column_{i}" for i in range(40)) + "\n" + "x" * 500 + ",1\n").encode())
    client.force_login(alice_joined.user)
    response = client.get("/c/topic/data/")
    page = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < 40_000
    assert "aaaaaaaaaa" * 10 not in page
    assert "and 28 more columns" in page and "x" * PREVIEW_CELL not in page


def test_download_all_is_one_streamed_zip_of_every_file(client, competition, alice_joined) -> None:
    big = os.urandom(3 * CHUNK_BYTES + 17)
    _add(competition, "images/big.png", big)
    client.force_login(alice_joined.user)
    response = client.get("/c/topic/data/all.zip")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="topic-data.zip"'
    chunks = list(response.streaming_content)
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES + 64 * 1024  # written as it is sent
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == sorted(f"topic/{f.name}" for f in competition.files.all())
    for item in competition.files.all():
        assert archive.read(f"topic/{item.name}") == item.file.open("rb").read()
    assert archive.getinfo("topic/images/big.png").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("topic/train.csv").compress_type == zipfile.ZIP_DEFLATED


def test_only_members_who_accepted_the_rules_get_the_zip(client, competition, alice, bob) -> None:
    assert client.get("/c/topic/data/all.zip").status_code in (302, 404)
    client.force_login(bob)
    assert client.get("/c/topic/data/all.zip").status_code == 404
    page = client.get("/c/topic/data/").content.decode()
    assert "Download all" not in page and "<td>" not in page  # no previews before joining either


def test_the_api_serves_the_zip_and_describes_each_file(competition, alice_joined, bob) -> None:
    api = APIClient()
    api.force_authenticate(bob)
    refused = api.get("/api/v1/competitions/topic/files.zip")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not-joined"
    api.force_authenticate(alice_joined.user)
    listed = api.get("/api/v1/competitions/topic/files/").json()
    assert {entry["name"]: entry["description"] for entry in listed}["test.csv"] == "The test inputs: predict these."
    response = api.get("/api/v1/competitions/topic/files.zip")
    assert response.status_code == 200
    assert sorted(_zip_of(response).namelist()) == sorted(f"topic/{entry['name']}" for entry in listed)
