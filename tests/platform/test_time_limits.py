"""Every task has a soft and a hard time limit, and Redis redelivers an unacknowledged task only after both."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from submissions.models import Submission
from submissions.dispatch import submission_enqueue

pytestmark = pytest.mark.django_db


def test_scoring_tasks_are_limited_below_the_visibility_timeout() -> None:
    from workers.app import app

    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit < visibility


def test_the_longest_model_run_is_limited_below_the_visibility_timeout(competition, alice_joined, monkeypatch, settings) -> None:
    from workers.app import app

    competition.submission_kinds = ["predictions", "model"]
    competition.model_limits = {"wall_seconds": 10**7}  # more than any run may take: capped by PODIUM_MAX_MODEL_SECONDS
    competition.save()
    submission = Submission(competition=competition, team=alice_joined.team, submitted_by=alice_joined.user, kind="model")
    submission.file.save("model.pt", ContentFile(b"PK"), save=True)
    sent = []
    monkeypatch.setattr(app, "send_task", lambda *args, **kwargs: sent.append(kwargs))
    submission_enqueue(submission_id=submission.pk)
    (options,) = sent
    assert options["args"][0]["wall_seconds"] == settings.PODIUM_MAX_MODEL_SECONDS
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert options["args"][0]["wall_seconds"] < options["soft_time_limit"] < options["time_limit"] < visibility
