"""Model submissions through real processes: API upload, inference worker (no database), scoring worker."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import List

import pytest
import torch
from rest_framework.test import APIClient

from examples import text_classification
from scoring import ScoringOptions, get_task
from submissions import states
from submissions.models import Submission
from submissions.selectors import quota_for_team
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CLASSES = ["food", "sports", "technology", "travel"]


@pytest.fixture
def model_competition(competition):
    competition.submission_kinds = ["predictions", "model"]
    competition.model_limits = {"wall_seconds": 60, "memory_mb": 2048, "batch_size": 32}
    competition.save()
    return competition


@pytest.fixture
def alice_api(alice, alice_joined) -> APIClient:
    api = APIClient()
    api.force_authenticate(alice)
    return api


def submit_model(api: APIClient, model: torch.jit.ScriptModule, path: Path) -> int:
    torch.jit.save(model, str(path))
    with open(path, "rb") as handle:
        response = api.post("/api/v1/competitions/topic/submissions/", {"file": handle, "kind": "model"}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def final(submission_id: int) -> Submission:
    return wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=120)


class Raiser(torch.nn.Module):
    def forward(self, texts: List[str]) -> torch.Tensor:
        raise ValueError("no predictions today")


def test_a_model_is_run_by_the_inference_worker_and_scored_like_its_predictions(
    celery_worker, inference_worker, alice_api, model_competition, text_bundle, tmp_path: Path
) -> None:
    model = text_classification.build(text_bundle.path / "public", {"classes": CLASSES})
    submission = final(submit_model(alice_api, model, tmp_path / "model.pt"))
    assert submission.status == states.SCORED, (submission.error_code, submission.error_message)
    assert submission.inference_ms and submission.inference_device == "cpu"
    # The same predictions, made in-process by the test and scored directly.
    rows = list(csv.DictReader(open(text_bundle.path / "public" / "test.csv")))
    predicted = model([row["text"] for row in rows]).argmax(1).tolist()
    direct = tmp_path / "direct.csv"
    direct.write_text("id,label\n" + "".join(f"{row['id']},{CLASSES[k]}\n" for row, k in zip(rows, predicted)))
    task = get_task("text-classification")
    options = ScoringOptions(classes=tuple(CLASSES))
    expected = task.score(task.load_truth(text_bundle.path / "truth.csv", options), direct, options)
    assert submission.public_scores == pytest.approx(expected["public"], abs=1e-12)
    detail = alice_api.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert detail["status"] == "scored" and detail["kind"] == "model"


def test_a_failing_model_fails_with_its_message_and_is_not_charged(
    celery_worker, inference_worker, alice_api, model_competition, alice_joined, tmp_path: Path
) -> None:
    submission = final(submit_model(alice_api, torch.jit.script(Raiser()), tmp_path / "model.pt"))
    assert (submission.status, submission.error_code) == (states.FAILED, "model-error")
    assert "no predictions today" in submission.error_message
    assert quota_for_team(competition=model_competition, team=alice_joined.team).used == 0


def test_a_pickle_fails_as_an_unsupported_format(celery_worker, inference_worker, alice_api, model_competition, tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with open(path, "rb") as handle:
        created = alice_api.post("/api/v1/competitions/topic/submissions/", {"file": handle, "kind": "model"}, format="multipart").json()
    submission = final(created["id"])
    assert submission.error_code == "unsupported-model-format"


def test_an_example_script_builds_and_submits_its_model(
    celery_worker, inference_worker, live_server, alice, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import os
    import subprocess
    import sys

    from competitions.bundles import competition_import_bundle
    from competitions.demo_data import segmentation_bundle
    from teams.services import membership_join

    bundle = segmentation_bundle(tmp_path_factory.mktemp("seg") / "blobs", n_train=2, n_test=10)
    competition, _ = competition_import_bundle(path=bundle.path)
    membership_join(competition=competition, user=alice, accept_rules=True)
    from accounts.services import token_issue

    env = {**os.environ, "PODIUM_HOST": live_server.url, "PODIUM_TOKEN": token_issue(user=alice, name="example")[1],
           "PODIUM_CONFIG": str(tmp_path / "none.json")}
    script = Path(__file__).resolve().parents[2] / "examples" / "segmentation.py"
    result = subprocess.run([sys.executable, str(script), "--slug", "blob-tracer", "--data", str(tmp_path / "data"),
                             "--output", str(tmp_path / "model.pt")], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    submission = Submission.objects.get(competition=competition)
    assert submission.kind == "model" and submission.status == states.SCORED
    assert submission.public_score > 0.9


def test_the_logs_of_web_scoring_and_inference_name_the_submission(
    celery_worker, inference_worker, alice_api, model_competition, text_bundle, tmp_path: Path, tmp_path_factory, caplog
) -> None:
    caplog.set_level("INFO", logger="submissions")
    model = text_classification.build(text_bundle.path / "public", {"classes": CLASSES})
    submission_id = submit_model(alice_api, model, tmp_path / "model.pt")
    assert final(submission_id).status == states.SCORED
    web = [r.getMessage() for r in caplog.records if getattr(r, "submission", None) == submission_id]
    assert any(m.startswith("received model submission") for m in web) and "enqueued for inference" in web
    tag = f"[submission={submission_id}]"
    logs = tmp_path_factory.getbasetemp()

    def tagged(name: str) -> str:
        return "\n".join(line for line in (logs / name).read_text().splitlines() if tag in line)

    inference = wait_for(lambda: (lambda text: text if "model ran on cpu" in text else None)(tagged("inference-worker.log")))
    assert "running text-classification model" in inference
    scoring = wait_for(
        lambda: (lambda text: text if "scored accuracy=" in text or "scored macro_f1=" in text else None)(tagged("worker.log"))
    )
    assert "inference finished on cpu" in scoring


def test_a_model_probing_for_the_truth_through_a_real_worker_gets_nothing_and_its_log_is_kept(
    celery_worker, inference_worker, alice_api, model_competition, settings, tmp_path: Path
) -> None:
    from django.test import Client

    from tests.workers.attacks import intruder

    model_competition.model_limits = {**model_competition.model_limits, "batch_size": 1000}  # one forward call
    model_competition.save()
    truth = Path(model_competition.truth_file.path)
    secret = Path(settings.VAR_DIR) / "secret_key"
    model = intruder(
        reads=[truth, secret, Path(settings.DATABASES["default"]["NAME"])],
        writes=[],
        relative=[str(truth).lstrip("/")],
        classes=len(CLASSES),
    )
    submission = final(submit_model(alice_api, model, tmp_path / "model.pt"))
    assert submission.status == states.SCORED, (submission.error_code, submission.error_message)
    assert "INTRUDER at work" in submission.model_log and "TRIED" in submission.model_log
    assert "id,label" not in submission.model_log and secret.read_text()[:12] not in submission.model_log
    assert submission.public_score < 0.5  # all one class: it learnt nothing of the truth
    browser = Client()
    browser.force_login(submission.submitted_by)
    page = browser.get(f"/submissions/{submission.pk}/").content.decode()
    assert "Model log" in page and "INTRUDER at work" in page
