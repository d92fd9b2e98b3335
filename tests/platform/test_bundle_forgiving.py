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


def _drop_last_row(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


def test_a_bundle_reports_a_bad_usage_and_a_missing_test_row_at_once(tmp_path: Path) -> None:
    bundle = text_classification_bundle(tmp_path / "text", n_train=20, n_test=20)
    truth = bundle.path / "truth.csv"
    truth.write_text(truth.read_text().replace(",Public\n", ",public\n", 1))  # the first public row: bad Usage
    _drop_last_row(bundle.path / "public" / "test.csv")
    with pytest.raises(BundleError) as caught:
        competition_import_bundle(path=bundle.path)
    problems = caught.value.problems
    assert any("Usage is 'public'" in p for p in problems), problems
    assert any(p.startswith("public/test.csv ids differ from the truth's (0 only in public/test.csv, 1 only in the truth)")
               for p in problems), problems


def test_a_detection_bundle_with_a_bad_truth_still_checks_its_test_images(tmp_path: Path) -> None:
    import json

    from competitions.demo_data import detection_bundle

    bundle = detection_bundle(tmp_path / "det", n_train=2, n_test=6)
    truth_path = bundle.path / "truth.json"
    truth = json.loads(truth_path.read_text())
    truth["images"][0]["usage"] = "Hidden"
    truth_path.write_text(json.dumps(truth))
    test_json = bundle.path / "public" / "test.json"
    listed = json.loads(test_json.read_text())
    listed["images"] = listed["images"][1:]
    test_json.write_text(json.dumps(listed))
    with pytest.raises(BundleError) as caught:
        competition_import_bundle(path=bundle.path)
    problems = caught.value.problems
    assert any("Usage is 'Hidden'" in p for p in problems) and any("test.json ids differ" in p for p in problems), problems


def test_a_truth_label_no_training_row_has_imports_with_a_warning(tmp_path: Path, capsys) -> None:
    from django.core.management import call_command

    bundle = text_classification_bundle(tmp_path / "text", n_train=20, n_test=20)
    truth = bundle.path / "truth.csv"
    with open(truth, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["label"] = rows[1]["label"] = "astronomy"  # in the test set only
    with open(truth, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _meta(bundle.path, classes=sorted({*yaml.safe_load((bundle.path / "competition.yaml").read_text())["classes"],
                                       "astronomy"}))
    warnings: list[str] = []
    competition, _ = competition_import_bundle(path=bundle.path, warnings=warnings)  # allowed: imported
    assert warnings == ["truth.csv: 1 label ('astronomy', 2 test rows) appears in no row of public/train.csv: models "
                        "trained on it cannot predict it"]
    call_command("import_competition", str(bundle.path))
    assert "Warning: truth.csv: 1 label ('astronomy'" in capsys.readouterr().err
    clean: list[str] = []
    competition_import_bundle(path=text_classification_bundle(tmp_path / "clean", n_train=20, n_test=20).path,
                              warnings=clean)
    assert clean == []
