"""Phases: each with its dates, truth (own Public/Private split), daily limit, kinds and boards; selections carried
into the next phase and scored again on its data; the API, the CLI's parameters, bundles and exports carry them.
A competition without phases stays Kaggle's single stage (the rest of the suite)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from competitions.bundles import BundleError, competition_export_bundle, competition_import_bundle
from competitions.demo_data import text_classification_bundle
from competitions.exports import leaderboard_csv
from competitions.models import Phase
from leaderboards.selectors import leaderboard_rows
from core.errors import PodiumError
from submissions.models import Submission
from submissions.selectors import quota_for_team
from submissions.intake import submission_create
from submissions.results import submission_score
from submissions.services import phases_carry, submission_select
from tests.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]



def _all_food_truth(competition) -> bytes:
    """The same ids and split as the competition's truth, every label 'food': a Final that scores differently."""
    rows = list(csv.DictReader(io.StringIO(competition.truth_file.open("rb").read().decode())))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "label", "Usage"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({"id": row["id"], "label": "food", "Usage": row["Usage"]} for row in rows)
    return out.getvalue().encode()


def _all_food_predictions(competition, tmp_path: Path) -> Path:
    rows = list(csv.DictReader(io.StringIO(competition.truth_file.open("rb").read().decode())))
    path = tmp_path / "food.csv"
    path.write_text("id,label\n" + "".join(f"{row['id']},food\n" for row in rows))
    return path


@pytest.fixture
def phased(competition):
    """Validation running now (the competition's own truth), Final from tomorrow (a truth where all is food)."""
    now = timezone.now()
    validation = Phase(competition=competition, order=1, name="Validation", slug="validation",
                       start_at=now - timedelta(days=1), end_at=now + timedelta(days=1), daily_submission_limit=2)
    validation.truth_file.save("truth.csv", ContentFile(competition.truth_file.open("rb").read()), save=True)
    final = Phase(competition=competition, order=2, name="Final", slug="final", carry_selected=True,
                  start_at=now + timedelta(days=1), end_at=now + timedelta(days=20), submission_kinds=["predictions"])
    final.truth_file.save("truth.csv", ContentFile(_all_food_truth(competition)), save=True)
    return validation, final


def _to_final(validation: Phase, final: Phase) -> None:
    """The validation phase ends now (what was made so far counts in it) and the final starts."""
    now = timezone.now()
    Phase.objects.filter(pk=validation.pk).update(end_at=now)
    Phase.objects.filter(pk=final.pk).update(start_at=now)


def test_each_phase_scores_on_its_own_truth_and_ranks_on_its_own_boards(
    competition, phased, alice, alice_joined, tmp_path: Path
) -> None:
    validation, final = phased
    food = _all_food_predictions(competition, tmp_path)
    early = submission_create(user=alice, competition=competition, kind="predictions", file=upload(food))
    submission_score(submission_id=early.pk, task_id="t1")
    early.refresh_from_db()
    assert early.phase == validation and early.public_score < 0.5  # the validation truth has four classes
    _to_final(validation, final)
    late = submission_create(user=alice, competition=competition, kind="predictions", file=upload(food))
    submission_score(submission_id=late.pk, task_id="t2")
    late.refresh_from_db()
    assert late.phase_id == final.pk and late.public_score == 1.0  # the final truth: all food
    assert [(r.team, r.score) for r in leaderboard_rows(competition=competition, phase=validation)] == [
        ("alice", early.public_score)]
    assert [(r.team, r.score) for r in leaderboard_rows(competition=competition, phase=final)] == [("alice", 1.0)]
    assert leaderboard_rows(competition=competition) == []  # no single-stage board
    exported = leaderboard_csv(competitions=[competition])
    assert "topic,validation,public,accuracy,1,alice" in exported and "topic,final,public,accuracy,1,alice,1.0" in exported


def test_each_phase_has_its_own_daily_limit_and_kinds(competition, phased, alice, alice_joined, text_bundle) -> None:
    validation, final = phased
    baseline = text_bundle.baselines["Keyword Voters"]
    for _ in range(2):
        submission_create(user=alice, competition=competition, kind="predictions", file=upload(baseline))
    with pytest.raises(PodiumError) as refused:
        submission_create(user=alice, competition=competition, kind="predictions", file=upload(baseline))
    assert refused.value.code == "daily-limit" and "all 2 submissions" in refused.value.message
    _to_final(validation, final)
    assert quota_for_team(competition=competition, team=alice_joined.team, phase=final).used == 0
    competition.submission_kinds = ["predictions", "model"]
    competition.save()
    with pytest.raises(PodiumError, match="The Final phase accepts predictions submissions"):
        submission_create(user=alice, competition=competition, kind="model", file=upload(baseline, "model.pt"))


def test_selected_submissions_are_carried_into_the_next_phase_and_scored_again(
    competition, phased, alice, alice_joined, tmp_path: Path, broker_calls, django_capture_on_commit_callbacks
) -> None:
    validation, final = phased
    food = _all_food_predictions(competition, tmp_path)
    chosen = submission_create(user=alice, competition=competition, kind="predictions", file=upload(food))
    other = submission_create(user=alice, competition=competition, kind="predictions", file=upload(food))
    for submission in (chosen, other):
        submission_score(submission_id=submission.pk, task_id=f"t{submission.pk}")
    submission_select(submission=Submission.objects.get(pk=chosen.pk), selected=True)
    assert phases_carry() == 0  # the final has not started
    _to_final(validation, final)
    broker_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert phases_carry() == 1
    assert phases_carry() == 0  # once
    carried = Submission.objects.get(phase=final)
    assert carried.carried_from_id == chosen.pk and carried.file.name == chosen.file.name and broker_calls == [carried.pk]
    submission_score(submission_id=carried.pk, task_id="carried")
    carried.refresh_from_db()
    assert carried.public_score == 1.0  # scored again, on the final's truth
    assert quota_for_team(competition=competition, team=alice_joined.team, phase=final).used == 0  # not charged


