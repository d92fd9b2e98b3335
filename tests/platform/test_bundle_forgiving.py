"""Bundles forgive the obvious: image names relative to public/images/, plain dates; and say where they looked."""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from competitions.bundles import BundleError, competition_import_bundle
from competitions.demo_data import segmentation_bundle, text_classification_bundle

pytestmark = pytest.mark.django_db


def _rewrite_images(test_csv: Path, change) -> None:  # type: ignore[no-untyped-def]
    with open(test_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["image"] = change(row["image"])
    with open(test_csv, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _meta(folder: Path, **changes: object) -> None:
    path = folder / "competition.yaml"
    meta = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**meta, **changes}))


def test_segmentation_images_may_be_named_relative_to_public_images(tmp_path: Path) -> None:
    bundle = segmentation_bundle(tmp_path / "seg", n_train=2, n_test=6)
    test_csv = bundle.path / "public" / "test.csv"
    _rewrite_images(test_csv, lambda name: name.removeprefix("images/"))
    original = test_csv.read_bytes()
    competition, _ = competition_import_bundle(path=bundle.path)
    stored = competition.files.get(name="test.csv").file.open("rb").read().decode()
    rows = list(csv.DictReader(stored.splitlines()))
    assert rows and all(row["image"].startswith("images/") for row in rows)
    assert all(competition.files.filter(name=row["image"]).exists() for row in rows)  # every name resolves now
    assert test_csv.read_bytes() == original  # the organizer's folder is left as it was


def test_an_image_found_nowhere_says_where_it_was_looked_for(tmp_path: Path) -> None:
    bundle = segmentation_bundle(tmp_path / "seg", n_train=2, n_test=6)
    _rewrite_images(bundle.path / "public" / "test.csv", lambda name: "elsewhere/" + name)
    with pytest.raises(BundleError) as caught:
        competition_import_bundle(path=bundle.path)
    assert "found neither in public/ nor in public/images/, e.g. 'elsewhere/images/" in str(caught.value)


def test_an_image_name_may_not_climb_out_of_the_bundle(tmp_path: Path) -> None:
    bundle = segmentation_bundle(tmp_path / "seg", n_train=2, n_test=6)
    _rewrite_images(bundle.path / "public" / "test.csv", lambda name: "../../" + name)
    with pytest.raises(BundleError, match="must be relative paths inside the bundle"):
        competition_import_bundle(path=bundle.path)


def test_dates_may_be_plain_days_and_a_bad_one_says_the_expected_format(tmp_path: Path) -> None:
    bundle = text_classification_bundle(tmp_path / "text", n_train=20, n_test=30)
    (bundle.path / "competition.yaml").write_text(
        (bundle.path / "competition.yaml").read_text() + "start: 2026-11-29\nend: '2027-01-31'\n")
    competition, _ = competition_import_bundle(path=bundle.path)
    assert competition.start_at == datetime(2026, 11, 29, tzinfo=timezone.utc)
    assert competition.end_at == datetime(2027, 1, 31, tzinfo=timezone.utc)
    _meta(bundle.path, start="29/11/2026", end=3)
    with pytest.raises(BundleError) as caught:
        competition_import_bundle(path=bundle.path)
    message = str(caught.value)
    assert "start '29/11/2026' is not a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 date-time" in message
    assert "end has the wrong type (int); expected a date (YYYY-MM-DD) or an ISO 8601 date-time" in message
