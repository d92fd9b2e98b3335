"""The admin keeps an organizer's work: uploads survive a validation error, Markdown previews while editing,
the truth's format and a whole example bundle beside the truth field."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from competitions.bundles import competition_import_bundle
from competitions.models import Competition
from tests.platform.test_admin_and_bundles import competition_form

pytestmark = pytest.mark.django_db

TRUTH = b"id,label,Usage\n1,a,Public\n2,b,Private\n"


@pytest.fixture
def admin_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1"))
    return client


def _with_public_file(form: dict) -> dict:
    return {**form, "files-TOTAL_FORMS": 1, "files-0-name": "test.csv", "files-0-description": "",
            "files-0-file": SimpleUploadedFile("test.csv", b"id,text\n1,hello\n2,world\n")}


def test_uploads_are_kept_while_the_organizer_fixes_another_field(admin_client: Client) -> None:
    form = _with_public_file(competition_form(TRUTH))
    form["end_at_0"] = "2025-01-01"  # before the start: refused
    page = admin_client.post("/admin/competitions/competition/add/", form).content.decode()
    assert "The end must come after the start." in page
    assert "Kept from your last try: <strong>truth.csv</strong>" in page
    assert "Kept from your last try: <strong>test.csv</strong>" in page
    tokens = dict(re.findall(r'name="([\w-]+__kept)" value="([^"]+)"', page))
    assert set(tokens) == {"truth_file__kept", "files-0-file__kept"}
    fixed = {key: value for key, value in _with_public_file(competition_form(TRUTH)).items()
             if key not in ("truth_file", "files-0-file")}
    response = admin_client.post("/admin/competitions/competition/add/", {**fixed, **tokens})
    assert response.status_code == 302, response.content.decode()[:3000]
    competition = Competition.objects.get(slug="new")
    assert competition.truth_file.read() == TRUTH
    assert competition.files.get(name="test.csv").file.read() == b"id,text\n1,hello\n2,world\n"


def test_a_forged_token_finds_nothing(admin_client: Client) -> None:
    form = {key: value for key, value in competition_form(TRUTH).items() if key != "truth_file"}
    form["truth_file__kept"] = "admin-kept/../../var/secret_key:forged"
    response = admin_client.post("/admin/competitions/competition/add/", form)
    assert response.status_code == 302
    assert not Competition.objects.get(slug="new").truth_file  # no file came of it


def test_markdown_is_previewed_as_the_pages_render_it(admin_client: Client, client: Client, alice) -> None:
    change = admin_client.get("/admin/competitions/competition/add/").content.decode()
    assert "podium/admin.js" in change and 'data-markdown-preview-url="/admin/competitions/competition/preview-markdown/"' in change
    html = admin_client.post("/admin/competitions/competition/preview-markdown/",
                             {"text": "# Rules\n\n*one* account <script>alert(1)</script>"}).content.decode()
    assert "<h1>Rules</h1>" in html and "<em>one</em>" in html and "<script>" not in html
    assert admin_client.get("/admin/competitions/competition/preview-markdown/").status_code == 405
    client.force_login(alice)
    assert client.post("/admin/competitions/competition/preview-markdown/", {"text": "x"}).status_code == 302


@pytest.mark.parametrize("task", ["text-classification", "detection", "segmentation"])
def test_each_task_has_an_example_bundle_that_imports(admin_client: Client, task: str, tmp_path: Path) -> None:
    page = admin_client.get("/admin/competitions/competition/add/").content.decode()
    assert f"/admin/competitions/competition/example-bundle/{task}.zip" in page
    response = admin_client.get(f"/admin/competitions/competition/example-bundle/{task}.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = tmp_path / "example.zip"
    archive.write_bytes(response.content)
    assert not any("baselines" in name for name in zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    competition, _ = competition_import_bundle(path=archive)
    assert competition.task == task and competition.is_draft


def test_the_truth_field_shows_each_format_with_an_example(admin_client: Client) -> None:
    page = admin_client.get("/admin/competitions/competition/add/").content.decode()
    assert "id,label,Usage" in page and "id,rle,height,width,Usage" in page and "&quot;annotations&quot;" in page


def test_admin_lists_round_scores(admin_client: Client, competition, alice_joined) -> None:
    from submissions import states
    from submissions.models import Submission

    Submission.objects.create(competition=competition, team=alice_joined.team, file="x.csv", status=states.SCORED,
                              public_score=0.123456789, private_score=0.987654321)
    listing = admin_client.get("/admin/submissions/submission/").content.decode()
    assert "0.1235" in listing and "0.9877" in listing and "0.123456789" not in listing
    team = admin_client.get(f"/admin/teams/team/{alice_joined.team_id}/change/").content.decode()
    assert "0.1235" in team and "0.123456789" not in team
