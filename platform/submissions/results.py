"""Claiming, scoring and recording a submission, and what the inference worker reports of a model's run.

A participant's mistake (`SubmissionError`) fails the submission with its code; anything else is a platform
fault: the submission goes back to the queue for a retry, up to PODIUM_MAX_SCORING_ATTEMPTS claims, and then
ends `platform-error`, never charged to the team.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from competitions.models import MODEL
from competitions.programs import ProgramFault, ProgramRunner, program_runner, scoring_options
from competitions.truth import load_truth
from core.errors import PodiumError
from core.storage import local_path, stored_name
from leaderboards.standings import standings_refresh_submission
from scoring import SubmissionError
from scoring.registry import check_size
from scoring.tasktype import PER_CLASS
from submissions import states
from submissions.dispatch import models_dispatch_after
from submissions.models import Rescore, Submission
from submissions.transitions import submission_transition
from teams.models import Team
from workers.programs import PROGRAM_ERROR
from workers.runtime import ModelFailure

logger = logging.getLogger(__name__)

MODEL_ERROR_CODES = ModelFailure.CODES
MODEL_LOG_CHARS = 70_000  # the worker keeps 64 KB; a little room for its note of what it dropped
MESSAGE_CHARS = 1000  # any stored error message: formats quote little, this bounds the rest
PLATFORM_ERROR = PodiumError.PLATFORM_ERROR
LOG_CHARS = 64 * 1024  # the scoring program's log kept for its organizers


def submission_claim(*, submission_id: int, task_id: str, worker: str = "", now: datetime | None = None) -> Submission | None:
    """Take a submission for scoring, or None if it is done or another worker holds it.

    A submission whose worker died is put back to `queued` by the sweep (its lease ran out), so
    only a queued one, a model's handed-over predictions or the same task again can be claimed.
    """
    now = now or timezone.now()
    claimable = (
        Q(status=states.QUEUED)
        # A model's predictions, handed over by the inference worker.
        | Q(status=states.RUNNING, stage=states.INFERENCE)
        # The same task redelivered after a retry.
        | Q(status=states.RUNNING, task_id=task_id)
    )
    claimed = submission_transition(
        submission_id=submission_id,
        condition=claimable,
        status=states.RUNNING,
        stage=states.SCORING,
        started_at=now,
        task_id=task_id[:64],
        worker=worker[:100],
        attempt=F("attempt") + 1,
    )
    if not claimed:
        return None
    return Submission.objects.select_related("competition").get(pk=submission_id)


def submission_score(*, submission_id: int, task_id: str, worker: str = "") -> str | None:
    """Claim, score and record one submission; returns its final status, or None if not claimed.

    A participant's mistake fails the submission with its code. Anything else
    (a platform fault) puts it back in the queue and is raised for a retry, up to
    PODIUM_MAX_SCORING_ATTEMPTS claims; then it fails with `platform-error`.
    """
    submission = submission_claim(submission_id=submission_id, task_id=task_id, worker=worker)
    if submission is None:
        return None
    started = time.perf_counter()
    competition = submission.competition
    runner: ProgramRunner | None = None
    try:
        # The organizers' program, where it scores: one version for this whole run.
        runner = program_runner(competition) if competition.scored_by_program else None
        scores = _scores_of(submission, runner)
    except ProgramFault as exc:
        submission_fail_program(submission=submission, started=started, fault=exc)
        return states.FAILED
    except SubmissionError as exc:
        submission_finish(submission=submission, started=started, error=exc, runner=runner)
        logger.info("failed: %s (attempt %d)", exc.code, submission.attempt)
        if submission.kind == MODEL:
            models_dispatch_after(submission_id=submission.pk)
        return states.FAILED
    except Exception as exc:
        if submission.attempt >= settings.PODIUM_MAX_SCORING_ATTEMPTS:
            logger.exception("platform fault while scoring (attempt %d): giving up", submission.attempt)
            submission_fail_platform(submission_id=submission.pk, reason=f"scoring failed {submission.attempt} times "
                                                                           f"({type(exc).__name__})")
            return states.FAILED
        logger.warning("platform fault while scoring (attempt %d); released for a retry", submission.attempt)
        submission_release(submission=submission)
        raise
    submission_finish(submission=submission, started=started, scores=scores, runner=runner)
    if submission.kind == MODEL:  # no extra query on the hot path of prediction files
        models_dispatch_after(submission_id=submission.pk)
    metric = submission.competition.ranking_metric
    logger.info("scored %s=%.6g in %.3f s (attempt %d)", metric, scores["public"][metric],
                time.perf_counter() - started, submission.attempt)
    return states.SCORED


def _scores_of(submission: Submission, runner: ProgramRunner | None) -> dict[str, dict[str, float]]:
    """The submission's file (a model's predictions) scored against its phase's truth."""
    competition = submission.competition
    options = scoring_options(competition, runner) if runner is not None else competition.scoring_options()
    truth = load_truth(competition, submission.phase)
    predictions = submission.predictions_file if submission.kind == MODEL else submission.file
    with local_path(predictions.storage, stored_name(predictions)) as path:
        check_size(path, options.max_bytes)
        return competition.task_type.score(truth, path, options)


