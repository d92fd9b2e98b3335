"""Creating, claiming and scoring submissions.

Every status change goes through `_transition`, a conditional update: a worker
proceeds only if its update changed exactly one row, so a task delivered twice
(a worker killed mid-task, a sweep re-enqueueing) never records a score twice.
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from competitions.models import ENDED, MODEL, UPCOMING, Competition, Phase, competition_model_inputs_dir, phase_at
from leaderboards.standings import standings_refresh, standings_refresh_submission
from notifications.services import notify_submission_done
from podium import events
from podium.errors import PodiumError
from podium.storage import local_path
from scoring import SubmissionError
from scoring.tasktype import PER_CLASS
from scoring.registry import check_size
from submissions import states
from submissions.models import Rescore, Submission
from submissions.selectors import quota_for_team, upload_quota_for_team
from submissions.truth_cache import load_truth
from teams.models import Team
from teams.selectors import membership_get, membership_has_access
from teams.services import refuse_disqualified
from workers import leases, names
from workers.runtime import ModelFailure
from workers.runtime.package import HEAD_BYTES, UNSUPPORTED, head_problem

logger = logging.getLogger(__name__)

SCORE_TASK, INFERENCE_TASK = names.SCORE_SUBMISSION, names.RUN_INFERENCE
MODEL_ERROR_CODES = ModelFailure.CODES
MODEL_LOG_CHARS = 70_000
MESSAGE_CHARS = 1000  # any stored error message: formats quote little, this bounds the rest  # the worker keeps 64 KB; a little room for its note of what it dropped


def submission_create(
    *, user: AbstractBaseUser, competition: Competition, file: UploadedFile, kind: str, description: str = ""
) -> Submission:
    """Store an upload and enqueue its scoring once the row is committed."""
    membership = membership_get(competition=competition, user=user)
    phases = list(competition.phases.all())  # one read for the phase and the checks
    phase = phase_at(competition, phases=phases)
    _check_can_submit(competition=competition, membership=membership, file=file, kind=kind, phase=phase,
                      first_phase=phases[0] if phases else None)
    with transaction.atomic():
        # Lock the team row so that concurrent uploads cannot both pass the daily limit.
        team = Team.objects.select_for_update().get(pk=membership.team_id)
        refuse_disqualified(team)
        _check_pending_cap(competition=competition, team=team)
        if kind == MODEL:
            _check_failed_model_cap(competition=competition, team=team)
        _check_upload_quota(competition=competition, team=team, size=file.size or 0)
        quota = quota_for_team(competition=competition, team=team, phase=phase)
        if quota.remaining <= 0:
            raise _refused_until(PodiumError.DAILY_LIMIT, f"Your team has used all {quota.limit} submissions for today. "
                                                f"The limit resets at {quota.resets_at:%Y-%m-%d %H:%M} UTC.",
                                 quota.resets_at)
        submission = Submission.objects.create(
            competition=competition,
            phase=phase,
            team=team,
            submitted_by=user,
            kind=kind,
            file=file,
            file_bytes=file.size or 0,
            original_name=(file.name or "")[:255],
            description=description[:500],
            # One team's models go to the inference queue one at a time (under the team's lock).
            stage=states.WAITING if kind == MODEL and _models_in_flight(team=team) >= MODELS_IN_FLIGHT else "",
        )
        if submission.stage != states.WAITING:
            transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk))
        transaction.on_commit(lambda: events.publish(events.team_channel(team.pk), str(submission.pk)))
    logger.info("received %s submission from team %s (%d bytes)", kind, team.pk, file.size or 0,
                extra={"submission": submission.pk})
    return submission


def _check_upload_quota(*, competition: Competition, team: Team, size: int) -> None:
    quota = upload_quota_for_team(competition=competition, team=team)
    if quota.used_bytes + size > quota.limit_bytes:
        raise _refused_until(
            PodiumError.UPLOAD_QUOTA,
            f"Your team has stored {quota.used_bytes / 1e6:.0f} MB of uploads today; this {size / 1e6:.0f} MB file "
            f"would pass the daily {quota.limit_bytes / 1e6:.0f} MB. It resets at {quota.resets_at:%Y-%m-%d %H:%M} UTC.",
            quota.resets_at)


def _refused_until(code: str, message: str, resets_at: datetime) -> PodiumError:
    """A daily allowance used up: 429, with the seconds until it resets in Retry-After."""
    return PodiumError(code, message, status=429,
                       headers={"Retry-After": str(int((resets_at - timezone.now()).total_seconds()) + 1)})


def _check_model_head(file: UploadedFile) -> None:
    """A file that is no model format is refused before any of it is stored."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    problem = head_problem(head)
    if problem:
        raise PodiumError(UNSUPPORTED, problem)


