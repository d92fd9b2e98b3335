"""The organizer's ranking metric: scores, boards, pages and the API follow it; changing it re-ranks without
scoring again; every metric is a column; per-class numbers reach the team only."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client
from rest_framework.test import APIClient

from competitions.bundles import BundleError, competition_import_bundle
from competitions.demo_data import text_classification_bundle
from leaderboards.selectors import leaderboard_rows
from submissions import states
from submissions.models import Submission
from submissions.intake import submission_create
from submissions.results import submission_score
from teams.services import membership_join
from tests.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_calls")]



def _scored(competition, team, accuracy: float, macro_f1: float) -> Submission:
    scores = {"accuracy": accuracy, "macro_f1": macro_f1, "micro_f1": accuracy, "weighted_f1": macro_f1}
    metric = competition.ranking_metric
    return Submission.objects.create(competition=competition, team=team, file="x.csv", status=states.SCORED,
                                     public_scores=scores, private_scores=scores,
                                     public_score=scores[metric], private_score=scores[metric])


def test_changing_the_metric_re_ranks_every_board_without_scoring_again(competition, alice, bob) -> None:
    alice_team = membership_join(competition=competition, user=alice, accept_rules=True).team
    bob_team = membership_join(competition=competition, user=bob, accept_rules=True).team
    _scored(competition, alice_team, accuracy=0.9, macro_f1=0.4)  # accurate on the big class only
    _scored(competition, bob_team, accuracy=0.8, macro_f1=0.7)
    assert [r.team for r in leaderboard_rows(competition=competition)] == ["alice", "bob"]
    competition.metric = "macro_f1"
    competition.save()
    rows = leaderboard_rows(competition=competition)
    assert [(r.team, r.score) for r in rows] == [("bob", 0.7), ("alice", 0.4)]
    assert [(r.team, r.score) for r in leaderboard_rows(competition=competition, board="private")] == [("bob", 0.7), ("alice", 0.4)]
    assert rows[0].scores["accuracy"] == 0.8  # every metric rides along
    assert sorted(Submission.objects.values_list("public_score", flat=True)) == [0.4, 0.7]


def test_scoring_the_page_and_the_api_follow_the_chosen_metric(client: Client, competition, alice, text_bundle) -> None:
    competition.metric = "weighted_f1"
    competition.save()
    membership_join(competition=competition, user=alice, accept_rules=True)
    submission = submission_create(user=alice, competition=competition, kind="predictions",
                                   file=upload(text_bundle.baselines["Keyword Voters"]))
    submission_score(submission_id=submission.pk, task_id="t")
    submission.refresh_from_db()
    assert submission.public_score == submission.public_scores["weighted_f1"] != submission.public_scores["accuracy"]
    api = APIClient()
    api.force_authenticate(alice)
    board = api.get("/api/v1/competitions/topic/leaderboard/").json()
    assert board["metric"] == "weighted_f1" and board["entries"][0]["score"] == submission.public_score
    assert set(board["entries"][0]["scores"]) == {"accuracy", "macro_f1", "micro_f1", "weighted_f1"}
    assert api.get("/api/v1/competitions/").json()[0]["metric"] == "weighted_f1"
    client.force_login(alice)
    page = client.get("/c/topic/leaderboard/").content.decode()
    for column in ("weighted_f1", "accuracy", "macro_f1", "micro_f1"):  # each metric's label, its name beside it
        assert f'title="{column}">{competition.task_type.metric(column).title}</th>' in page
    assert "Submissions are ranked by **weighted-F1**" not in page  # rendered as Markdown, not raw
    assert "weighted-F1" in client.get("/c/topic/evaluation/").content.decode()
    mine = client.get("/c/topic/submissions/").content.decode()
    assert 'title="weighted_f1">Public Weighted-F1</th>' in mine and 'title="accuracy">Public Accuracy</th>' in mine
    detail = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "Per class" in detail and "(public part only)" in detail
    assert all(f"<td>{name}</td>" in detail for name in competition.classes)


def test_per_class_numbers_stay_with_the_team(client: Client, competition, alice, bob, text_bundle) -> None:
    membership_join(competition=competition, user=alice, accept_rules=True)
    submission = submission_create(user=alice, competition=competition, kind="predictions",
                                   file=upload(text_bundle.baselines["Keyword Voters"]))
    submission_score(submission_id=submission.pk, task_id="t")
    submission.refresh_from_db()
    assert set(submission.public_details) == set(competition.classes)
    client.force_login(bob)
    assert client.get(f"/submissions/{submission.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(bob)
    board = api.get("/api/v1/competitions/topic/leaderboard/").content.decode()
    assert "precision" not in board and "recall" not in board


def test_a_metric_the_task_does_not_rank_by_is_refused(tmp_path: Path, django_user_model, competition) -> None:
    bundle = text_classification_bundle(tmp_path / "t", n_train=20, n_test=30)
    meta = yaml.safe_load((bundle.path / "competition.yaml").read_text())
    (bundle.path / "competition.yaml").write_text(yaml.safe_dump({**meta, "metric": "map"}))
    with pytest.raises(BundleError, match="metric 'map' does not rank text-classification competitions; "
                                          "choose among accuracy, macro_f1, micro_f1, weighted_f1"):
        competition_import_bundle(path=bundle.path)
    (bundle.path / "competition.yaml").write_text(yaml.safe_dump({**meta, "metric": "macro_f1"}))
    assert competition_import_bundle(path=bundle.path)[0].ranking_metric == "macro_f1"
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    admin = Client()
    admin.force_login(root)
    page = admin.get(f"/admin/competitions/competition/{competition.pk}/change/")
    assert 'name="metric"' in page.content.decode()
    from tests.platform.test_admin_and_bundles import competition_form

    truth = b"id,label,Usage\n1,a,Public\n2,b,Private\n"
    refused = admin.post("/admin/competitions/competition/add/", {**competition_form(truth), "metric": "map"})
    assert refused.status_code == 200 and "map does not rank text-classification competitions" in refused.content.decode()
