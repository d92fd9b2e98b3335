"""Whether this worker can sandbox, and how: a real sandboxed Python run once per set of hidden paths."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from workers.sandbox import view as sandbox_view
from workers.sandbox.contract import MODEL_LAYOUT, Layout, Limits, SandboxStatus, SandboxUnavailable
from workers.sandbox.run import cgroup_support, run_contained
from workers.sandbox.uids import uid_base


def sandbox_check(*, hidden: list[Path], allow_unsandboxed: bool = False,
                  layout: Layout = MODEL_LAYOUT) -> SandboxStatus:
    """Whether this worker can run models (or, with PROGRAM_LAYOUT, scoring programs, as their own pool's uids),
    and how. Runs a real sandboxed Python once."""
    if allow_unsandboxed:
        return SandboxStatus(True, "unsandboxed", "PODIUM_UNSANDBOXED_MODELS is on: models run WITHOUT a sandbox")
    try:
        probe(tuple(str(path) for path in hidden), layout)
        limits = cgroup_support().detail
    except SandboxUnavailable as exc:
        return SandboxStatus(False, "unavailable", str(exc))
    return SandboxStatus(True, "bubblewrap", f"bubblewrap {_bwrap_version()}, uids from {uid_base(layout.pool)}; "
                                             f"{limits}; {sandbox_view.view_report()}")


@lru_cache(maxsize=8)
def probe(hidden: tuple[str, ...], layout: Layout = MODEL_LAYOUT) -> None:
    if os.geteuid() != 0:
        raise SandboxUnavailable("the worker must start as root: each model or scoring program runs as a uid of its own")
    if not shutil.which("bwrap"):
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    workdir = Path(tempfile.mkdtemp(prefix="podium-probe-"))
    # A layout whose working folder is bound read-only (a scoring program's /scoring) gets an empty one.
    read_only = {} if layout.workdir == MODEL_LAYOUT.workdir else {layout.workdir: workdir / "empty"}
    (workdir / "empty").mkdir()
    (workdir / "out").mkdir()
    try:
        outcome = run_contained([sys.executable, "-S", "-c", "print('sandbox-ok')"], workdir=workdir / "out",
                                read_only=read_only, hidden=[Path(p) for p in hidden], limits=Limits(wall_seconds=30),
                                layout=layout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if outcome.returncode != 0 or "sandbox-ok" not in outcome.log:
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox: {outcome.log.strip()[-300:] or outcome.returncode}")


@lru_cache(maxsize=1)
def _bwrap_version() -> str:
    try:
        return subprocess.run(["bwrap", "--version"], capture_output=True, text=True, timeout=10).stdout.split()[-1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"