def submission_finish(
    *,
    submission: Submission,
    started: float,
    scores: dict[str, dict[str, float]] | None = None,
    error: SubmissionError | None = None,
    runner: ProgramRunner | None = None,
    fields: dict[str, object] | None = None,
) -> bool:
    """Record the result if this worker still holds the latest claim (`fields`: a result already made)."""
    fields = fields or _result_fields(submission, started, scores, error)
    if runner is not None:  # which version of the organizers' program said so, and what it printed
        fields.update(program_version=runner.version, scoring_log=runner.result.log[-LOG_CHARS:] if runner.result else "")
    condition = Q(status=states.RUNNING, attempt=submission.attempt)
    with transaction.atomic():
        # The team first (standings_refresh locks it too): one lock order with selections and merges.
        Team.objects.select_for_update().filter(pk=submission.team_id).exists()
        recorded = submission_transition(submission_id=submission.pk, condition=condition, **fields)
        if not recorded:
            logger.warning("submission %s: a newer claim exists; result discarded", submission.pk)
            return False
        Rescore.objects.filter(submission_id=submission.pk, finished_at__isnull=True).update(
            new_status=fields["status"], new_public_score=fields.get("public_score"),
            new_private_score=fields.get("private_score"), new_error_code=fields.get("error_code", ""),
            new_program_version=fields.get("program_version", ""), finished_at=fields["scored_at"],
        )
        if fields["status"] == states.SCORED:
            standings_refresh_submission(submission_id=submission.pk)
    return True


def _result_fields(submission: Submission, started: float, scores: dict[str, dict[str, float]] | None,
                   error: SubmissionError | None) -> dict[str, object]:
    fields: dict[str, object] = {"scored_at": timezone.now(), "duration_ms": int((time.perf_counter() - started) * 1000)}
    if error is not None:
        fields.update(status=states.FAILED, error_code=error.code[:40], error_message=error.message[:MESSAGE_CHARS])
        return fields
    if scores is None:
        raise ValueError("a result is its scores or its error")
    metric = submission.competition.ranking_metric
    fields.update(status=states.SCORED, public_scores=scores["public"], private_scores=scores["private"],
                  public_score=scores["public"][metric], private_score=scores["private"][metric],
                  public_details=scores.get(PER_CLASS, {}).get("public", {}), error_code="", error_message="")
    return fields


def submission_fail_program(*, submission: Submission, started: float, fault: ProgramFault) -> bool:
    """The organizers' program failed (SPEC section 9): `scoring-program-error`, never charged, not retried (the
    same version would fail the same way); the organizers hear it with the program's log, no participant sees it."""
    fields: dict[str, object] = {
        "scored_at": timezone.now(), "duration_ms": int((time.perf_counter() - started) * 1000),
        "status": states.FAILED, "error_code": PROGRAM_ERROR, "error_message": fault.result.error_message,
        "program_version": fault.version, "scoring_log": _fault_log(fault),
    }
    logger.warning("the scoring program (version %s) failed: %s", fault.version, fault.result.fault)
    return submission_finish(submission=submission, started=started, fields=fields)


def _fault_log(fault: ProgramFault) -> str:
    """The program's log for its organizers, with Podium's verdict first."""
    return f"[podium] {fault.result.fault}\n{fault.result.log}"[-LOG_CHARS:]