def test_the_api_lists_phases_and_serves_each_board(competition, phased, alice, alice_joined, text_bundle) -> None:
    submission = submission_create(user=alice, competition=competition, kind="predictions",
                                   file=upload(text_bundle.baselines["Keyword Voters"]))
    submission_score(submission_id=submission.pk, task_id="t")
    api = APIClient()
    api.force_authenticate(alice)
    detail = api.get("/api/v1/competitions/topic/").json()
    assert [p["slug"] for p in detail["phases"]] == ["validation", "final"] and detail["phase"] == "validation"
    assert detail["remaining_submissions_today"] == 1  # the validation phase's limit of 2
    board = api.get("/api/v1/competitions/topic/leaderboard/?phase=validation").json()
    assert board["phase"] == "validation" and [e["team"] for e in board["entries"]] == ["alice"]
    assert api.get("/api/v1/competitions/topic/leaderboard/?phase=final").json()["entries"] == []
    unknown = api.get("/api/v1/competitions/topic/leaderboard/?phase=nope")
    assert unknown.status_code == 400 and "its phases: validation, final" in unknown.json()["error"]["message"]
    assert api.get(f"/api/v1/submissions/{submission.pk}/").json()["phase"] == "validation"


def test_the_leaderboard_page_has_a_tab_per_phase(client, competition, phased, alice, alice_joined) -> None:
    client.force_login(alice)
    page = client.get("/c/topic/leaderboard/").content.decode()
    assert 'href="?phase=validation" aria-current="page">Validation</a>' in page and 'href="?phase=final"' in page
    assert "phase=validation" in page.split("data-poll-url=")[1][:200]  # the live table follows the phase
    assert "Phase <strong>Validation</strong>" in client.get("/c/topic/").content.decode()


def test_the_schedule_is_on_the_overview_and_a_phase_to_come_says_when_it_starts(client, competition, phased) -> None:
    overview = client.get("/c/topic/").content.decode()
    schedule = overview.split('id="schedule-heading"')[1].split("</section>")[0]
    assert schedule.index("Validation") < schedule.index("Final")
    assert 'aria-current="step"><strong>Validation</strong>' in schedule and ">Now<" in schedule
    assert ">Upcoming<" in schedule and "2 submissions a day" in schedule
    board = client.get("/c/topic/leaderboard/?phase=final").content.decode()
    assert "The Final phase starts" in board and "Be the first" not in board
    assert "Be the first" in client.get("/c/topic/leaderboard/?phase=validation").content.decode()


def test_bundles_carry_phases_both_ways(tmp_path: Path) -> None:
    bundle = text_classification_bundle(tmp_path / "topic", n_train=20, n_test=30)
    meta_path = bundle.path / "competition.yaml"
    meta = yaml.safe_load(meta_path.read_text())
    (bundle.path / "phases" / "final").mkdir(parents=True)
    (bundle.path / "phases" / "final" / "truth.csv").write_bytes((bundle.path / "truth.csv").read_bytes())
    meta["phases"] = [
        {"name": "Validation", "slug": "validation", "start": "2026-01-01", "end": "2026-02-01", "truth": "truth.csv"},
        {"name": "Final", "slug": "final", "start": "2026-02-01", "end": "2026-03-01",
         "truth": "phases/final/truth.csv", "carry_selected": True, "daily_submission_limit": 1},
    ]
    meta_path.write_text(yaml.safe_dump(meta))
    competition, _ = competition_import_bundle(path=bundle.path)
    assert [(p.slug, p.order, p.carry_selected, p.daily_limit) for p in competition.phases.all()] == [
        ("validation", 1, False, meta.get("daily_submission_limit", 5)), ("final", 2, True, 1)]
    out = competition_export_bundle(competition=competition, path=tmp_path / "out")
    exported = yaml.safe_load((out / "competition.yaml").read_text())
    assert [p["slug"] for p in exported["phases"]] == ["validation", "final"]
    again, created = competition_import_bundle(path=out)
    assert not created and again.phases.count() == 2
    meta["phases"][1]["truth"] = "../../etc/passwd"
    meta["phases"][0]["end"] = "2025-01-01"
    meta_path.write_text(yaml.safe_dump(meta))
    with pytest.raises(BundleError) as caught:
        competition_import_bundle(path=bundle.path)
    message = str(caught.value)
    assert "phases[1]: start and end must be dates" in message and "phases[2]: truth '../../etc/passwd' is not a file" in message


def test_the_admin_edits_phases_on_the_competition(client, competition, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1"))
    page = client.get(f"/admin/competitions/competition/{competition.pk}/change/").content.decode()
    assert 'name="phases-TOTAL_FORMS"' in page and "leave empty for a single stage" in page


def test_moving_a_phases_end_in_the_admin_re_ranks_its_board(competition, phased, alice, alice_joined, text_bundle,
                                                             django_capture_on_commit_callbacks) -> None:
    validation, _ = phased
    submission = submission_create(user=alice, competition=competition, kind="predictions",
                                   file=upload(text_bundle.baselines["Keyword Voters"]))
    submission_score(submission_id=submission.pk, task_id="t")
    assert len(leaderboard_rows(competition=competition, phase=validation)) == 1
    validation.refresh_from_db()
    validation.end_at = submission.created_at - timedelta(seconds=1)  # now it was made after the phase's end
    with django_capture_on_commit_callbacks(execute=True):
        validation.save()
    assert leaderboard_rows(competition=competition, phase=validation) == []
