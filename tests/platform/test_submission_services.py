"""Creating, claiming and scoring submissions (the services, run in-process)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from sklearn.metrics import accuracy_score, f1_score

from core.errors import PodiumError
from submissions import states
from submissions.models import Submission
from submissions.selectors import quota_for_team
from submissions.intake import submission_create
from submissions.recovery import submissions_requeue_stale
from submissions.results import submission_claim, submission_finish, submission_score
from tests.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """These tests run the scoring service directly; record what would be enqueued."""
    sent: list[int] = []
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: sent.append(submission_id))
    return sent


def create(competition, user, path: Path) -> Submission:
    return submission_create(user=user, competition=competition, file=upload(path), kind="predictions")


def reference_scores(bundle, predictions: Path) -> dict[str, dict[str, float]]:
    import csv

    with open(bundle.path / "truth.csv") as handle:
        truth = {row["id"]: (row["label"], row["Usage"]) for row in csv.DictReader(handle)}
    with open(predictions) as handle:
        predicted = {row["id"]: row["label"] for row in csv.DictReader(handle)}
    scores = {}
    for board, usage in (("public", "Public"), ("private", "Private")):
        ids = [i for i, (_, u) in truth.items() if u == usage]
        y_true, y_pred = [truth[i][0] for i in ids], [predicted[i] for i in ids]
        scores[board] = {"accuracy": accuracy_score(y_true, y_pred),
                         "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
                         "micro_f1": f1_score(y_true, y_pred, average="micro", zero_division=0),
                         "weighted_f1": f1_score(y_true, y_pred, average="weighted", zero_division=0)}
    return scores


def test_a_created_submission_is_queued_and_enqueued_after_commit(
    competition, alice, alice_joined, text_bundle, _no_broker, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = create(competition, alice, text_bundle.baselines["Keyword Voters"])
    assert submission.status == states.QUEUED
    assert _no_broker == [submission.pk]


def test_scoring_records_both_subsets_exactly_as_sklearn(competition, alice, alice_joined, text_bundle) -> None:
    predictions = text_bundle.baselines["Keyword Voters"]
    submission = create(competition, alice, predictions)
    assert submission_score(submission_id=submission.pk, task_id="t1") == states.SCORED
    submission.refresh_from_db()
    expected = reference_scores(text_bundle, predictions)
    assert submission.public_scores == pytest.approx(expected["public"], abs=1e-12)
    assert submission.private_scores == pytest.approx(expected["private"], abs=1e-12)
    assert submission.public_score == pytest.approx(expected["public"]["accuracy"], abs=1e-12)
    assert submission.scored_at is not None and submission.duration_ms is not None


def test_an_invalid_file_fails_with_its_code_and_does_not_count_against_the_limit(
    competition, alice, alice_joined, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prediction\nt00001,food\n")
    submission = create(competition, alice, bad)
    assert submission_score(submission_id=submission.pk, task_id="t1") == states.FAILED
    submission.refresh_from_db()
    assert submission.error_code == "bad-header" and "id,label" in submission.error_message
    assert quota_for_team(competition=competition, team=alice_joined.team).used == 0


def test_a_redelivered_task_never_scores_twice(competition, alice, alice_joined, text_bundle) -> None:
    submission = create(competition, alice, text_bundle.baselines["Coin Flippers"])
    assert submission_score(submission_id=submission.pk, task_id="t1") == states.SCORED
    first = Submission.objects.get(pk=submission.pk)
    assert submission_score(submission_id=submission.pk, task_id="t1") is None
    assert submission_score(submission_id=submission.pk, task_id="t2") is None
    again = Submission.objects.get(pk=submission.pk)
    assert (again.scored_at, again.attempt) == (first.scored_at, first.attempt)


def test_a_task_redelivered_after_its_worker_died_may_reclaim_but_others_may_not(
    competition, alice, alice_joined, text_bundle
) -> None:
    submission = create(competition, alice, text_bundle.baselines["Coin Flippers"])
    first_claim = submission_claim(submission_id=submission.pk, task_id="task-a")
    assert first_claim is not None
    assert submission_claim(submission_id=submission.pk, task_id="task-b") is None
    second_claim = submission_claim(submission_id=submission.pk, task_id="task-a")
    assert second_claim is not None and second_claim.attempt == first_claim.attempt + 1
    # The dead worker's late result is discarded; only the newest claim records.
    assert not submission_finish(submission=first_claim, started=0.0, scores={"public": {"accuracy": 1.0}, "private": {"accuracy": 1.0}})
    assert Submission.objects.get(pk=submission.pk).status == states.RUNNING


def test_the_daily_limit_refuses_with_429_and_says_when_it_resets(competition, alice, alice_joined, text_bundle) -> None:
    for _ in range(competition.daily_submission_limit):
        create(competition, alice, text_bundle.baselines["Coin Flippers"])
    with pytest.raises(PodiumError) as caught:
        create(competition, alice, text_bundle.baselines["Coin Flippers"])
    assert caught.value.status == 429 and caught.value.code == "daily-limit"
    assert "00:00 UTC" in caught.value.message
    assert int(caught.value.headers["Retry-After"]) > 0


def test_yesterdays_submissions_do_not_count_today(competition, alice, alice_joined, text_bundle) -> None:
    for _ in range(competition.daily_submission_limit):
        create(competition, alice, text_bundle.baselines["Coin Flippers"])
    Submission.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert create(competition, alice, text_bundle.baselines["Coin Flippers"]).pk


@pytest.mark.parametrize(
    "change,code",
    [
        ({"start_at": timezone.now() + timedelta(days=1), "end_at": timezone.now() + timedelta(days=2)}, "competition-not-started"),
        ({"start_at": timezone.now() - timedelta(days=3), "end_at": timezone.now() - timedelta(days=1),
          "late_submissions": False}, "competition-ended"),
        ({"max_pending_submissions": 0}, "too-many-pending"),
        ({"submission_kinds": ["model"]}, "kind-not-allowed"),
        ({"max_submission_mb": 0}, "too-large"),
    ],
)
def test_it_refuses_submissions_the_competition_does_not_take(
    competition, alice, alice_joined, text_bundle, change: dict, code: str
) -> None:
    for name, value in change.items():
        setattr(competition, name, value)
    competition.save()
    with pytest.raises(PodiumError) as caught:
        create(competition, alice, text_bundle.baselines["Coin Flippers"])
    assert caught.value.code == code


def test_only_members_who_accepted_the_rules_may_submit(competition, bob, text_bundle) -> None:
    with pytest.raises(PodiumError) as caught:
        create(competition, bob, text_bundle.baselines["Coin Flippers"])
    assert caught.value.code == "not-joined" and caught.value.status == 403


@pytest.fixture
def broker(redis_url: str) -> str:
    """The real Redis the leases live in, this process's app pointed at it."""
    from tests.conftest import _point_app_at
    from workers import leases
    from workers.app import app

    _point_app_at(app, redis_url)
    # Ids restart with each test database while a system Redis keeps its keys: start without old markers.
    with leases.broker_client() as client:
        for pattern in (f"{leases.QUEUED}*", f"{leases.LEASE}*"):
            for key in client.scan_iter(pattern):
                client.delete(key)
    return redis_url


