"""Detection and segmentation competitions end to end: bundle import, API upload, real worker, leaderboard, pages."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from competitions.bundles import competition_import_bundle
from competitions.demo_data import detection_bundle, segmentation_bundle
from leaderboards.selectors import leaderboard_rows
from scoring import get_task
from submissions import states
from submissions.models import Submission
from teams.services import membership_join
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("make_bundle,metric", [(detection_bundle, "map"), (segmentation_bundle, "dice")])
def test_a_competition_of_each_kind_scores_and_ranks(celery_worker, alice, bob, make_bundle, metric, tmp_path) -> None:
    bundle = make_bundle(tmp_path / "bundle", n_train=2, n_test=20)
    competition, _ = competition_import_bundle(path=bundle.path)
    assert competition.task_type.primary_metric == metric
    api = APIClient()
    ids = []
    for user, (team, path) in zip((alice, bob), list(bundle.baselines.items())[:2]):
        membership_join(competition=competition, user=user, accept_rules=True)
        api.force_authenticate(user)
        with open(path, "rb") as handle:
            response = api.post(f"/api/v1/competitions/{competition.slug}/submissions/", {"file": handle}, format="multipart")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    done = [wait_for(lambda i=i: Submission.objects.filter(pk=i, status__in=states.FINAL).first(), timeout=60) for i in ids]
    assert [s.status for s in done] == [states.SCORED, states.SCORED], [s.error_message for s in done]
    task = get_task(competition.task)
    assert set(done[0].public_scores) == set(task.metrics)
    ranked = leaderboard_rows(competition=competition)
    assert [r.score for r in ranked] == sorted((s.public_score for s in done), reverse=True)
    api.force_authenticate(alice)
    page = APIClient()
    page.force_login(alice)
    detail = page.get(f"/submissions/{done[0].pk}/").content.decode()
    assert all(m in detail for m in task.metrics)
    overlay = page.get(f"/submissions/{done[0].pk}/overlay.png")
    assert overlay.status_code == 200 and overlay.content.startswith(b"\x89PNG")
    data_page = page.get(f"/c/{competition.slug}/data/").content.decode()
    assert "A few test images" in data_page
    thumbnail = page.get(
        f"/c/{competition.slug}/thumbnails/images/{sorted(p.name for p in (bundle.path / 'public' / 'images').iterdir())[0]}"
    )
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/png"
    other = APIClient()
    other.force_login(bob)
    assert other.get(f"/submissions/{done[0].pk}/overlay.png").status_code == 404  # another team's
