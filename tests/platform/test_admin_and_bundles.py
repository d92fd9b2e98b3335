"""Organizers: truth validated on upload in the admin; bundles validated whole before import."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from competitions.models import Competition

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(django_user_model) -> Client:
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    client = Client()
    client.force_login(admin)
    return client


def competition_form(truth: bytes) -> dict:
    return {
        "title": "New",
        "slug": "new",
        "task": "text-classification",
        "subtitle": "",
        "overview": "",
        "evaluation": "",
        "rules": "",
        "start_at_0": "2026-01-01",
        "start_at_1": "00:00:00",
        "end_at_0": "2027-01-01",
        "end_at_1": "00:00:00",
        "reveal_at_0": "",
        "reveal_at_1": "",
        "daily_submission_limit": 5,
        "max_team_size": 5,
        "final_selection_limit": 2,
        "max_submission_mb": 10,
        "max_model_mb": 2048,
        "daily_upload_mb": 10240,
        "submission_kinds": ["predictions"],
        "classes": "",
        "truth_file": SimpleUploadedFile("truth.csv", truth),
        "files-TOTAL_FORMS": 0,
        "files-INITIAL_FORMS": 0,
        "files-MIN_NUM_FORMS": 0,
        "files-MAX_NUM_FORMS": 1000,
        "webhooks-TOTAL_FORMS": 0,
        "webhooks-INITIAL_FORMS": 0,
        "webhooks-MIN_NUM_FORMS": 0,
        "webhooks-MAX_NUM_FORMS": 1000,
        "phases-TOTAL_FORMS": 0,
        "phases-INITIAL_FORMS": 0,
        "phases-MIN_NUM_FORMS": 0,
        "phases-MAX_NUM_FORMS": 1000,
    }


def test_a_malformed_truth_upload_is_refused_with_a_clear_message(admin_client: Client) -> None:
    response = admin_client.post("/admin/competitions/competition/add/", competition_form(b"id,label\n1,a\n"))
    assert response.status_code == 200
    assert "bad-header" in response.content.decode()
    assert not Competition.objects.exists()


def test_a_valid_truth_upload_creates_the_competition(admin_client: Client) -> None:
    truth = b"id,label,Usage\n1,a,Public\n2,b,Private\n"
    response = admin_client.post("/admin/competitions/competition/add/", competition_form(truth))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Competition.objects.get(slug="new").truth_file.read() == truth


def test_importing_a_bundle_creates_then_updates_by_slug(text_bundle, tmp_path: Path) -> None:
    call_command("import_competition", str(text_bundle.path))
    competition = Competition.objects.get(slug="topic-detective")
    assert competition.files.count() == 3 and competition.truth_file
    bundle = tmp_path / "b"
    shutil.copytree(text_bundle.path, bundle)
    (bundle / "competition.yaml").write_text((bundle / "competition.yaml").read_text().replace("Topic Detective", "Renamed"))
    call_command("import_competition", str(bundle))
    assert Competition.objects.get(slug="topic-detective").title == "Renamed"
    assert Competition.objects.count() == 1


def test_a_bad_bundle_lists_every_problem_and_changes_nothing(text_bundle, tmp_path: Path) -> None:
    bundle = tmp_path / "bad"
    shutil.copytree(text_bundle.path, bundle)
    (bundle / "competition.yaml").write_text("slug: bad\ntitle: 3\ntask: text-classification\ncolour: red\n")
    (bundle / "public" / "sample_submission.csv").write_text("id,label\nnot-an-id,food\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_competition", str(bundle))
    message = str(caught.value)
    assert "title has the wrong type" in message
    assert "unknown field 'colour'" in message
    assert "sample_submission.csv does not score" in message
    assert not Competition.objects.exists()


@pytest.mark.parametrize(
    "limits,says",
    [
        ({"confidence": "2"}, "confidence must be a number from 0 to 1"),
        ({"wall_seconds": "999999999"}, "wall_seconds must be a whole number from 1"),
        ({"memory_mb": "lots"}, "Enter a whole number"),
        ({"batch_size": "0"}, "batch_size must be a whole number from 1"),
    ],
)
def test_model_limits_and_settings_are_validated(admin_client: Client, limits: dict, says: str) -> None:
    form = competition_form(b"id,label,Usage\n1,a,Public\n2,b,Private\n")
    form.update({f"model_limits_{key}": value for key, value in limits.items()})
    response = admin_client.post("/admin/competitions/competition/add/", form)
    assert response.status_code == 200 and says in response.content.decode()
    assert not Competition.objects.exists()


def test_kinds_classes_and_limits_have_their_own_widgets(admin_client: Client) -> None:
    form = competition_form(b"id,label,Usage\n1,a,Public\n2,b,Private\n")
    form.update(
        {
            "submission_kinds": ["predictions", "model"],
            "classes": "b\na\n\n",
            "model_limits_wall_seconds": "120",
            "model_limits_confidence": "0.3",
        }
    )
    response = admin_client.post("/admin/competitions/competition/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    competition = Competition.objects.get(slug="new")
    assert competition.submission_kinds == ["predictions", "model"] and competition.classes == ["b", "a"]
    assert competition.model_limits == {"wall_seconds": 120, "confidence": 0.3}
    page = admin_client.get(f"/admin/competitions/competition/{competition.pk}/change/").content.decode()
    assert 'type="checkbox" name="submission_kinds" value="model"' in page and "checked" in page
    assert 'name="model_limits_wall_seconds" value="120"' in page
