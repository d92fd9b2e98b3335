"""Organizer tools: bundle export and import round trip, admin upload, sample submission, rescore audit, CSV exports."""
from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client

from competitions.bundles import competition_export_bundle, competition_import_bundle
from competitions.models import Competition
from scoring import ScoringOptions
from submissions import states
from submissions.models import Rescore, Submission
from submissions.intake import submission_create
from submissions.results import submission_score
from tests.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _score_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enqueued scoring runs at once, in-process (the real worker is covered by the integration tests)."""
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: None)
    monkeypatch.setattr("submissions.dispatch.submission_enqueue_scoring",
                        lambda *, submission_id: submission_score(submission_id=submission_id, task_id=f"t{submission_id}"))


@pytest.fixture
def admin_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1"))
    return client


def test_an_exported_bundle_imports_back_to_the_same_competition(text_bundle, tmp_path: Path) -> None:
    original, _ = competition_import_bundle(path=text_bundle.path)
    original.files.filter(name="train.csv").update(description="Labelled texts to learn from.")  # set in the admin
    folder = competition_export_bundle(competition=original, path=tmp_path / "exported")
    archive = competition_export_bundle(competition=original, path=tmp_path / "exported.zip")
    assert zipfile.is_zipfile(archive)
    for name in ("truth.csv", "public/test.csv", "public/train.csv", "overview.md", "rules.md"):
        assert (folder / name).read_bytes() == (text_bundle.path / name).read_bytes(), name
    names = sorted(original.files.values_list("name", flat=True))
    Competition.objects.all().delete()
    again, created = competition_import_bundle(path=archive)
    assert created and again.slug == original.slug and again.title == original.title
    assert again.classes == original.classes and again.end_at == original.end_at
    assert sorted(again.files.values_list("name", flat=True)) == names
    assert again.files.get(name="train.csv").description == "Labelled texts to learn from."  # descriptions kept


def test_the_export_command_writes_a_bundle(text_bundle, tmp_path: Path) -> None:
    competition_import_bundle(path=text_bundle.path)
    call_command("export_competition", "topic-detective", str(tmp_path / "out"))
    assert (tmp_path / "out" / "competition.yaml").is_file()


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for item in folder.rglob("*"):
            if item.is_file():
                archive.write(item, Path("bundle") / item.relative_to(folder))
    return target


def test_the_admin_imports_an_uploaded_bundle(admin_client: Client, text_bundle, tmp_path: Path) -> None:
    archive = _zip(text_bundle.path, tmp_path / "bundle.zip")
    with open(archive, "rb") as handle:
        response = admin_client.post("/admin/competitions/competition/import/", {"bundle": handle})
    assert response.status_code == 302
    assert Competition.objects.get(slug="topic-detective").files.count() == 3


def test_a_bad_uploaded_bundle_lists_its_problems_and_changes_nothing(admin_client: Client, text_bundle, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(text_bundle.path, bad)
    (bad / "truth.csv").write_text("id,label\n1,a\n")
    with open(_zip(bad, tmp_path / "bad.zip"), "rb") as handle:
        response = admin_client.post("/admin/competitions/competition/import/", {"bundle": handle})
    assert response.status_code == 200 and "bad-header" in response.content.decode()
    assert not Competition.objects.exists()


def test_a_sample_submission_is_generated_from_the_truth_and_scores(admin_client: Client, competition) -> None:
    competition.files.filter(name="sample_submission.csv").delete()
    response = admin_client.post(
        "/admin/competitions/competition/", {"action": "generate_sample_submission", "_selected_action": [competition.pk]}
    )
    assert response.status_code == 302
    sample = competition.files.get(name="sample_submission.csv")
    task = competition.task_type
    truth = task.load_truth(competition.truth_file.path, competition.scoring_options())
    assert task.score(truth, sample.file.path, ScoringOptions())["public"]["accuracy"] >= 0


def test_rescoring_after_a_truth_fix_updates_scores_and_keeps_the_old_ones(
    admin_client: Client, competition, alice, alice_joined, text_bundle, django_capture_on_commit_callbacks
) -> None:
    submission = submission_create(
        user=alice, competition=competition, file=upload(text_bundle.baselines["Keyword Voters"]), kind="predictions"
    )
    submission_score(submission_id=submission.pk, task_id="first")
    submission.refresh_from_db()
    old_public = submission.public_score
    # The organizer fixes the truth: every label of the first 50 rows changes.
    rows = list(csv.reader(io.StringIO(competition.truth_file.read().decode())))
    fixed = [rows[0]] + [[r[0], "food" if r[1] != "food" else "sports", r[2]] if i < 50 else r for i, r in enumerate(rows[1:])]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(fixed)
    competition.truth_file.save("truth.csv", ContentFile(buffer.getvalue().encode()), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/competitions/competition/", {"action": "rescore_all_submissions", "_selected_action": [competition.pk]}
        )
    assert response.status_code == 302
    submission.refresh_from_db()
    audit = Rescore.objects.get(submission=submission)
    assert submission.status == states.SCORED and submission.public_score != old_public
    assert (audit.old_public_score, audit.new_public_score) == (old_public, submission.public_score)
    assert audit.requested_by.username == "root" and audit.finished_at is not None


def test_leaderboards_and_submissions_export_as_csv(admin_client: Client, competition, alice, alice_joined, text_bundle) -> None:
    submission = submission_create(
        user=alice, competition=competition, file=upload(text_bundle.baselines["Keyword Voters"]), kind="predictions"
    )
    submission_score(submission_id=submission.pk, task_id="t")
    boards = admin_client.post("/admin/competitions/competition/", {"action": "export_leaderboards", "_selected_action": [competition.pk]})
    rows = list(csv.DictReader(io.StringIO(boards.content.decode())))
    assert {r["board"] for r in rows} == {"public", "private"} and rows[0]["team"] == "alice"
    exported = admin_client.post("/admin/competitions/competition/", {"action": "export_submissions", "_selected_action": [competition.pk]})
    row = next(csv.DictReader(io.StringIO(exported.content.decode())))
    submission.refresh_from_db()
    assert float(row["public_macro_f1"]) == pytest.approx(submission.public_scores["macro_f1"])
    assert float(row["private_score"]) == pytest.approx(submission.private_score)


def test_a_bundles_test_inputs_folder_is_what_models_read(text_bundle, tmp_path: Path) -> None:
    from submissions.dispatch import inference_job

    bundle = tmp_path / "with-inputs"
    shutil.copytree(text_bundle.path, bundle)
    (bundle / "test_inputs").mkdir()
    shutil.copy(bundle / "public" / "test.csv", bundle / "test_inputs" / "test.csv")
    competition, _ = competition_import_bundle(path=bundle)
    assert competition.has_model_inputs
    job = inference_job(submission=Submission(pk=1, competition=competition, file="submissions/x.pt"))
    assert job["inputs"] == "competitions/topic-detective/test_inputs"
    exported = competition_export_bundle(competition=competition, path=tmp_path / "out")
    assert (exported / "test_inputs" / "test.csv").read_bytes() == (bundle / "test_inputs" / "test.csv").read_bytes()
    (bundle / "test_inputs" / "test.csv").write_text("id,text\nonly-one,hello\n")
    with pytest.raises(Exception) as caught:
        competition_import_bundle(path=bundle)
    assert "test_inputs/test.csv ids differ" in str(caught.value)


def test_organizers_download_a_submissions_file_from_the_admin(admin_client: Client, competition, alice, alice_joined, text_bundle) -> None:
    submission = submission_create(
        user=alice, competition=competition, file=upload(text_bundle.baselines["Coin Flippers"]), kind="predictions"
    )
    page = admin_client.get(f"/admin/submissions/submission/{submission.pk}/change/").content.decode()
    assert f"/admin/submissions/submission/{submission.pk}/file/" in page
    download = admin_client.get(f"/admin/submissions/submission/{submission.pk}/file/")
    assert b"".join(download.streaming_content) == text_bundle.baselines["Coin Flippers"].read_bytes()
