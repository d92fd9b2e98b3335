"""Writes about competitions: validating a truth file, generating a sample submission."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scoring import ScoringOptions, TaskType, TruthError

if TYPE_CHECKING:  # the models import this module's callers; annotations only
    from competitions.models import Competition, CompetitionFile


def truth_validate(*, task: TaskType, file: IO[bytes], classes: list[str] | None = None) -> object:
    """Parse an uploaded truth file as the scorer will; raise `TruthError` if it is wrong."""
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
            raise TruthError("bad-truth", f"The truth file cannot be read: {exc}") from None


def competition_write_sample_submission(*, competition: "Competition") -> "CompetitionFile":
    """Make (or replace) public/sample_submission.* from the truth: every id, a valid placeholder prediction."""
    from django.core.files.base import ContentFile

    from competitions.models import CompetitionFile
    from submissions.truth_cache import load_truth

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
