"""A competition scored by its own program on the pages, the API and the CLI's tables, like a built-in one: its
metrics' labels and directions from `metrics:`, the ranking-metric choice, late submissions, the organizers' fault
shown to the team as not theirs and its log nowhere."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from competitions.models import Competition
from leaderboards.selectors import leaderboard_rows
from leaderboards.standings import standings_refresh
from submissions import states
from submissions.models import Submission
from teams.services import membership_join

pytestmark = pytest.mark.django_db

METRICS = [{"name": "wer", "label": "WER", "higher_is_better": False, "description": "the **word error rate**"},
           {"name": "bleu", "label": "BLEU", "higher_is_better": True}]


@pytest.fixture
def speech(organizer) -> Competition:
    now = timezone.now()
    competition = Competition.objects.create(
        slug="speech", title="Speech", task="custom", metrics=METRICS, submission_suffix=".json",
        start_at=now - timedelta(days=1), end_at=now + timedelta(days=9), published_at=now, overview="o", rules="r")
    competition.organizers.add(organizer)
    return competition


def scored(competition: Competition, user, wer: float, bleu: float, **fields) -> Submission:
    team = membership_join(competition=competition, user=user, accept_rules=True).team
    submission = Submission.objects.create(
        competition=competition, team=team, submitted_by=user, kind="predictions", status=states.SCORED,
        public_scores={"wer": wer, "bleu": bleu}, private_scores={"wer": wer, "bleu": bleu},
        public_score=wer, private_score=wer, program_version="0123456789abcdef", scored_at=timezone.now(), **fields)
    standings_refresh(competition=competition, team_ids=[team.pk])
    return submission


def test_labels_directions_and_the_ranking_choice_come_from_the_declared_metrics(speech, alice, bob) -> None:
    scored(speech, alice, wer=0.2, bleu=0.5)
    scored(speech, bob, wer=0.4, bleu=0.7)
    assert speech.ranking_metric == "wer" and not speech.higher_is_better
    assert [row.team for row in leaderboard_rows(competition=speech)] == ["alice", "bob"]  # lower WER first
    client = Client()
    board = client.get("/c/speech/leaderboard/").content.decode()
    assert "WER" in board and "BLEU" in board
    assert board.index(">alice<") < board.index(">bob<")
    evaluation = client.get("/c/speech/evaluation/").content.decode()
    assert "word error rate" in evaluation and "lower is better" in evaluation
    api = APIClient().get("/api/v1/competitions/speech/").json()
    assert (api["task"], api["metrics"], api["higher_is_better"]) == ("custom", ["wer", "bleu"], False)

    speech.metric = "bleu"  # the organizers rank by the second declared metric: higher is better now
    speech.save()  # every board re-ranked (leaderboards/signals.py)
    assert speech.higher_is_better
    assert [row.team for row in leaderboard_rows(competition=speech)] == ["bob", "alice"]


def test_the_team_sees_a_program_fault_as_not_its_own_and_never_the_log(speech, alice) -> None:
    team = membership_join(competition=speech, user=alice, accept_rules=True).team
    failed = Submission.objects.create(
        competition=speech, team=team, submitted_by=alice, kind="predictions", status=states.FAILED,
        error_code="scoring-program-error", program_version="0123456789abcdef",
        error_message="The competition's scoring program failed; this is not a fault of your submission, and it does "
                      "not count against your limits.", scoring_log="[podium] exited\nTOP SECRET truth line")
    mistake = Submission.objects.create(
        competition=speech, team=team, submitted_by=alice, kind="predictions", status=states.FAILED,
        error_code="missing-ids", error_message="3 utterances have no transcript.", program_version="0123456789abcdef",
        scoring_log="TOP SECRET as well")
    client = Client()
    client.force_login(alice)
    page = client.get(f"/submissions/{failed.pk}/").content.decode()
    assert "not a fault of your submission" in page and "TOP SECRET" not in page and "0123456789abcdef" not in page
    page = client.get(f"/submissions/{mistake.pk}/").content.decode()
    assert "scoring program says" in page and "3 utterances have no transcript." in page and "TOP SECRET" not in page
    listing = client.get("/c/speech/submissions/").content.decode()
    assert "TOP SECRET" not in listing
    api = APIClient()
    api.force_authenticate(alice)
    for submission in (failed, mistake):
        assert "TOP SECRET" not in api.get(f"/api/v1/submissions/{submission.pk}/").content.decode()
    assert "TOP SECRET" not in api.get("/api/v1/competitions/speech/submissions/").content.decode()


def test_a_late_submission_goes_to_the_programs_queue(speech, alice, monkeypatch) -> None:
    from submissions import dispatch

    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(dispatch, "_send_scoring", lambda submission_id, queue: sent.append((submission_id, queue)))
    from django.core.files.base import ContentFile

    membership_join(competition=speech, user=alice, accept_rules=True)  # joined while it ran
    speech.start_at, speech.end_at = timezone.now() - timedelta(days=9), timezone.now() - timedelta(days=1)
    speech.truth_file.save("truth.zip", ContentFile(b"PK\x05\x06" + bytes(18)), save=False)
    speech.save()
    api = APIClient()
    api.force_authenticate(alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post("/api/v1/competitions/speech/submissions/",
                        {"file": SimpleUploadedFile("t.json", b'{"utt-1": "hello"}')}, format="multipart")
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(pk=response.json()["id"])
    dispatch.submission_enqueue(submission_id=submission.pk)
    assert sent[-1] == (submission.pk, "programs")
    assert submission.created_at > speech.end_at


def test_organizers_hear_of_a_program_fault_once_per_version_with_the_log_by_email(speech, alice, organizer,
                                                                                   mailoutbox) -> None:
    from competitions.models import ScoringProgram
    from notifications.models import PROGRAM_FAILURE, Notification
    from notifications.services import notification_email_send, notification_settings_update
    from submissions.transitions import submission_transition
    from django.db.models import Q

    organizer.email = "organizer@example.org"
    organizer.save()
    notification_settings_update(user=organizer, email_kinds=[PROGRAM_FAILURE])
    ScoringProgram.objects.create(competition=speech, version="0123456789abcdef", file="x.zip")
    team = membership_join(competition=speech, user=alice, accept_rules=True).team
    for _ in range(3):
        submission = Submission.objects.create(competition=speech, team=team, submitted_by=alice, kind="predictions",
                                               status=states.RUNNING, program_version="0123456789abcdef",
                                               scoring_log="[podium] the program exited with status 3\nTraceback: x")
        submission_transition(submission_id=submission.pk, condition=Q(status=states.RUNNING), status=states.FAILED,
                              error_code="scoring-program-error", error_message="not your fault")
    (told,) = Notification.objects.filter(kind=PROGRAM_FAILURE)  # three faults of one version: told once
    assert told.user_id == organizer.pk and "the program exited with status 3" in told.message
    assert notification_email_send(notification_id=told.pk)
    (email,) = mailoutbox
    assert email.to == ["organizer@example.org"] and "Traceback: x" in email.body
    assert not Notification.objects.filter(user=alice, kind=PROGRAM_FAILURE).exists()
