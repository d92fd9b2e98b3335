"""Reading a run's output back: regular files only, opened without following links, within the output cap."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from workers.sandbox.contract import Limits, Outcome


def collect_outputs(out: Path, workdir: Path, names: tuple[str, ...], limits: Limits, outcome: Outcome) -> None:
    """Copy each named output file out of the sandbox's folder: a regular file, not a link, within the cap."""
    for name in names:
        try:
            fd = os.open(out / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            continue
        except OSError as exc:
            outcome.problems.append(f"{name}: {exc.strerror}")
            continue
        with os.fdopen(fd, "rb") as source:
            info = os.fstat(source.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > limits.output_mb * 1024 * 1024:
                outcome.problems.append(f"{name}: not a regular file within {limits.output_mb} MB")
                continue
            target = workdir / name
            with open(target, "wb") as copy:
                shutil.copyfileobj(source, copy, 1024 * 1024)
            outcome.collected[name] = target
