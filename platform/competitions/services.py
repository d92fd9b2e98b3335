"""Writes about competitions: validating a truth file, generating a sample submission, the readiness check, publishing."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scoring import ScoringOptions, TaskType, TruthError
from scoring.errors import BAD_TRUTH

if TYPE_CHECKING:  # the models import this module's callers; annotations only
    from competitions.models import Competition, CompetitionFile


def truth_validate(*, task: TaskType, file: IO[bytes], classes: list[str] | None = None) -> object:
    """Parse an uploaded truth file as the scorer will; raise `TruthError` if it is wrong. Where the organizers'
    program scores, the upload is a zip of the hidden files' folder (truth/)."""
    if task.program:
        return _truth_folder_validate(task=task, file=file)
    suffix = Path(getattr(file, "name", "") or "truth").suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        file.seek(0)
        shutil.copyfileobj(file, copy)
        copy.flush()
        file.seek(0)
        try:
            return task.load_truth(Path(copy.name), ScoringOptions(classes=tuple(classes or ())))
        except TruthError:
            raise
        except (ValueError, OSError) as exc:
            raise TruthError(BAD_TRUTH, f"The truth file cannot be read: {exc}") from None


def _truth_folder_validate(*, task: TaskType, file: IO[bytes]) -> object:
    from django.core.files.base import File

    from competitions.programs import MAX_TRUTH_BYTES, unzip_upload
    from core.errors import PodiumError

    upload = file if hasattr(file, "chunks") else File(file)
    file.seek(0)
    with tempfile.TemporaryDirectory(prefix="podium-truth-upload-") as folder:
        try:
            unzip_upload(upload, Path(folder), MAX_TRUTH_BYTES)
        except PodiumError as exc:
            raise TruthError(BAD_TRUTH, f"Upload the hidden files as a .zip of the truth/ folder: {exc.message}") from None
        finally:
            file.seek(0)
        return task.load_truth(Path(folder), ScoringOptions())


def competition_write_sample_submission(*, competition: "Competition") -> "CompetitionFile":
    """Make (or replace) public/sample_submission.* from the truth: every id, a valid placeholder prediction."""
    from django.core.files.base import ContentFile

    from competitions.models import CompetitionFile
    from competitions.truth import load_truth

    task = competition.task_type
    name = f"sample_submission{task.submission_suffix}"
    content = task.sample_submission(load_truth(competition)).encode()
    item = competition.files.filter(name=name).first() or CompetitionFile(competition=competition, name=name)
    if item.pk:
        item.file.delete(save=False)
    item.description = "A valid submission to start from (generated from the test ids)."
    item.file.save(name, ContentFile(content), save=False)
    item.save()
    return item


def competition_readiness(*, competition: "Competition") -> list[str]:
    """What a competition still lacks before participants may see it; empty when it is ready to publish."""
    from scoring import ScoringError
    from competitions.truth import load_truth

    missing = []
    if not competition.truth_file:
        missing.append("a ground-truth file (Ground truth)")
    elif not competition.scored_by_program:  # a program's hidden files are read by its dry runs, on a worker
        try:
            load_truth(competition)
        except (ScoringError, ValueError, OSError) as exc:
            missing.append(f"a valid ground-truth file: {getattr(exc, 'message', exc)}"[:200])
    test_file = competition.task_type.test_inputs  # the file participants predict for
    if test_file and not competition.files.filter(name=test_file).exists():
        missing.append(f"the test inputs: a public file named {test_file}")
    for field, label in (("overview", "an overview"), ("rules", "rules")):
        if not getattr(competition, field).strip():
            missing.append(f"{label} (Pages)")
    if competition.start_at >= competition.end_at:
        missing.append("dates in order: the start must come before the end")
    if competition.reveal_at and competition.reveal_at < competition.end_at:
        missing.append("a reveal at or after the end")
    if competition.merger_deadline and competition.merger_deadline > competition.end_at:
        missing.append("a merger deadline at or before the end")
    if competition.scored_by_program:
        missing.extend(_program_readiness(competition))
    for phase in competition.phases.all():
        if not phase.truth_file:
            missing.append(f"a ground-truth file for the {phase.name} phase")
        if phase.start_at >= phase.end_at:
            missing.append(f"dates in order for the {phase.name} phase")
    return missing


def competition_publish(*, competition: "Competition") -> "Competition":
    """Make a draft visible to everyone, if it is ready; else a PodiumError listing what is missing."""
    from django.utils import timezone

    from core.errors import PodiumError

    if competition.published_at is not None:
        return competition
    missing = competition_readiness(competition=competition)
    if missing:
        raise PodiumError(PodiumError.NOT_READY, f"{competition.slug} cannot be published yet; it needs " + "; ".join(missing) + ".")
    competition.published_at = timezone.now()
    competition.save(update_fields=["published_at", "updated_at"])
    return competition


def _program_readiness(competition: "Competition") -> list[str]:
    """A competition scored by its own program: declared metrics, and a program whose dry runs passed (the sample
    scored, an empty file failed cleanly)."""
    from competitions.programs import dry_run_problems
    from scoring.tasks import custom

    missing = []
    try:
        custom.declared_metrics(competition.metrics)
    except ValueError as exc:
        missing.append(f"declared metrics (Metrics: {exc})")
    if competition.metric and competition.metric not in competition.task_type.rankable():
        missing.append(f"a ranking metric among the declared ones ({competition.metric} is not declared)")
    return missing + dry_run_problems(competition.current_program())