def _check_pending_cap(*, competition: Competition, team: Team) -> None:
    cap = competition.max_pending_submissions
    if cap is None:
        return
    pending = Submission.objects.filter(team=team, status__in=states.PENDING).count()
    if pending >= cap:
        raise PodiumError(
            PodiumError.TOO_MANY_PENDING,
            f"Your team has {pending} submissions still being scored (the limit is {cap}); wait for one to finish.",
            status=429,
        )


MODELS_IN_FLIGHT = settings.PODIUM_MODELS_IN_FLIGHT_PER_TEAM
MODEL_FAULTS = ModelFailure.CODES  # the team's own model failures, counted by the failed-model limit


def _models_in_flight(*, team: Team) -> int:
    """The team's model submissions in the inference queue or running (not those waiting their turn)."""
    return Submission.objects.filter(team=team, kind=MODEL, status__in=states.PENDING).exclude(stage=states.WAITING).count()


def _check_failed_model_cap(*, competition: Competition, team: Team) -> None:
    """Failing on purpose must not hold the inference workers: failed runs have a daily cap of their own."""
    from submissions.selectors import utc_day_start

    cap = competition.daily_failed_model_limit or competition.daily_submission_limit
    start = utc_day_start(timezone.now())
    failed = Submission.objects.filter(team=team, kind=MODEL, status=states.FAILED, error_code__in=MODEL_FAULTS,
                                       created_at__gte=start).count()
    if failed >= cap:
        raise PodiumError(
            PodiumError.MODEL_FAILURE_LIMIT,
            f"Your team's models failed {failed} times today (the limit is {cap}); fix the model and try again "
            f"after {start + timedelta(days=1):%Y-%m-%d %H:%M} UTC, or submit predictions.",
            status=429,
        )


def models_dispatch(*, team_id: int) -> int:
    """Send the team's waiting models, oldest first, while it has fewer than its share in flight."""
    sent: list[int] = []
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team_id)
        free = MODELS_IN_FLIGHT - _models_in_flight(team=team)
        waiting = Submission.objects.filter(team=team, kind=MODEL, status=states.QUEUED, stage=states.WAITING)
        for submission_id in waiting.order_by("created_at", "pk").values_list("pk", flat=True)[:max(free, 0)]:
            if _transition(submission_id=submission_id, condition=Q(status=states.QUEUED, stage=states.WAITING), stage=""):
                sent.append(submission_id)
                transaction.on_commit(lambda pk=submission_id: submission_enqueue(submission_id=pk))
    return len(sent)


def _check_can_submit(*, competition: Competition, membership: object, file: UploadedFile, kind: str,
                      phase: Phase | None = None, first_phase: Phase | None = None) -> None:
    if not membership_has_access(competition=competition, membership=membership):
        raise PodiumError(PodiumError.NOT_JOINED, "Join the competition and accept its rules before submitting.", status=403)
    state = competition.state()
    if state == UPCOMING:
        raise PodiumError(PodiumError.COMPETITION_NOT_STARTED, f"The competition starts at {competition.start_at:%Y-%m-%d %H:%M} UTC.")
    if state == ENDED and not competition.late_submissions:
        raise PodiumError(PodiumError.COMPETITION_ENDED, "The competition has ended and does not take late submissions.")
    kinds = phase.kinds if phase else competition.submission_kinds
    if kind not in kinds:
        where = f"The {phase.name} phase" if phase else "This competition"
        raise PodiumError(PodiumError.KIND_NOT_ALLOWED, f"{where} accepts {', '.join(kinds)} submissions, not {kind!r}.")
    if first_phase is not None and phase is None:
        raise PodiumError(PodiumError.COMPETITION_NOT_STARTED, f"The first phase, {first_phase.name}, starts at "
                                                     f"{first_phase.start_at:%Y-%m-%d %H:%M} UTC.")
    if not (phase.truth_file if phase else competition.truth_file):
        raise PodiumError(PodiumError.NOT_READY, "This competition has no ground truth yet; try again later.", status=409)
    limit_mb = competition.model_upload_mb() if kind == MODEL else competition.max_submission_mb
    if file.size > limit_mb * 1024 * 1024:
        what = "models" if kind == MODEL else "prediction files"
        raise PodiumError(
            PodiumError.TOO_LARGE,
            f"The file is {file.size / 1e6:.1f} MB; this competition accepts {what} of at most {limit_mb} MB.",
            status=413,
        )
    if file.size == 0:
        raise PodiumError(PodiumError.EMPTY_FILE, "The file is empty.")
    if kind == MODEL:
        _check_model_head(file)


