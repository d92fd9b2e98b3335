"""A detection or segmentation submission's overlay: one public image, the same for every submission, chosen
for having the most truth in it (not an empty background), and no error where the predictions are gone."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.files import File
from django.test import Client

pytestmark = pytest.mark.django_db


def _submission(competition, team, path: Path):  # type: ignore[no-untyped-def]
    from submissions.models import Submission

    submission = Submission(competition=competition, team=team, status="scored")
    with open(path, "rb") as handle:
        submission.file.save(path.name, File(handle), save=True)
    return submission


@pytest.fixture
def detection(tmp_path: Path, alice):  # type: ignore[no-untyped-def]
    from competitions.bundles import competition_import_bundle
    from competitions.demo_data import detection_bundle
    from teams.services import membership_join

    bundle = detection_bundle(tmp_path / "det", n_train=2, n_test=12)
    competition, _ = competition_import_bundle(path=bundle.path, publish=True)
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    return competition, team, json.loads((bundle.path / "truth.json").read_text())


def test_the_overlay_shows_the_public_image_with_the_most_objects(detection, tmp_path: Path, monkeypatch) -> None:
    from competitions import images

    competition, team, truth = detection
    public = {image["id"]: image["file_name"] for image in truth["images"] if image["usage"] == "Public"}
    counts = Counter(a["image_id"] for a in truth["annotations"] if a["image_id"] in public)
    busiest = min(public, key=lambda image_id: (-counts[image_id], image_id))
    assert counts[busiest] > 0 and counts[busiest] > min(counts[i] for i in public)  # a choice that matters
    asked: list[str] = []
    real = images._public_file
    monkeypatch.setattr(images, "_public_file", lambda c, name: asked.append(name) or real(c, name))
    path = tmp_path / "p.json"
    path.write_text(json.dumps([{"image_id": busiest, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.9}]))
    assert images.overlay_png(submission=_submission(competition, team, path))[:8] == b"\x89PNG\r\n\x1a\n"
    assert [name for name in asked if name.startswith("images/")] == [f"images/{public[busiest]}"]


def test_an_overlay_whose_predictions_are_gone_is_not_found_not_an_error(detection, tmp_path: Path, alice) -> None:
    competition, team, truth = detection
    path = tmp_path / "p.json"
    path.write_text("[]")
    submission = _submission(competition, team, path)
    submission.file.storage.delete(submission.file.name)
    client = Client()
    client.force_login(alice)
    assert client.get(f"/submissions/{submission.pk}/overlay.png").status_code == 404