def submission_release(*, submission: Submission) -> None:
    """Give a claimed submission back to the queue after a platform fault."""
    submission_transition(
        submission_id=submission.pk,
        condition=Q(status=states.RUNNING, attempt=submission.attempt),
        status=states.QUEUED if submission.kind != MODEL else states.RUNNING,
        stage="" if submission.kind != MODEL else states.INFERENCE,
        task_id="",
    )


def submission_fail_platform(*, submission_id: int, reason: str) -> bool:
    """End a submission that the platform could not score: not the team's fault, never charged."""
    message = (f"Podium could not score this submission: a fault on our side ({reason[:120]}), not in your submission. "
               "It does not count against your daily limit, and the organizers can run it again.")
    failed = submission_transition(submission_id=submission_id, condition=Q(status__in=states.PENDING), status=states.FAILED,
                         stage="", error_code=PLATFORM_ERROR, error_message=message, scored_at=timezone.now())
    if failed:
        logger.error("failed with platform-error: %s", reason, extra={"submission": submission_id})
        models_dispatch_after(submission_id=submission_id)
    return failed


def submission_inference_progress(*, submission_id: int, done: int, total: int, worker: str = "") -> None:
    """A model started or advanced: show it as running inference (never moves a submission backwards)."""
    fields: dict[str, object] = {"progress": done / total if total else 0.0}
    if worker:
        fields["worker"] = worker[:100]
    submission_transition(
        submission_id=submission_id,
        condition=Q(status__in=states.PENDING, stage__in=["", states.INFERENCE]),
        status=states.RUNNING,
        stage=states.INFERENCE,
        **fields,
    )


def submission_inference_finished(*, submission_id: int, result: dict[str, object], task_id: str) -> str | None:
    """The inference worker's report: fail with the model's error, or score its predictions."""
    pending = Q(status__in=states.PENDING) & ~Q(stage=states.SCORING)
    details = _inference_details(result)
    error = _inference_error(result.get("error"))
    logger.info("inference finished on %s in %s ms: %s", details["inference_device"], details["inference_ms"],
                error["code"] if error else "predictions written")
    if error:
        submission_transition(submission_id=submission_id, condition=pending, status=states.FAILED, scored_at=timezone.now(),
                    error_code=error["code"], error_message=error["message"], **details)
        models_dispatch_after(submission_id=submission_id)
        return states.FAILED
    if not submission_transition(submission_id=submission_id, condition=pending, predictions_file=result["output"],
                       progress=1.0, stage=states.INFERENCE, status=states.RUNNING, **details):
        return None  # already scored or failed: a duplicate report
    return submission_score(submission_id=submission_id, task_id=task_id)


def _inference_details(result: dict[str, object]) -> dict[str, object]:
    """Timing, device and log of a model run; each bounded, whatever the report holds."""
    try:
        seconds = float(str(result.get("seconds") or 0))
    except (TypeError, ValueError):
        seconds = 0.0
    seconds = seconds if 0 <= seconds < 10**6 else 0.0
    log = result.get("log")
    load = _bounded_seconds(result.get("load_seconds"))
    items = result.get("items")
    return {"inference_ms": int(seconds * 1000), "inference_device": str(result.get("device", ""))[:20],
            "model_log": log[-MODEL_LOG_CHARS:] if isinstance(log, str) else "",
            "model_load_ms": None if load is None else int(load * 1000),
            "inference_items": items if isinstance(items, int) and 0 < items < 10**9 else None,
            "inference_run_ms": _run_ms(result.get("run_seconds"))}


def _bounded_seconds(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and 0 <= value < 10**6 else None


def _run_ms(value: object) -> int | None:
    seconds = _bounded_seconds(value)
    return None if seconds is None else int(seconds * 1000)


def _inference_error(error: object) -> dict[str, str] | None:
    """The model's error as a stable code and a bounded message; anything malformed is a model-error."""
    if not error:
        return None
    if not isinstance(error, dict) or error.get("code") not in MODEL_ERROR_CODES or not isinstance(error.get("message"), str):
        return {"code": ModelFailure.ERROR, "message": "The model failed; see its log."}
    return {"code": error["code"], "message": error["message"][:1000]}