def submission_enqueue(*, submission_id: int) -> None:
    """Send the submission's first task: scoring for predictions, inference for a model.

    A broker outage is logged, not raised: the periodic sweep retries.
    """
    from workers.app import app

    Submission.objects.filter(pk=submission_id, status=states.QUEUED).update(enqueued_at=timezone.now())
    submission = Submission.objects.select_related("competition").get(pk=submission_id)
    try:
        logger.info("enqueued for %s", "inference" if submission.kind == MODEL else "scoring", extra={"submission": submission_id})
        if submission.kind == MODEL:
            job = inference_job(submission=submission)
            # The token ties the task to this send: a redelivered or superseded task finds another one and stops.
            job["token"] = uuid.uuid4().hex
            leases.mark_queued(submission_id, str(job["token"]))
            limit = job["wall_seconds"] + 120
            app.send_task(INFERENCE_TASK, args=[job], queue=names.INFERENCE, retry_policy={"max_retries": 2},
                          soft_time_limit=limit, time_limit=limit + 30)
        else:
            _send_scoring(submission_id)
    except Exception:  # noqa: BLE001 - the database, not the broker, records what must be done
        logger.exception("could not enqueue submission %s; the sweep will retry", submission_id)


def _send_scoring(submission_id: int) -> None:
    from workers.app import app

    leases.mark_queued(submission_id, "scoring")
    app.send_task(SCORE_TASK, args=[submission_id], queue=names.SCORING, retry_policy={"max_retries": 2})


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
        "wall_seconds": min(competition.model_limit("wall_seconds"), settings.PODIUM_MAX_MODEL_SECONDS),
        "cpu_seconds": competition.model_limit("cpu_seconds"),
        "memory_mb": competition.model_limit("memory_mb"),
        "output_mb": competition.model_limit("output_mb"),
        "max_model_mb": competition.model_upload_mb(),
        "settings": competition.model_settings(),
    }


