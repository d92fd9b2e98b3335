"""Competitions scored by the organizers' own program (SPEC section 9), end to end: a bundle imported with its
dry runs, uploads through the API, a real `programs` worker running the program in the sandbox, the board, the
participant's mistakes, the organizers' faults, versions and rescoring."""
from __future__ import annotations

import csv
import json
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from rest_framework.test import APIClient

from competitions.bundles import competition_import_bundle
from competitions.models import Competition
from competitions.programs import program_save
from leaderboards.selectors import leaderboard_rows
from notifications.models import PROGRAM_FAILURE, Notification, WebhookDelivery
from submissions import states
from submissions.models import Rescore, Submission
from submissions.selectors import quota_for_team
from submissions.services import competition_rescore
from teams.services import membership_join
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WER_BUNDLE = ROOT / "examples" / "scoring_programs" / "wer"


def edit_distance(a: list[str], b: list[str]) -> int:
    """An independent reference: the full Levenshtein matrix in numpy."""
    table = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    table[:, 0], table[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i, j] = min(table[i - 1, j] + 1, table[i, j - 1] + 1, table[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return int(table[-1, -1])


def reference_wer(truth: list[dict[str, str]], given: dict[str, str]) -> dict[str, dict[str, float]]:
    import re

    def words(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())

    scores = {}
    for subset in ("Public", "Private"):
        rows = [row for row in truth if row["Usage"] == subset]
        word_edits = sum(edit_distance(words(r["text"]).split(), words(given[r["id"]]).split()) for r in rows)
        char_edits = sum(edit_distance(list(words(r["text"])), list(words(given[r["id"]]))) for r in rows)
        scores[subset.lower()] = {"wer": word_edits / sum(len(words(r["text"]).split()) for r in rows),
                                  "cer": char_edits / sum(len(words(r["text"])) for r in rows)}
    return scores


@pytest.fixture
def wer(organizer, tmp_path: Path) -> Competition:
    competition, created = competition_import_bundle(path=WER_BUNDLE, publish=True)
    assert created and not competition.is_draft
    competition.organizers.add(organizer)
    return competition


def truth_rows() -> list[dict[str, str]]:
    with open(WER_BUNDLE / "truth" / "transcripts.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def submit(api: APIClient, path: Path) -> Submission:
    with open(path, "rb") as handle:
        response = api.post("/api/v1/competitions/voice-notes-wer/submissions/", {"file": handle}, format="multipart")
    assert response.status_code == 201, response.content
    return wait_for(lambda: Submission.objects.filter(pk=response.json()["id"], status__in=states.FINAL).first(),
                    timeout=120)


@pytest.fixture
def alice_api(alice, wer) -> APIClient:
    membership_join(competition=wer, user=alice, accept_rules=True)
    api = APIClient()
    api.force_authenticate(alice)
    return api


def test_the_bundle_imports_with_its_dry_runs_and_a_file_scores_as_the_reference_says(
        programs_worker, wer, alice_api, alice, tmp_path: Path) -> None:
    program = wer.current_program()
    assert program is not None and len(program.version) == 16
    assert program.dry_runs["sample"]["status"] == "scored"  # every transcript empty: every word deleted
    assert program.dry_runs["sample"]["scores"]["public"]["wer"] == 1.0
    assert (program.dry_runs["empty"]["status"], program.dry_runs["empty"]["error_code"]) == ("failed", "bad-json")
    assert [m.name for m in wer.task_type.declared_metrics] == ["wer", "cer"] and not wer.higher_is_better

    truth = truth_rows()
    given = {row["id"]: row["text"] for row in truth}
    given["utt-001"] = "our team is in the kitchen now"
    given["utt-002"] = "my flight late today"
    path = tmp_path / "transcripts.json"
    path.write_text(json.dumps(given))
    submission = submit(alice_api, path)
    assert submission.status == states.SCORED, (submission.error_code, submission.error_message)
    expected = reference_wer(truth, given)
    assert submission.public_scores == pytest.approx(expected["public"], abs=1e-12)
    assert submission.private_scores == pytest.approx(expected["private"], abs=1e-12)
    assert submission.public_score == pytest.approx(expected["public"]["wer"], abs=1e-12)
    assert submission.program_version == program.version
    rows = leaderboard_rows(competition=wer)
    assert [row.score for row in rows] == [pytest.approx(expected["public"]["wer"])]
    page = alice_api.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert "scoring_log" not in json.dumps(page) and "program_version" not in page

    # A participant's mistake: the program's own code and words, not charged.
    del given["utt-003"]
    path.write_text(json.dumps(given))
    failed = submit(alice_api, path)
    assert (failed.status, failed.error_code) == (states.FAILED, "missing-ids")
    assert "utt-003" in failed.error_message and failed.program_version == program.version
    detail = alice_api.get(f"/api/v1/submissions/{failed.pk}/").json()
    assert detail["error"] == {"code": "missing-ids", "message": failed.error_message}
    team = alice.memberships.get(competition=wer).team
    assert quota_for_team(competition=wer, team=team).used == 1


def test_a_broken_program_is_the_organizers_fault_told_once_and_a_fixed_version_rescored(
        programs_worker, wer, alice_api, organizer, tmp_path: Path) -> None:
    working = wer.current_program()
    broken_dir = tmp_path / "broken"
    shutil.copytree(WER_BUNDLE / "scoring", broken_dir)
    (broken_dir / "score.py").write_text("import sys\nprint('secret-looking line: ' + open('/input/truth/transcripts.csv')"
                                         ".read()[:40])\nraise SystemExit(3)\n")
    wer.webhooks.create(url="https://hooks.example.org/podium", secret="s" * 32, events=[PROGRAM_FAILURE])
    broken = program_save(competition=wer, folder=broken_dir, user=organizer)
    assert broken.version != working.version and wer.current_program() == broken

    given = {row["id"]: row["text"] for row in truth_rows()}
    path = tmp_path / "perfect.json"
    path.write_text(json.dumps(given))
    first, second = submit(alice_api, path), submit(alice_api, path)
    for submission in (first, second):
        assert (submission.status, submission.error_code) == (states.FAILED, "scoring-program-error")
        assert submission.program_version == broken.version
        assert "exited with status 3" in submission.scoring_log and "secret-looking line" in submission.scoring_log
        shown = json.dumps(alice_api.get(f"/api/v1/submissions/{submission.pk}/").json())
        assert "secret-looking" not in shown and "not a fault of your submission" in shown
    page = alice_api.get(f"/submissions/{first.pk}/")
    assert b"secret-looking" not in page.content
    team = first.team
    assert quota_for_team(competition=wer, team=team).used == 0  # never charged
    # Every organizer once for this version, however many submissions it failed; the webhook carries the log.
    told = Notification.objects.filter(kind=PROGRAM_FAILURE, competition=wer)
    assert list(told.values_list("user_id", flat=True)) == [organizer.pk]
    delivery = WebhookDelivery.objects.get(event=PROGRAM_FAILURE)
    assert delivery.payload["data"]["program_version"] == broken.version
    assert "secret-looking line" in delivery.payload["data"]["log"]

    fixed = program_save(competition=wer, folder=WER_BUNDLE / "scoring", user=organizer)
    assert fixed.version == working.version and fixed.pk != working.pk  # the same files again: a new version row
    assert competition_rescore(competition=wer, requested_by=organizer) == 2
    for submission in (first, second):
        rescored = wait_for(lambda s=submission: Submission.objects.filter(pk=s.pk, status=states.SCORED).first(),
                            timeout=120)
        assert rescored.public_score == 0.0 and rescored.program_version == fixed.version
        audit = Rescore.objects.get(submission=submission)
        assert (audit.old_error_code, audit.old_program_version) == ("scoring-program-error", broken.version)
        assert (audit.new_status, audit.new_program_version) == (states.SCORED, fixed.version)


EXAMPLES = ROOT / "examples" / "scoring_programs"


def map_reference(folder: Path, submission: Path) -> dict[str, dict[str, float]]:
    """MAP@10 and recall@10 written another way: numpy over a hit matrix."""
    with open(folder / "truth" / "purchases.csv", newline="") as handle:
        truth = list(csv.DictReader(handle))
    with open(submission, newline="") as handle:
        given = {row["user_id"]: row["items"].split() for row in csv.DictReader(handle)}
    scores = {}
    for subset in ("Public", "Private"):
        aps, recalls = [], []
        for row in (r for r in truth if r["Usage"] == subset):
            bought = set(row["items"].split())
            hits = np.array([item in bought for item in given[row["user_id"]][:10]], dtype=float)
            precision_at = np.cumsum(hits) / np.arange(1, hits.size + 1)
            aps.append(float((precision_at * hits).sum() / min(10, len(bought))))
            recalls.append(hits.sum() / len(bought))
        scores[subset.lower()] = {"map_at_10": float(np.mean(aps)), "recall_at_10": float(np.mean(recalls))}
    return scores


def map_submission(folder: Path, target: Path) -> Path:
    with open(folder / "truth" / "purchases.csv", newline="") as handle:
        truth = list(csv.DictReader(handle))
    rng = np.random.default_rng(3)
    with open(target, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "items"])
        for row in truth:
            bought = row["items"].split()
            guesses = [f"i{n:03d}" for n in rng.choice(np.arange(1, 121), 10, replace=False)]
            ranked = list(dict.fromkeys(rng.permutation(bought[: rng.integers(0, len(bought) + 1)]).tolist() + guesses))
            writer.writerow([row["user_id"], " ".join(ranked[:10])])
    return target


def coco_submission(folder: Path, target: Path) -> Path:
    truth = json.loads((folder / "truth" / "instances.json").read_text())
    rng = np.random.default_rng(5)
    detections = [{"image_id": a["image_id"], "category_id": a["category_id"], "score": float(rng.uniform(0.3, 1)),
                   "bbox": [float(v + rng.normal(0, 4)) for v in a["bbox"][:2]] + [float(v) for v in a["bbox"][2:]]}
                  for a in truth["annotations"] if rng.random() < 0.85]
    target.write_text(json.dumps(detections))
    return target


def coco_reference(folder: Path, submission: Path) -> dict[str, dict[str, float]]:
    from tests.scoring.test_detection import pycocotools_at

    truth = json.loads((folder / "truth" / "instances.json").read_text())
    at = pycocotools_at(truth, json.loads(submission.read_text()), 0.3)
    return {board: {"ap_30": ap, "ar_30": ar} for board, (ap, ar) in at.items()}


@pytest.mark.parametrize("example, build, reference", [
    ("map_at_k", map_submission, map_reference),
    ("coco_iou30", coco_submission, coco_reference),
])
def test_each_example_bundle_scores_through_a_worker_as_its_reference_says(
        programs_worker, alice, example: str, build, reference, tmp_path: Path) -> None:
    folder = EXAMPLES / example
    competition, _ = competition_import_bundle(path=folder, publish=True)
    program = competition.current_program()
    assert program.dry_runs["sample"]["status"] == "scored", program.dry_runs["sample"]
    assert program.dry_runs["empty"]["status"] == "failed", program.dry_runs["empty"]
    membership_join(competition=competition, user=alice, accept_rules=True)
    api = APIClient()
    api.force_authenticate(alice)
    path = build(folder, tmp_path / f"submission{competition.task_type.submission_suffix}")
    with open(path, "rb") as handle:
        response = api.post(f"/api/v1/competitions/{competition.slug}/submissions/", {"file": handle},
                            format="multipart")
    assert response.status_code == 201, response.content
    submission = wait_for(lambda: Submission.objects.filter(pk=response.json()["id"], status__in=states.FINAL).first(),
                          timeout=120)
    assert submission.status == states.SCORED, (submission.error_code, submission.error_message, submission.scoring_log)
    expected = reference(folder, path)
    assert submission.public_scores == pytest.approx(expected["public"], abs=1e-9)
    assert submission.private_scores == pytest.approx(expected["private"], abs=1e-9)
    assert 0 < submission.public_score < 1 and submission.program_version == program.version


def _programs_health() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    staff = Client()
    staff.force_login(get_user_model().objects.get_or_create(username="health-staff", defaults={"is_staff": True})[0])
    return staff.get("/health/").json().get("programs", {})


def test_a_worker_that_cannot_sandbox_programs_runs_none_while_built_in_scoring_goes_on(
        redis_url: str, alice, alice_joined, text_bundle, tmp_path: Path, tmp_path_factory) -> None:
    """Fail closed: the programs queue is given up before any message is taken, /health/ says why, a built-in
    competition's file is scored meanwhile, and a worker that can sandbox scores the waiting one."""
    from tests.conftest import _database_url, _worker, _worker_env, private_broker

    with private_broker(tmp_path / "redis.sock", redis_url) as broker:
        wer_competition, _ = competition_import_bundle(path=WER_BUNDLE)  # a draft: no dry runs needed here
        wer_competition.published_at = wer_competition.created_at
        wer_competition.save()
        membership_join(competition=wer_competition, user=alice, accept_rules=True)
        env = _worker_env(broker, _database_url(), tmp_path_factory)
        broken = {**env, "PODIUM_SCORING_UID_BASE": "61010"}  # overlaps the models' pool: refused
        api = APIClient()
        api.force_authenticate(alice)
        given = {row["id"]: row["text"] for row in truth_rows()}
        path = tmp_path / "perfect.json"
        path.write_text(json.dumps(given))
        with _worker("scoring", env, tmp_path / "scoring.log"), _worker("programs", broken, tmp_path / "broken.log"):
            with open(path, "rb") as handle:
                waiting_id = api.post("/api/v1/competitions/voice-notes-wer/submissions/", {"file": handle},
                                      format="multipart").json()["id"]
            wait_for(lambda: "Canceling queue programs" in (tmp_path / "broken.log").read_text(), timeout=30)
            with open(text_bundle.baselines["Keyword Voters"], "rb") as handle:
                built_in_id = api.post("/api/v1/competitions/topic/submissions/", {"file": handle},
                                       format="multipart").json()["id"]
            built_in = wait_for(lambda: Submission.objects.filter(pk=built_in_id, status__in=states.FINAL).first(),
                                timeout=60)
            health = wait_for(lambda: (lambda h: h if "can build the sandbox" in str(h.get("status", "")) else None)(
                _programs_health()), timeout=30)  # once its heartbeat has said why
            waiting = Submission.objects.get(pk=waiting_id)
            assert (waiting.status, waiting.attempt) == (states.QUEUED, 0)  # not run, not failed
        assert built_in.status == states.SCORED
        log = (tmp_path / "broken.log").read_text()
        assert "cannot sandbox scoring programs and will run none" in log and "PODIUM_SCORING_UID_BASE" in log
        assert "built-in scoring goes on" in health["status"]
        (report,) = health["sandboxes"].values()
        assert not report["ok"] and "PODIUM_SCORING_UID_BASE" in report["detail"]
        with _worker("programs", env, tmp_path / "good.log"):
            scored = wait_for(lambda: Submission.objects.filter(pk=waiting_id, status__in=states.FINAL).first(),
                              timeout=120)
            assert wait_for(lambda: _programs_health().get("status") == "ok", timeout=30)
    assert scored.status == states.SCORED and scored.public_score == 0.0, (scored.error_code, scored.scoring_log)


def test_each_phase_is_scored_on_its_own_truth_folder(programs_worker, alice, tmp_path: Path) -> None:
    """`phases:` of a program-scored competition each name a truth/ folder; a submission is scored on its phase's."""
    import yaml
    from django.utils import timezone

    bundle = tmp_path / "phased"
    shutil.copytree(WER_BUNDLE, bundle)
    truth = truth_rows()
    final = bundle / "phases" / "final" / "truth"
    final.mkdir(parents=True)
    with open(final / "transcripts.csv", "w", newline="", encoding="utf-8") as handle:  # other words, same ids
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "Usage"])
        writer.writeheader()
        writer.writerows({**row, "text": "final " + row["text"]} for row in truth)
    meta = yaml.safe_load((bundle / "competition.yaml").read_text())
    now = timezone.now()
    meta.update(slug="voice-notes-phased", phases=[
        {"name": "Validation", "slug": "validation", "start": (now - timedelta(days=9)).isoformat(),
         "end": (now - timedelta(days=1)).isoformat(), "truth": "truth"},
        {"name": "Final", "slug": "final", "start": (now - timedelta(days=1)).isoformat(),
         "end": (now + timedelta(days=9)).isoformat(), "truth": "phases/final/truth"}])
    (bundle / "competition.yaml").write_text(yaml.safe_dump(meta))
    competition, _ = competition_import_bundle(path=bundle, publish=True)
    membership_join(competition=competition, user=alice, accept_rules=True)
    api = APIClient()
    api.force_authenticate(alice)
    given = {row["id"]: row["text"] for row in truth}  # right for the validation phase, one word short for the final
    path = tmp_path / "transcripts.json"
    path.write_text(json.dumps(given))
    with open(path, "rb") as handle:
        response = api.post("/api/v1/competitions/voice-notes-phased/submissions/", {"file": handle},
                            format="multipart")
    submission = wait_for(lambda: Submission.objects.filter(pk=response.json()["id"], status__in=states.FINAL).first(),
                          timeout=120)
    assert submission.status == states.SCORED and submission.phase.slug == "final"
    final_truth = [{**row, "text": "final " + row["text"]} for row in truth]
    assert submission.public_scores == pytest.approx(reference_wer(final_truth, given)["public"], abs=1e-12)
    assert submission.public_score > 0
