"""Writes about competitions: validating a truth file before it is accepted."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO

from scoring import ScoringOptions, TaskType, TruthError


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