def submission_inference_progress(*, submission_id: int, done: int, total: int, worker: str = "") -> None:
    """A model started or advanced: show it as running inference (never moves a submission backwards)."""
    fields: dict[str, object] = {"progress": done / total if total else 0.0}
    if worker:
        fields["worker"] = worker[:100]
    _transition(
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
        _transition(submission_id=submission_id, condition=pending, status=states.FAILED, scored_at=timezone.now(),
                    error_code=error["code"], error_message=error["message"], **details)
        _next_model(submission_id=submission_id)
        return states.FAILED
    if not _transition(submission_id=submission_id, condition=pending, predictions_file=result["output"],
                       progress=1.0, stage=states.INFERENCE, status=states.RUNNING, **details):
        return None  # already scored or failed: a duplicate report
    return submission_score(submission_id=submission_id, task_id=task_id)


def _inference_details(result: dict[str, object]) -> dict[str, object]:
    """Timing, device and log of a model run; each bounded, whatever the report holds."""
    try:
        seconds = float(result.get("seconds") or 0)  # type: ignore[arg-type]
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


def _transition(*, submission_id: int, condition: Q, **fields: object) -> bool:
    """Apply `fields` only if the row still matches `condition`; True when it did (and its team's pages are told)."""
    changed = Submission.objects.filter(condition, pk=submission_id).update(**fields) == 1
    if changed:
        if fields.get("status") in states.FINAL:
            notify_submission_done(submission_id=submission_id)
        transaction.on_commit(lambda: submission_announce(submission_id=submission_id))
    return changed


def submission_announce(*, submission_id: int) -> None:
    """Tell the open pages of the submission's team (podium/events.py) that it changed."""
    team_id = Submission.objects.filter(pk=submission_id).values_list("team_id", flat=True).first()
    if team_id is not None:
        events.publish(events.team_channel(team_id), str(submission_id))


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
    claimed = _transition(
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
    task_type = competition.task_type
    try:
        truth = load_truth(competition, submission.phase)
        predictions = submission.predictions_file if submission.kind == MODEL else submission.file
        with local_path(predictions.storage, predictions.name) as path:
            check_size(path, competition.scoring_options().max_bytes)
            scores = task_type.score(truth, path, competition.scoring_options())
    except SubmissionError as exc:
        submission_finish(submission=submission, started=started, error=exc)
        logger.info("failed: %s (attempt %d)", exc.code, submission.attempt)
        if submission.kind == MODEL:
            _next_model(submission_id=submission.pk)
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
    submission_finish(submission=submission, started=started, scores=scores)
    if submission.kind == MODEL:  # no extra query on the hot path of prediction files
        _next_model(submission_id=submission.pk)
    metric = submission.competition.ranking_metric
    logger.info("scored %s=%.6g in %.3f s (attempt %d)", metric, scores["public"][metric],
                time.perf_counter() - started, submission.attempt)
    return states.SCORED


def submission_finish(
    *,
    submission: Submission,
    started: float,
    scores: dict[str, dict[str, float]] | None = None,
    error: SubmissionError | None = None,
) -> bool:
    """Record the result if this worker still holds the latest claim."""
    metric = submission.competition.ranking_metric
    fields: dict[str, object] = {
        "scored_at": timezone.now(),
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }
    if error is not None:
        fields.update(status=states.FAILED, error_code=error.code[:40], error_message=error.message[:MESSAGE_CHARS])
    else:
        fields.update(
            status=states.SCORED,
            public_scores=scores["public"],
            private_scores=scores["private"],
            public_score=scores["public"][metric],
            private_score=scores["private"][metric],
            public_details=scores.get(PER_CLASS, {}).get("public", {}),
            error_code="",
            error_message="",
        )
    condition = Q(status=states.RUNNING, attempt=submission.attempt)
    with transaction.atomic():
        # The team first (standings_refresh locks it too): one lock order with selections and merges.
        Team.objects.select_for_update().filter(pk=submission.team_id).exists()
        recorded = _transition(submission_id=submission.pk, condition=condition, **fields)
        if not recorded:
            logger.warning("submission %s: a newer claim exists; result discarded", submission.pk)
            return False
        Rescore.objects.filter(submission_id=submission.pk, finished_at__isnull=True).update(
            new_status=fields["status"], new_public_score=fields.get("public_score"),
            new_private_score=fields.get("private_score"), new_error_code=fields.get("error_code", ""),
            finished_at=fields["scored_at"],
        )
        if fields["status"] == states.SCORED:
            standings_refresh_submission(submission_id=submission.pk)
    return True


def submission_release(*, submission: Submission) -> None:
    """Give a claimed submission back to the queue after a platform fault."""
    _transition(
        submission_id=submission.pk,
        condition=Q(status=states.RUNNING, attempt=submission.attempt),
        status=states.QUEUED if submission.kind != MODEL else states.RUNNING,
        stage="" if submission.kind != MODEL else states.INFERENCE,
        task_id="",
    )


def submissions_requeue_stale(*, now: datetime | None = None) -> int:
    """Send again every pending submission that no worker holds and no queue holds (workers/leases.py).

    Its worker died (the lease ran out) or the broker lost its task (the marker went with it).
    Only submissions sent at least PODIUM_LEASE_GRACE_SECONDS ago are looked at: a task just sent
    may not be taken yet. One lost too often ends `failed` with `platform-error`.
    """
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.PODIUM_LEASE_GRACE_SECONDS)
    waiting_teams = set(Submission.objects.filter(status=states.QUEUED, stage=states.WAITING).values_list("team_id", flat=True))
    for team_id in waiting_teams:  # a finish whose dispatch was lost (a crash between the two)
        models_dispatch(team_id=team_id)
    pending = list(Submission.objects.filter(
        Q(enqueued_at__lt=settled) | Q(enqueued_at__isnull=True, created_at__lt=settled), status__in=states.PENDING,
    ).exclude(stage=states.WAITING).values_list("pk", flat=True))
    lost = sorted(set(pending) - leases.accounted_for(pending))
    count = 0
    for submission_id in lost:
        if _requeue_lost(submission_id=submission_id, settled=settled):
            count += 1
    if count:
        logger.info("re-enqueued %d lost submissions", count)
    return count


def _requeue_lost(*, submission_id: int, settled: datetime) -> bool:
    """Back to `queued` (a model starts over from inference) and sent again; False if it moved meanwhile."""
    unchanged = (Q(status__in=states.PENDING) & ~Q(stage=states.WAITING)
                 & (Q(enqueued_at__lt=settled) | Q(enqueued_at__isnull=True)))
    submission = Submission.objects.filter(unchanged, pk=submission_id).first()
    if submission is None:
        return False
    if submission.requeues >= settings.PODIUM_MAX_REQUEUES:
        return submission_fail_platform(submission_id=submission_id, reason=f"its task was lost {submission.requeues + 1} times")
    if not _transition(submission_id=submission_id, condition=unchanged, status=states.QUEUED, stage="", progress=None,
                       task_id="", requeues=F("requeues") + 1):
        return False
    logger.warning("re-enqueued a lost submission (held by %s)", submission.worker or "no worker",
                   extra={"submission": submission_id})
    submission_enqueue(submission_id=submission_id)
    return True


PLATFORM_ERROR = PodiumError.PLATFORM_ERROR


def submission_fail_platform(*, submission_id: int, reason: str) -> bool:
    """End a submission that the platform could not score: not the team's fault, never charged."""
    message = (f"Podium could not score this submission: a fault on our side ({reason[:120]}), not in your submission. "
               "It does not count against your daily limit, and the organizers can run it again.")
    failed = _transition(submission_id=submission_id, condition=Q(status__in=states.PENDING), status=states.FAILED,
                         stage="", error_code=PLATFORM_ERROR, error_message=message, scored_at=timezone.now())
    if failed:
        logger.error("failed with platform-error: %s", reason, extra={"submission": submission_id})
        _next_model(submission_id=submission_id)
    return failed


def _next_model(*, submission_id: int) -> None:
    """A model submission ended: its team's next waiting model may go."""
    row = Submission.objects.filter(pk=submission_id, kind=MODEL).values_list("team_id", flat=True).first()
    if row is not None:
        models_dispatch(team_id=row)


def submissions_retry(*, submission_ids: list[int]) -> int:
    """Run again submissions that failed with `platform-error` (the organizers' one-click retry)."""
    count = 0
    for submission_id in submission_ids:
        if _transition(submission_id=submission_id, condition=Q(status=states.FAILED, error_code=PLATFORM_ERROR),
                       status=states.QUEUED, stage="", progress=None, error_code="", error_message="", task_id="",
                       requeues=0, scored_at=None):
            transaction.on_commit(lambda pk=submission_id: submission_enqueue(submission_id=pk))
            count += 1
    return count


def competition_rescore(*, competition: Competition, requested_by: AbstractBaseUser | None) -> int:
    """Score every finished submission again (after a truth fix), keeping old and new scores."""
    return submissions_rescore(submissions=competition.submissions.all(), requested_by=requested_by)


def submissions_rescore(*, submissions: QuerySet[Submission], requested_by: AbstractBaseUser | None) -> int:
    """Score these submissions again (the finished ones), keeping old and new scores; returns how many.

    Predictions are re-scored from the stored file; models are scored from the
    predictions they already made (they are not run again).
    """
    count = 0
    for submission in submissions.filter(status__in=states.FINAL).select_related("competition"):
        competition = submission.competition
        if submission.kind == MODEL and not submission.predictions_file:
            continue  # the model failed before predicting: nothing to score
        with transaction.atomic():
            Rescore.objects.create(
                submission=submission, requested_by=requested_by, old_status=submission.status,
                old_public_score=submission.public_score, old_private_score=submission.private_score,
                old_error_code=submission.error_code,
            )
            requeued = _transition(submission_id=submission.pk, condition=Q(status__in=states.FINAL),
                                   status=states.QUEUED, stage="", task_id="")
            if requeued and submission.status == states.SCORED:
                standings_refresh(competition=competition, team_ids=[submission.team_id])  # off the board until re-scored
            if requeued:
                transaction.on_commit(lambda pk=submission.pk: _enqueue_scoring(submission_id=pk))
                count += 1
    return count


def _enqueue_scoring(*, submission_id: int) -> None:
    """Scoring only (a model's predictions already exist)."""
    Submission.objects.filter(pk=submission_id).update(enqueued_at=timezone.now())
    try:
        _send_scoring(submission_id)
    except Exception:  # noqa: BLE001 - the sweep retries
        logger.exception("could not enqueue submission %s for rescoring", submission_id)


def submission_select(*, submission: Submission, selected: bool) -> Submission:
    """Mark a scored submission for (or remove it from) the final private ranking."""
    if submission.competition.state() == ENDED:
        raise PodiumError(PodiumError.SELECTION_CLOSED, "The competition has ended: final selections are closed, as on Kaggle. "
                                              "Ask the organizers if something went wrong.", status=409)
    if selected and submission.status != states.SCORED:
        raise PodiumError(PodiumError.NOT_SCORED, "Only a scored submission can be selected for the final ranking.")
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=submission.team_id)
        if selected and not submission.selected:
            limit = submission.competition.final_selection_limit
            # Each phase has its own boards, so its own selections.
            chosen = Submission.objects.filter(team_id=submission.team_id, selected=True,
                                               phase_id=submission.phase_id).count()
            if chosen >= limit:
                raise PodiumError(
                    PodiumError.SELECTION_LIMIT,
                    f"Your team has already selected {chosen} of {limit} submissions; unselect one first.",
                    status=409,
                )
        Submission.objects.filter(pk=submission.pk).update(selected=selected)
        Team.objects.filter(pk=submission.team_id).update(updated_at=timezone.now())
        standings_refresh(competition=submission.competition, team_ids=[submission.team_id])
    submission.selected = selected
    return submission


