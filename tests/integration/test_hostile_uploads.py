"""The hostile corpus uploaded over HTTP to live competitions of all three kinds, scored by a real worker.

Every upload is accepted or refused with a JSON error (never a 5xx); every
accepted file ends failed with its stable code (or scored, where the file is
odd but valid); the worker survives all of it and scores a good file after.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import requests

from competitions.bundles import competition_import_bundle
from competitions.demo_data import detection_bundle, segmentation_bundle
from submissions import states
from submissions.models import Submission
from tests.conftest import wait_for
from tests.hostile_corpus import SCORED, detection_cases, segmentation_cases, text_cases

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def competitions(competition, text_bundle, tmp_path: Path) -> dict[str, object]:
    detection, _ = competition_import_bundle(path=detection_bundle(tmp_path / "det", n_train=2, n_test=8).path)
    segmentation, _ = competition_import_bundle(path=segmentation_bundle(tmp_path / "seg", n_train=2, n_test=8).path)
    for item in (competition, detection, segmentation):
        item.daily_submission_limit = 200
        item.save()
    return {"text-classification": competition, "detection": detection, "segmentation": segmentation}


def _cases(competitions: dict[str, object]) -> list:
    text = competitions["text-classification"]
    with text.truth_file.open("rb") as handle:
        text_ids = [row["id"] for row in csv.DictReader(handle.read().decode().splitlines())]
    with competitions["detection"].truth_file.open("rb") as handle:
        coco = json.load(handle)
    with competitions["segmentation"].truth_file.open("rb") as handle:
        seg_ids = [row["id"] for row in csv.DictReader(handle.read().decode().splitlines())]
    return (
        text_cases(text_ids, list(text.classes))
        + detection_cases([i["id"] for i in coco["images"]], [c["id"] for c in coco["categories"]])
        + segmentation_cases(seg_ids)
    )


def test_the_hostile_corpus_fails_cleanly_through_the_web_server_and_a_real_worker(
    live_server, celery_worker, competitions, alice, text_bundle
) -> None:
    from accounts.services import token_issue
    from teams.services import membership_join

    for competition in competitions.values():
        membership_join(competition=competition, user=alice, accept_rules=True)
    _, token = token_issue(user=alice, name="hostile")
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    cases = _cases(competitions)
    assert len(cases) >= 50
    expected: dict[int, object] = {}
    for index, case in enumerate(cases):
        slug = competitions[case.task].slug
        name = "../../../etc/passwd" if index % 5 == 0 else f"case-{index}"
        answer = api.post(
            f"{live_server.url}/api/v1/competitions/{slug}/submissions/", files={"file": (name, case.data)}, data={"kind": "predictions"}
        )
        assert answer.status_code < 500, f"{case!r}: {answer.status_code}"
        body = answer.json()
        if answer.status_code == 201:
            expected[body["id"]] = case
        else:
            assert body["error"]["code"] in case.codes, f"{case!r}: {body}"
    finished = wait_for(
        lambda: Submission.objects.filter(pk__in=expected, status__in=states.FINAL).count() == len(expected) or None,
        timeout=180,
        interval=0.2,
    )
    assert finished
    for submission in Submission.objects.filter(pk__in=expected):
        case = expected[submission.pk]
        if SCORED in case.codes:
            assert submission.status == states.SCORED, f"{case!r}: {submission.error_code}"
        else:
            assert submission.status == states.FAILED and submission.error_code in case.codes, (
                f"{case!r}: {submission.status} {submission.error_code} {submission.error_message}"
            )
            assert submission.error_message
        assert submission.file.name.startswith(f"submissions/{submission.competition.slug}/") and ".." not in submission.file.name
    # The worker survived all of it.
    with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
        good = api.post(f"{live_server.url}/api/v1/competitions/topic/submissions/", files={"file": handle}).json()["id"]
    scored = wait_for(lambda: Submission.objects.filter(pk=good, status=states.SCORED).first(), timeout=60)
    assert scored.public_score > 0.7
