"""A Python script run through the sandbox (or, for controls, as a plain subprocess), as the tests run their probes."""
from __future__ import annotations

import shutil
import sys
from collections.abc import Callable

from workers.inference import private_workdir
from workers.sandbox import Limits, Outcome, run_contained


def run_python(code: str, *, unsandboxed: bool = False, limits: Limits | None = None,
               on_report: Callable[[str], None] | None = None) -> Outcome:
    workdir = private_workdir()
    try:
        return run_contained([sys.executable, "-c", code], workdir=workdir, read_only={}, hidden=[],
                             limits=limits or Limits(wall_seconds=30), unsandboxed=unsandboxed, on_report=on_report)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
