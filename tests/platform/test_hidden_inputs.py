"""Hidden inputs stay hidden: where a competition's models read test inputs its teams cannot download, a
model that prints them (and raises them) hands its team a score, a coarse code and the platform's own
message, never its log; the log is kept for the organizers. Where the inputs are public, teams see it."""
from __future__ import annotations

from typing import List

import pytest
import torch
from django.core.files.base import ContentFile
from django.test import Client
from rest_framework.test import APIClient

from submissions.models import Submission
from submissions.results import submission_inference_finished
from workers.inference import InferenceJob, run_job
from workers.storage import LocalFiles

pytestmark = pytest.mark.django_db

SECRET = "the hidden sentence XYZZY-4711"


class Leaker(torch.nn.Module):
    """Prints every input it is given, then raises the first one as its error."""

    def forward(self, texts: List[str]) -> torch.Tensor:
        for text in texts:
            print("INPUT:", text)
        raise ValueError(texts[0])


@pytest.fixture(scope="module")
def leaked_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The real run, in the sandbox, of a model that prints its inputs: what the worker reports back."""
    media = tmp_path_factory.mktemp("media")
    (media / "hidden").mkdir()
    (media / "hidden" / "test.csv").write_text(f"id,text\n1,{SECRET}\n2,{SECRET} again\n")
    torch.jit.save(torch.jit.script(Leaker()), str(media / "model.pt"))
    job = InferenceJob(submission_id=1, task="text-classification", model="model.pt", inputs="hidden",
                       output="out.csv", classes=["food", "sports", "technology", "travel"], wall_seconds=60)
    result = run_job(job, files=LocalFiles(media), hidden=[], device="cpu").as_dict()
    assert SECRET in str(result["log"]) and SECRET in str(result["error"]), result  # the control: it did leak
    return result


def _finished(competition, alice_joined, result: dict[str, object]) -> Submission:
    submission = Submission.objects.create(competition=competition, team=alice_joined.team, submitted_by=alice_joined.user,
                                           kind="model", file=ContentFile(b"x", name="m.pt"), status="running")
    submission_inference_finished(submission_id=submission.pk, result=result, task_id="t")
    submission.refresh_from_db()
    assert submission.status == "failed" and submission.error_code == "model-error"
    return submission


def _what_the_team_sees(alice, submission: Submission) -> str:
    client = Client()
    client.force_login(alice)
    api = APIClient()
    api.force_authenticate(alice)
    slug = submission.competition.slug
    answers = [client.get(f"/submissions/{submission.pk}/"), client.get(f"/c/{slug}/submissions/"),
               client.get(f"/c/{slug}/submissions/table/"), api.get(f"/api/v1/submissions/{submission.pk}/"),
               api.get(f"/api/v1/competitions/{slug}/submissions/"), client.get("/inbox/")]
    assert all(answer.status_code == 200 for answer in answers), [a.status_code for a in answers]
    return "\n".join(answer.content.decode() for answer in answers)


def test_where_inputs_are_hidden_the_team_sees_only_the_code_and_the_platforms_message(
        competition, alice, alice_joined, leaked_run, django_user_model) -> None:
    competition.has_model_inputs = True
    competition.save()
    submission = _finished(competition, alice_joined, leaked_run)
    seen = _what_the_team_sees(alice, submission)
    assert "XYZZY" not in seen and "INPUT:" not in seen
    assert "model-error" in seen and "The model failed on the hidden test inputs" in seen
    assert "kept for the organizers only" in seen
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    admin = Client()
    admin.force_login(root)
    change = admin.get(f"/admin/submissions/submission/{submission.pk}/change/").content.decode()
    assert SECRET in change  # kept for the organizers


def test_where_inputs_are_public_the_team_sees_its_log_unless_the_organizers_turn_it_off(
        competition, alice, alice_joined, leaked_run) -> None:
    submission = _finished(competition, alice_joined, leaked_run)
    assert SECRET in _what_the_team_sees(alice, submission)
    competition.show_model_logs = False
    competition.save()
    seen = _what_the_team_sees(alice, submission)
    assert "INPUT:" not in seen and "Model log" not in seen