def test_the_sweep_re_enqueues_only_submissions_no_worker_and_no_queue_holds(
        competition, alice, alice_joined, text_bundle, _no_broker, settings, broker) -> None:
    from workers import leases

    competition.daily_submission_limit = 10
    competition.save()
    made = [create(competition, alice, text_bundle.baselines["Coin Flippers"]) for _ in range(4)]
    fresh, lost, queued, held = made
    old = timezone.now() - timedelta(seconds=settings.PODIUM_LEASE_GRACE_SECONDS + 5)
    Submission.objects.filter(pk__in=[lost.pk, queued.pk, held.pk]).update(created_at=old, enqueued_at=old)
    Submission.objects.filter(pk=held.pk).update(status=states.RUNNING, stage=states.SCORING, worker="w1")
    Submission.objects.filter(pk=fresh.pk).update(enqueued_at=timezone.now())
    for submission in made:
        leases.release(submission.pk)
        with leases.broker_client() as client:
            client.delete(f"{leases.QUEUED}{submission.pk}")
    leases.mark_queued(queued.pk, "scoring")
    assert leases.take(held.pk, "w1")
    try:
        assert submissions_requeue_stale() == 1
        assert _no_broker == [lost.pk]
        assert Submission.objects.get(pk=lost.pk).requeues == 1
        # Its worker dies: the lease runs out, and the next sweep sends it again, back from `running`.
        leases.release(held.pk)
        assert submissions_requeue_stale() == 2  # the held one, and the lost one (nothing took it: no broker here)
        assert Submission.objects.get(pk=held.pk).status == states.QUEUED
    finally:
        leases.release(held.pk)


