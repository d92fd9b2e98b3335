"""A 50 MB file on one line, to each task type, through a real worker: every message about it stays small.

Quoting a bad line whole once made the team's submissions page, its live fragment, the submission
page and the API list 52 MB each, and the database 52 MB larger. Messages quote at most about 80
characters of what a participant sent (scoring/errors.py `quote`), and the stored message is capped.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from competitions.bundles import competition_import_bundle
from competitions.demo_data import detection_bundle, segmentation_bundle
from submissions import states
from submissions.models import Submission
from teams.services import membership_join
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SIZE = 50 * 1000 * 1000
SMALL = 200_000  # bytes: a page or API answer about the submission, whatever it sent


def _one_line(path: Path, head: bytes, fill: bytes) -> Path:
    with open(path, "wb") as handle:
        handle.write(head)
        handle.write(fill * (SIZE - len(head)))
    return path


def _cases(tmp_path: Path, competition) -> list:  # type: ignore[no-untyped-def]
    detection = competition_import_bundle(path=detection_bundle(tmp_path / "det", n_train=2, n_test=6).path)[0]
    segmentation = competition_import_bundle(path=segmentation_bundle(tmp_path / "seg", n_train=2, n_test=6).path)[0]
    return [
        (competition, _one_line(tmp_path / "text.csv", b"id,label,", b"x")),  # a header line of 50 MB
        (detection, _one_line(tmp_path / "det.json", b'[{"image_id": "', b"7")),  # one unterminated JSON string
        (segmentation, _one_line(tmp_path / "seg.csv", b"id,rle", b"z")),
    ]


def test_a_50_mb_single_line_file_never_makes_a_page_or_answer_large(celery_worker, competition, alice, tmp_path: Path) -> None:
    api, pages = APIClient(), APIClient()
    api.force_authenticate(alice)
    pages.force_login(alice)
    for target, path in _cases(tmp_path, competition):
        membership_join(competition=target, user=alice, accept_rules=True)
        with open(path, "rb") as handle:
            response = api.post(f"/api/v1/competitions/{target.slug}/submissions/", {"file": handle}, format="multipart")
        assert response.status_code == 201, response.content[:300]
        submission_id = response.json()["id"]
        failed = wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=120)
        assert failed.status == states.FAILED and len(failed.error_message) < 1000, (failed.error_code, failed.error_message[:300])
        answers = {
            "submissions page": pages.get(f"/c/{target.slug}/submissions/"),
            "its live fragment": pages.get(f"/c/{target.slug}/submissions/table/"),
            "the submission page": pages.get(f"/submissions/{submission_id}/"),
            "the API list": api.get(f"/api/v1/competitions/{target.slug}/submissions/"),
            "the API detail": api.get(f"/api/v1/submissions/{submission_id}/"),
        }
        for name, answer in answers.items():
            assert answer.status_code == 200, (name, answer.status_code)
            assert len(answer.content) < SMALL, f"{target.task}: {name} is {len(answer.content):,} bytes"
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(LENGTH(error_message)) FROM submissions_submission")
        assert cursor.fetchone()[0] < 1000