def submission_scores_rank_by(*, competition: Competition, batch: int = 2000) -> int:
    """Set every scored submission's public and private score to the competition's ranking metric, from the
    metrics stored with it (every metric is stored: nothing is scored again); returns how many changed."""
    metric = competition.ranking_metric
    changed = 0
    scored = Submission.objects.filter(competition=competition, status=states.SCORED).only(
        "pk", "public_scores", "private_scores", "public_score", "private_score")
    for start in range(0, scored.count(), batch):
        rows = list(scored.order_by("pk")[start:start + batch])
        for row in rows:
            row.public_score = (row.public_scores or {}).get(metric)
            row.private_score = (row.private_scores or {}).get(metric)
        changed += Submission.objects.bulk_update(rows, ["public_score", "private_score"])
    return changed


def phases_carry(*, now: datetime | None = None) -> int:
    """Each phase that carries selections, once it has started: every team's selected submissions of the phase
    before come into it as new submissions, scored on its data (models run again); returns how many were made."""
    now = now or timezone.now()
    made = 0
    due = Phase.objects.filter(carry_selected=True, carried_at__isnull=True, start_at__lte=now).select_related("competition")
    for phase in due:
        with transaction.atomic():
            if not Phase.objects.filter(pk=phase.pk, carried_at__isnull=True).update(carried_at=now):
                continue  # another sweep took it
            previous = (Phase.objects.filter(competition=phase.competition_id, order__lt=phase.order)
                        .order_by("-order", "-start_at").first())
            if previous is None:
                continue
            chosen = Submission.objects.filter(phase=previous, selected=True, status=states.SCORED).order_by("created_at")
            for original in chosen:
                if original.kind == MODEL and original.kind not in phase.kinds:
                    continue
                submission = Submission.objects.create(
                    competition=phase.competition, phase=phase, team_id=original.team_id,
                    submitted_by_id=original.submitted_by_id, kind=original.kind, file=original.file.name,
                    original_name=original.original_name,
                    description=f"Carried over from {previous.name} (#{original.pk})"[:500], carried_from=original,
                    stage=states.WAITING if original.kind == MODEL else "")
                if submission.stage == states.WAITING:
                    transaction.on_commit(lambda team_id=original.team_id: models_dispatch(team_id=team_id))
                else:
                    transaction.on_commit(lambda pk=submission.pk: submission_enqueue(submission_id=pk))
                made += 1
    return made