def test_a_submission_lost_too_often_ends_as_a_platform_error_never_charged(
        competition, alice, alice_joined, text_bundle, _no_broker, settings, broker) -> None:
    from submissions.recovery import submissions_retry

    lost = create(competition, alice, text_bundle.baselines["Coin Flippers"])
    old = timezone.now() - timedelta(seconds=settings.PODIUM_LEASE_GRACE_SECONDS + 5)
    for _ in range(settings.PODIUM_MAX_REQUEUES):
        Submission.objects.filter(pk=lost.pk).update(enqueued_at=old)
        assert submissions_requeue_stale() == 1
    Submission.objects.filter(pk=lost.pk).update(enqueued_at=old)
    submissions_requeue_stale()
    failed = Submission.objects.get(pk=lost.pk)
    assert failed.status == states.FAILED and failed.error_code == "platform-error"
    assert "not in your submission" in failed.error_message and "does not count" in failed.error_message
    assert quota_for_team(competition=competition, team=alice_joined.team).used == 0
    assert _no_broker == [lost.pk] * settings.PODIUM_MAX_REQUEUES
    # The organizers' retry sends it again, with a fresh count.
    from django.db import transaction

    with transaction.atomic():
        assert submissions_retry(submission_ids=[lost.pk]) == 1
    retried = Submission.objects.get(pk=lost.pk)
    assert retried.status == states.QUEUED and retried.requeues == 0 and retried.error_code == ""


def test_a_platform_fault_that_persists_fails_after_the_attempt_cap(
        competition, alice, alice_joined, text_bundle, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    submission = create(competition, alice, text_bundle.baselines["Coin Flippers"])

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("storage is away")

    monkeypatch.setattr("submissions.results.load_truth", broken)
    for attempt in range(1, settings.PODIUM_MAX_SCORING_ATTEMPTS):
        with pytest.raises(OSError):
            submission_score(submission_id=submission.pk, task_id=f"t{attempt}")
        assert Submission.objects.get(pk=submission.pk).status == states.QUEUED
    assert submission_score(submission_id=submission.pk, task_id="last") == states.FAILED
    failed = Submission.objects.get(pk=submission.pk)
    assert failed.error_code == "platform-error" and "OSError" in failed.error_message


def test_a_late_submission_is_scored_and_shown_but_not_ranked(competition, alice, alice_joined, text_bundle) -> None:
    from leaderboards.selectors import leaderboard_rows
    from submissions.selectors import submissions_for_team

    competition.start_at, competition.end_at = timezone.now() - timedelta(days=3), timezone.now() - timedelta(days=1)
    competition.save()
    late = create(competition, alice, text_bundle.baselines["Keyword Voters"])
    assert submission_score(submission_id=late.pk, task_id="t") == states.SCORED
    assert list(submissions_for_team(competition=competition, team=alice_joined.team)) == [Submission.objects.get(pk=late.pk)]
    assert leaderboard_rows(competition=competition) == []


def test_the_pending_cap_counts_only_unfinished_submissions(competition, alice, alice_joined, text_bundle) -> None:
    competition.max_pending_submissions = 1
    competition.save()
    first = create(competition, alice, text_bundle.baselines["Coin Flippers"])
    with pytest.raises(PodiumError) as caught:
        create(competition, alice, text_bundle.baselines["Coin Flippers"])
    assert caught.value.code == "too-many-pending" and caught.value.status == 429
    submission_score(submission_id=first.pk, task_id="t")
    assert create(competition, alice, text_bundle.baselines["Coin Flippers"]).pk
