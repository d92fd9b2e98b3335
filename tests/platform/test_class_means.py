"""Means over classes are columns only where the truth has classes: without, they would repeat the plain metric."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from competitions.models import Competition
from submissions.models import Submission
from teams.services import membership_join

pytestmark = pytest.mark.django_db


def _segmentation(alice, details: dict) -> Competition:  # type: ignore[type-arg]
    now = timezone.now()
    competition = Competition.objects.create(slug="masks", title="Masks", task="segmentation",
                                             start_at=now - timedelta(days=1), end_at=now + timedelta(days=9),
                                             published_at=now - timedelta(days=1))
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    scores = {"dice": 0.8, "iou": 0.7, "dice_class_mean": 0.8, "iou_class_mean": 0.7}
    Submission.objects.create(competition=competition, team=team, file="x.csv", status="scored", public_score=0.8,
                              public_scores=scores, private_score=0.8, private_scores=scores, public_details=details)
    return competition


def _headers(alice, path: str) -> str:
    client = Client()
    client.force_login(alice)
    return client.get(path).content.decode()


def test_a_truth_without_classes_shows_no_class_mean_columns(alice) -> None:
    competition = _segmentation(alice, {})
    assert competition.other_metrics == ["iou"]
    page = _headers(alice, "/c/masks/submissions/")
    assert 'title="iou"' in page and "dice_class_mean" not in page and "class mean" not in page


def test_a_truth_with_classes_shows_them(alice) -> None:
    competition = _segmentation(alice, {"road": {"dice": 0.9, "iou": 0.8, "rows": 3}})
    assert competition.other_metrics == ["iou", "dice_class_mean", "iou_class_mean"]
    assert 'title="dice_class_mean"' in _headers(alice, "/c/masks/submissions/")
