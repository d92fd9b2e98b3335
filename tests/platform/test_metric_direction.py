"""A metric's direction has one source, its declaration: a task type whose ranking metric is declared
lower-is-better ranks the smaller score first everywhere (scoring, standings, API, pages, evaluation text)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from leaderboards.selectors import leaderboard_rows
from scoring import TASKS, Metric, ScoringOptions
from scoring.tasktype import TaskType
from submissions.intake import submission_create
from submissions.results import submission_score
from teams.services import membership_join
from tests.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]


def _with_error_rate(task: TaskType) -> TaskType:
    """The text task with one more metric, `error_rate` (1 - accuracy), declared lower-is-better, and nothing else."""
    def score(truth: Any, submission: Path, options: ScoringOptions) -> dict[str, Any]:
        scores = task.score(truth, submission, options)
        for board in ("public", "private"):
            scores[board]["error_rate"] = 1.0 - scores[board]["accuracy"]
        return scores

    return dataclasses.replace(task, declared_metrics=(*task.declared_metrics, Metric("error_rate", higher_is_better=False)),
                               ranking_metrics=(*task.rankable(), "error_rate"), score=score)


def test_a_lower_is_better_metric_ranks_the_smaller_score_first_through_the_whole_stack(
        monkeypatch: pytest.MonkeyPatch, competition, alice, bob, text_bundle) -> None:
    monkeypatch.setitem(TASKS, "text-classification", _with_error_rate(TASKS["text-classification"]))
    competition.metric = "error_rate"
    competition.save()
    assert competition.higher_is_better is False
    for user, baseline in ((alice, "Keyword Voters"), (bob, "Coin Flippers")):
        membership_join(competition=competition, user=user, accept_rules=True)
        made = submission_create(user=user, competition=competition, kind="predictions",
                                 file=upload(text_bundle.baselines[baseline]))
        submission_score(submission_id=made.pk, task_id="t")
    rows = leaderboard_rows(competition=competition)
    assert [row.team for row in rows] == ["alice", "bob"] and rows[0].score < rows[1].score
    assert rows[0].score == pytest.approx(1 - rows[0].scores["accuracy"])
    api = APIClient()
    api.force_authenticate(alice)
    board = api.get("/api/v1/competitions/topic/leaderboard/").json()
    assert board["higher_is_better"] is False and [e["team"] for e in board["entries"]] == ["alice", "bob"]
    assert api.get("/api/v1/competitions/topic/").json()["higher_is_better"] is False
    client = Client()
    client.force_login(bob)
    page = client.get("/c/topic/leaderboard/").content.decode()
    assert page.index('<td class="team"><a href="/u/alice/">alice</a></td>') < page.index('<td class="team"><a href="/u/bob/">bob</a></td>')
    assert "lower" in client.get("/c/topic/evaluation/").content.decode()


def test_every_declared_metric_has_one_direction_and_ranking_metrics_are_declared() -> None:
    for task in TASKS.values():
        assert len(set(task.metrics)) == len(task.metrics)
        assert all(isinstance(task.higher_is_better_for(name), bool) for name in task.rankable())
    with pytest.raises(ValueError, match="undeclared"):
        dataclasses.replace(TASKS["text-classification"], ranking_metrics=("accuracy", "rmse"))
