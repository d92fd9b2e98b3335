"""The contract every registered task type meets, end to end, with nothing here naming one.

For each task type in `scoring.registry.TASKS`: its demo bundle imports; predictions files uploaded
through the API are scored by a real worker and ranked in the metric's declared direction; its
worked example (`TaskType.example`) builds a model that the inference worker runs in the real
sandbox and the scorer scores; and the pages a participant visits show the competition. A new
task type is tested by this file as soon as it is registered.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch
from rest_framework.test import APIClient

from competitions.bundles import competition_import_bundle
from leaderboards.selectors import leaderboard_rows
from scoring import TASKS, TaskType
from submissions import states
from submissions.models import Submission
from teams.services import membership_join
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def example_upload(task: TaskType, public: Path, competition: dict, folder: Path) -> Path:
    """What a participant following the task type's worked example would upload."""
    example = importlib.import_module(task.example)
    if hasattr(example, "package"):
        return example.package(public, competition, folder)
    path = folder / "model.pt"
    torch.jit.save(example.build(public, competition), str(path))
    return path


def post(api: APIClient, slug: str, path: Path, kind: str = "predictions") -> int:
    with open(path, "rb") as handle:
        response = api.post(f"/api/v1/competitions/{slug}/submissions/", {"file": handle, "kind": kind}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def final(submission_id: int, timeout: float) -> Submission:
    return wait_for(lambda: Submission.objects.filter(pk=submission_id, status__in=states.FINAL).first(), timeout=timeout)


@pytest.mark.parametrize("name", [name for name, task in TASKS.items() if task.demo is not None])
def test_every_task_type_imports_scores_runs_models_and_ranks(
        celery_worker, inference_worker, alice, bob, name: str, tmp_path: Path) -> None:
    task = TASKS[name]
    assert task.demo is not None
    bundle = task.demo.build(tmp_path / "bundle", slug=f"contract-{name}", **task.demo.example_sizes)
    competition, _ = competition_import_bundle(path=bundle.path)
    assert competition.task == name and competition.ranking_metric == task.primary_metric
    assert competition.files.filter(name=task.test_inputs).exists()

    apis = {}
    for user in (alice, bob):
        membership_join(competition=competition, user=user, accept_rules=True)
        apis[user] = APIClient()
        apis[user].force_authenticate(user)
    files = [post(apis[user], competition.slug, path) for user, path in zip((alice, bob), bundle.baselines.values())]
    scored = [final(pk, timeout=60) for pk in files]
    assert [s.status for s in scored] == [states.SCORED] * 2, [(s.error_code, s.error_message) for s in scored]
    for submission in scored:
        assert task.primary_metric in submission.public_scores and set(submission.public_scores) <= set(task.metrics)
        assert task.primary_metric in submission.private_scores
    board = [row.score for row in leaderboard_rows(competition=competition)]
    assert board == sorted((s.public_score for s in scored), reverse=task.higher_is_better) and len(board) == 2

    if task.accepts_models and task.example:
        details = {"slug": competition.slug, "task": name, "classes": list(competition.classes or [])}
        upload = example_upload(task, bundle.path / "public", details, tmp_path)
        model = final(post(apis[alice], competition.slug, upload, kind="model"), timeout=180)
        assert model.status == states.SCORED, (model.error_code, model.error_message, model.model_log[-2000:])
        assert task.primary_metric in model.public_scores and model.predictions_file

    page = APIClient()
    page.force_login(alice)
    for path in ("", "data/", "evaluation/", "leaderboard/", "submit/"):
        response = page.get(f"/c/{competition.slug}/{path}")
        assert response.status_code == 200, (path, response.status_code)
    submit = page.get(f"/c/{competition.slug}/submit/").content.decode()
    assert "This competition&#x27;s contract" in submit or "This competition's contract" in submit
    evaluation = page.get(f"/c/{competition.slug}/evaluation/").content.decode()
    assert task.metric(task.primary_metric).description.split("**")[1] in evaluation  # the declared words
