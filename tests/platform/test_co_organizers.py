"""Organizing is the permission: a staff user added to a competition's organizers by username manages that
competition, and only that one, in the admin (its page, inlines, submissions, teams, bundle import and export)
with no model permission granted by hand; whoever creates a competition organizes it."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from competitions.bundles import competition_export_bundle
from competitions.models import Competition
from tests.platform.test_admin_and_bundles import competition_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(db) -> Competition:
    now = timezone.now()
    return Competition.objects.create(slug="other", title="Other", task="text-classification",
                                      start_at=now, end_at=now + timedelta(days=3))


def test_a_staff_user_added_as_organizer_manages_that_competition_and_no_other(
        competition, organizer, other, tmp_path) -> None:
    assert not organizer.user_permissions.exists() and not organizer.is_superuser
    client = Client()
    client.force_login(organizer)
    index = client.get("/admin/").content.decode()
    assert "Competitions" in index and "permission to view or edit anything" not in index
    listing = client.get("/admin/competitions/competition/")
    assert listing.status_code == 200
    assert "/admin/competitions/competition/%d/change/" % competition.pk in listing.content.decode()
    assert "/admin/competitions/competition/%d/change/" % other.pk not in listing.content.decode()
    page = client.get(f"/admin/competitions/competition/{competition.pk}/change/")
    assert page.status_code == 200 and 'name="files-TOTAL_FORMS"' in page.content.decode()  # the inlines too
    assert client.get(f"/admin/competitions/competition/{other.pk}/change/").status_code == 302  # not theirs
    assert client.get("/admin/submissions/submission/").status_code == 200
    assert client.get("/admin/teams/team/").status_code == 200
    assert client.get("/admin/competitions/competition/add/").status_code == 403  # creating competitions: not theirs

    exported = client.post("/admin/competitions/competition/", {"action": "export_bundle",
                                                                "_selected_action": [competition.pk]})
    assert exported.status_code == 200 and exported["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert "topic/competition.yaml" in names and "topic/truth.csv" in names

    mine = competition_export_bundle(competition=competition, path=tmp_path / "mine.zip")
    theirs = competition_export_bundle(competition=other, path=tmp_path / "theirs.zip")
    refused = client.post("/admin/competitions/competition/import/",
                          {"bundle": SimpleUploadedFile("theirs.zip", theirs.read_bytes())})
    assert refused.status_code == 200 and "a competition you do not organize" in refused.content.decode()
    imported = client.post("/admin/competitions/competition/import/",
                           {"bundle": SimpleUploadedFile("mine.zip", mine.read_bytes())})
    assert imported.status_code == 302, imported.content.decode()[:2000]


def test_whoever_creates_a_competition_organizes_it(admin_client, admin_user, django_user_model, tmp_path) -> None:
    form = competition_form(b"id,label,Usage\n1,a,Public\n2,b,Private\n")
    assert form.get("organizers", "") == ""  # the Organizers field left empty
    assert admin_client.post("/admin/competitions/competition/add/", form).status_code == 302
    assert list(Competition.objects.get(slug="new").organizers.all()) == [admin_user]


def test_an_imported_competition_has_the_organizers_its_importer_names(django_user_model, text_bundle) -> None:
    django_user_model.objects.create_user("ines", password="ines-pass-1")
    call_command("import_competition", str(text_bundle.path), "--organizer", "ines", stdout=io.StringIO())
    assert [u.username for u in Competition.objects.get().organizers.all()] == ["ines"]
