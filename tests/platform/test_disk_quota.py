"""The disk is not a commons: a file that is no model format is refused from its first bytes before anything is
stored; a team's uploads have a daily quota of stored bytes (shown on the Submit page); the files of large
failed submissions are removed after a while, their rows and errors kept."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.utils import timezone

from core.errors import PodiumError
from submissions import states
from submissions.models import Submission
from submissions.retention import failed_uploads_purge
from submissions.intake import submission_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]


def _stored() -> set[Path]:
    root = Path(settings.MEDIA_ROOT) / "submissions"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.mark.parametrize("head", [b"id,label\n1,food\n", b"\x80\x04\x95pickled", b"GIF89a...."])
def test_a_model_upload_that_is_no_model_format_is_refused_before_it_is_stored(competition, alice, alice_joined,
                                                                               head: bytes) -> None:
    competition.submission_kinds = ["predictions", "model"]
    competition.save()
    before = _stored()
    with pytest.raises(PodiumError) as refused:
        submission_create(user=alice, competition=competition, kind="model",
                          file=SimpleUploadedFile("model.pt", head + b"x" * 300_000))
    assert refused.value.code == "unsupported-model-format" and "TorchScript" in refused.value.message
    assert _stored() == before and not Submission.objects.exists()


def test_a_real_model_head_passes_the_first_check(competition, alice, alice_joined) -> None:
    competition.submission_kinds = ["predictions", "model"]
    competition.save()
    made = submission_create(user=alice, competition=competition, kind="model",
                             file=SimpleUploadedFile("model.onnx", b"\x08\x07" + b"\x00" * 100))
    assert made.file_bytes == 102 and made.status == states.QUEUED


def test_a_team_has_a_daily_quota_of_stored_upload_bytes(competition, alice, alice_joined, text_bundle) -> None:
    competition.daily_upload_mb = 1
    competition.daily_submission_limit = 10
    competition.save()
    good = (text_bundle.baselines["Keyword Voters"]).read_bytes()
    padded = good + b" " * (600_000 - len(good))  # trailing spaces: still a CSV; 0.6 MB
    submission_create(user=alice, competition=competition, kind="predictions",
                      file=SimpleUploadedFile("a.csv", padded))
    with pytest.raises(PodiumError) as refused:
        submission_create(user=alice, competition=competition, kind="predictions",
                          file=SimpleUploadedFile("b.csv", padded))
    assert refused.value.code == "upload-quota" and refused.value.status == 429 and "Retry-After" in refused.value.headers
    assert Submission.objects.count() == 1
    client = Client()
    client.force_login(alice)
    page = client.get("/c/topic/submit/").content.decode()
    assert f"Uploads stored today: {filesizeformat(600_000)} of {filesizeformat(1024 * 1024)}" in page


def _failed(competition, team, *, size: int, code: str, hours_ago: float) -> Submission:
    submission = Submission.objects.create(competition=competition, team=team, status=states.FAILED, error_code=code,
                                           error_message="what was wrong", file=ContentFile(b"x" * size, name="f.csv"),
                                           file_bytes=size, scored_at=timezone.now() - timedelta(hours=hours_ago))
    return submission


def test_large_files_of_long_failed_submissions_are_removed_and_their_rows_kept(competition, alice_joined) -> None:
    team = alice_joined.team
    big, keep_hours = 2 * 1024 * 1024, settings.PODIUM_FAILED_UPLOAD_KEEP_HOURS
    due = _failed(competition, team, size=big, code="bad-header", hours_ago=keep_hours + 1)
    recent = _failed(competition, team, size=big, code="bad-header", hours_ago=keep_hours - 1)
    small = _failed(competition, team, size=1000, code="bad-header", hours_ago=keep_hours + 1)
    platform = _failed(competition, team, size=big, code="platform-error", hours_ago=keep_hours + 1)
    paths = {s.pk: Path(s.file.path) for s in (due, recent, small, platform)}
    assert failed_uploads_purge() == 1
    assert failed_uploads_purge() == 0  # once
    due.refresh_from_db()
    assert not paths[due.pk].exists() and due.file_removed_at is not None
    assert due.error_code == "bad-header" and due.error_message == "what was wrong"
    assert all(paths[s.pk].exists() for s in (recent, small, platform))
