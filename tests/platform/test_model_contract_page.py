"""The Submit page explains models: accepted formats, this competition's contract, order and limit;
a model's page shows its throughput."""
from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from competitions.models import CompetitionFile
from submissions.models import Submission
from submissions.results import submission_inference_finished

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(alice, alice_joined) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_the_submit_page_gives_the_text_contract_in_class_order(alice_client: Client, competition) -> None:
    competition.submission_kinds = ["predictions", "model"]
    competition.max_model_mb = 900
    competition.model_limits = {"max_length": 128}
    competition.save()
    page = alice_client.get("/c/topic/submit/").content.decode()
    assert 'id="model-contract"' in page and 'data-for-kind="model"' in page
    assert "models: at most 900 MB" in page and "predictions: at most 50 MB" in page
    assert "<code>0=food</code>, <code>1=sports</code>, <code>2=technology</code>, <code>3=travel</code>" in page
    assert "truncated to 128 tokens" in page and "tokenizer.json" in page and "ONNX" in page


def test_a_predictions_only_competition_says_nothing_of_models(alice_client: Client, competition) -> None:
    page = alice_client.get("/c/topic/submit/").content.decode()
    assert "model-contract" not in page and "models: at most" not in page


def test_the_detection_contract_lists_class_index_to_category(alice_client: Client, competition) -> None:
    competition.task, competition.classes = "detection", []
    competition.submission_kinds = ["model"]
    competition.model_limits = {"confidence": 0.25}
    competition.save()
    item = CompetitionFile(competition=competition, name="test.json")
    item.file.save("test.json", ContentFile(json.dumps({"images": [], "categories": [
        {"id": 4, "name": "circle"}, {"id": 2, "name": "square"}]}).encode()), save=False)
    item.size = item.file.size
    item.save()
    page = alice_client.get("/c/topic/submit/").content.decode()
    assert "<code>0=4 circle</code>, <code>1=2 square</code>" in page
    assert "[N, 4 + 2, anchors]" in page and "confidence 0.25" in page


def test_a_models_page_shows_items_per_second_and_its_load_time(alice_client: Client, competition, alice_joined) -> None:
    submission = Submission.objects.create(competition=competition, team=alice_joined.team, submitted_by=alice_joined.user,
                                           kind="model", file=ContentFile(b"x", name="m.onnx"), status="running")
    result = {"output": None, "seconds": 3.5, "device": "cpu", "error": {"code": "model-error", "message": "boom"},
              "log": "", "load_seconds": 0.25, "items": 2000, "run_seconds": 2.5}
    submission_inference_finished(submission_id=submission.pk, result=result, task_id="t")
    submission.refresh_from_db()
    assert (submission.model_load_ms, submission.inference_items, submission.inference_run_ms) == (250, 2000, 2500)
    page = alice_client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "2000 items" in page and "800.0 items/s" in page and "model loaded in 250 ms" in page


@pytest.mark.parametrize("stats", [{"items": -5, "run_seconds": "x", "load_seconds": 1e12}, {"items": "many"}, {}])
def test_bogus_statistics_from_a_worker_are_dropped(competition, alice_joined, stats: dict) -> None:
    submission = Submission.objects.create(competition=competition, team=alice_joined.team, submitted_by=alice_joined.user,
                                           kind="model", file=ContentFile(b"x", name="m.onnx"), status="running")
    result = {"output": None, "seconds": 1, "device": "cpu", "error": {"code": "model-error", "message": "boom"}, **stats}
    submission_inference_finished(submission_id=submission.pk, result=result, task_id="t")
    submission.refresh_from_db()
    assert submission.inference_items is None and submission.items_per_second is None and submission.model_load_ms is None
