"""Sending submissions to the workers: scoring for prediction files, inference for models, one model at a
time per team's share (PODIUM_MODELS_IN_FLIGHT_PER_TEAM) while the rest wait their turn.

A broker outage never loses work: the database records what must be done, and the sweep (recovery.py) sends
again whatever no queue holds.
"""
from __future__ import annotations

import logging
import uuid
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from competitions.models import MODEL, Competition, competition_model_inputs_dir
from submissions import states
from submissions.models import Submission
from submissions.transitions import submission_transition
from teams.models import Team
from workers import leases, names

logger = logging.getLogger(__name__)

SCORE_TASK, INFERENCE_TASK = names.SCORE_SUBMISSION, names.RUN_INFERENCE
MODELS_IN_FLIGHT = settings.PODIUM_MODELS_IN_FLIGHT_PER_TEAM


def submission_enqueue(*, submission_id: int) -> None:
    """Send the submission's first task: scoring for predictions, inference for a model.

    A broker outage is logged, not raised: the periodic sweep retries.
    """
    from workers.app import app

    Submission.objects.filter(pk=submission_id, status=states.QUEUED).update(enqueued_at=timezone.now())
    submission = Submission.objects.select_related("competition").get(pk=submission_id)
    try:
        logger.info("enqueued for %s", "inference" if submission.kind == MODEL else "scoring",
                    extra={"submission": submission_id})
        if submission.kind == MODEL:
            job = inference_job(submission=submission)
            # The token ties the task to this send: a redelivered or superseded task finds another one and stops.
            job["token"] = uuid.uuid4().hex
            leases.mark_queued(submission_id, str(job["token"]))
            limit = _wall_seconds(submission.competition) + 120
            app.send_task(INFERENCE_TASK, args=[job], queue=names.INFERENCE, retry_policy={"max_retries": 2},
                          soft_time_limit=limit, time_limit=limit + 30)
        else:
            _send_scoring(submission_id, scoring_queue(submission.competition))
    except Exception:  # noqa: BLE001 - the database, not the broker, records what must be done
        logger.exception("could not enqueue submission %s; the sweep will retry", submission_id)


def scoring_queue(competition: Competition) -> str:
    """`programs` where the organizers' own program scores (only workers that can sandbox it serve that queue),
    `scoring` for the built-in task types."""
    return names.PROGRAMS if competition.scored_by_program else names.SCORING


def _send_scoring(submission_id: int, queue: str) -> None:
    from workers.app import app

    leases.mark_queued(submission_id, "scoring")
    limits: dict[str, int] = {}
    if queue == names.PROGRAMS:  # a program may run up to the operator's cap, past the built-in scoring's limit
        most = settings.PODIUM_MAX_SCORING_SECONDS + 120
        limits = {"soft_time_limit": most, "time_limit": most + 30}
    app.send_task(SCORE_TASK, args=[submission_id], queue=queue, retry_policy={"max_retries": 2}, **limits)


def submission_enqueue_scoring(*, submission_id: int) -> None:
    """Scoring only (a model's predictions already exist, or a rescore)."""
    Submission.objects.filter(pk=submission_id).update(enqueued_at=timezone.now())
    try:
        competition = Competition.objects.get(submissions__pk=submission_id)
        _send_scoring(submission_id, scoring_queue(competition))
    except Exception:  # noqa: BLE001 - the sweep retries
        logger.exception("could not enqueue submission %s for rescoring", submission_id)


def inference_job(*, submission: Submission) -> dict[str, object]:
    """The inference task's whole message: where the model and test inputs are, never the truth."""
    competition = submission.competition
    output_suffix = competition.task_type.submission_suffix
    return {
        "submission_id": submission.pk,
        "task": competition.task,
        "model": submission.file.name,
        "inputs": competition_model_inputs_dir(competition),
        "output": f"predictions/{competition.slug}/{submission.pk}{output_suffix}",
        "classes": list(competition.classes or []),
        "batch_size": competition.model_limit("batch_size"),
        "wall_seconds": _wall_seconds(competition),
        "cpu_seconds": competition.model_limit("cpu_seconds"),
        "memory_mb": competition.model_limit("memory_mb"),
        "output_mb": competition.model_limit("output_mb"),
        "max_model_mb": competition.model_upload_mb(),
        "settings": competition.model_settings(),
    }



def _wall_seconds(competition: Competition) -> int:
    return int(min(competition.model_limit("wall_seconds"), settings.PODIUM_MAX_MODEL_SECONDS))

def models_in_flight(*, team: Team) -> int:
    """The team's model submissions in the inference queue or running (not those waiting their turn)."""
    return Submission.objects.filter(team=team, kind=MODEL, status__in=states.PENDING).exclude(stage=states.WAITING).count()


def models_dispatch(*, team_id: int) -> int:
    """Send the team's waiting models, oldest first, while it has fewer than its share in flight."""
    sent: list[int] = []
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team_id)
        free = MODELS_IN_FLIGHT - models_in_flight(team=team)
        waiting = Submission.objects.filter(team=team, kind=MODEL, status=states.QUEUED, stage=states.WAITING)
        for submission_id in waiting.order_by("created_at", "pk").values_list("pk", flat=True)[:max(free, 0)]:
            waiting_still = Q(status=states.QUEUED, stage=states.WAITING)
            if submission_transition(submission_id=submission_id, condition=waiting_still, stage=""):
                sent.append(submission_id)
                transaction.on_commit(partial(submission_enqueue, submission_id=submission_id))
    return len(sent)


def models_dispatch_after(*, submission_id: int) -> None:
    """A model submission ended: its team's next waiting model may go."""
    row = Submission.objects.filter(pk=submission_id, kind=MODEL).values_list("team_id", flat=True).first()
    if row is not None:
        models_dispatch(team_id=row)
