"""A cgroup v2 per model run where the host has one (workers/sandbox/cgroups.py), with the real sandbox.

This project's CI hosts are cgroup v1, so most tests here run the sandbox against a cgroup tree
of plain files (what the worker writes is read back); the last test needs a real cgroup v2
host with the memory controller (`python -m workers.selfcheck` checks the same on any host).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.sandbox import cgroups
from tests.workers.contained import run_python
from workers.sandbox import CPU, MEMORY, Limits, Outcome, sandbox_check

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (as the inference worker runs)")


@pytest.fixture(autouse=True)
def fresh_support() -> Iterator[None]:
    from workers.sandbox import check

    cgroups.support.cache_clear()
    check.probe.cache_clear()
    yield
    cgroups.support.cache_clear()
    check.probe.cache_clear()


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cgroup v2 root as files: the worker in `worker.service`, which offers memory and pids."""
    root = tmp_path / "cgroup"
    own = root / "worker.service"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu io memory pids\n")
    (own / "cgroup.controllers").write_text("cpu memory pids\n")
    (own / "cgroup.procs").write_text("4242\n4343\n")
    monkeypatch.setattr(cgroups, "ROOT", root)
    monkeypatch.setattr(cgroups, "_own_cgroup", lambda: own)
    return own


def _run(code: str, limits: Limits) -> Outcome:
    return run_python(code, limits=limits)


def test_each_run_gets_a_cgroup_with_its_memory_and_process_caps_that_the_sandbox_joins(
        tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # cgroup v2 refuses controllers to the children of a cgroup with processes in it (but the root's):
    # the worker moves its cgroup's processes into a leaf first.
    enable = cgroups._enable

    def busy_while_populated(path: Path) -> None:
        if path == tree and not (tree / "podium-worker").exists():
            raise OSError(16, "Device or resource busy")
        enable(path)

    monkeypatch.setattr(cgroups, "_enable", busy_while_populated)
    support = cgroups.support("auto")
    assert support.parent == tree / "podium-models" and "cgroup v2" in support.detail
    assert (tree / "podium-worker" / "cgroup.procs").read_text() == "4343"  # each pid written in turn; the last stays
    assert (tree / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (support.parent / "cgroup.subtree_control").read_text() == "+memory +pids"

    joined: list[str] = []
    remove = cgroups.remove

    def keep_a_copy(path: Path) -> None:
        if (path / "cgroup.procs").exists():
            joined.append((path / "cgroup.procs").read_text())
            joined.append((path / "memory.max").read_text() + " " + (path / "pids.max").read_text())
        remove(path)

    monkeypatch.setattr(cgroups, "remove", keep_a_copy)
    outcome = _run("print('inside')", Limits(wall_seconds=30, memory_mb=300, processes=77))
    assert outcome.returncode == 0 and "inside" in outcome.log and outcome.exceeded is None
    pid, caps = joined
    assert pid.isdigit() and int(pid) != os.getpid()  # bwrap's process, before it exec'd
    assert caps == f"{300 * 1024 * 1024} 77"
    assert "cgroup v2" in sandbox_check(hidden=[]).detail


def test_a_run_the_kernel_killed_at_its_memory_cap_fails_with_model_memory(
        tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel's OOM kill is a SIGKILL, which alone would read as the CPU limit's: memory.events tells."""
    suicide = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    assert _run(suicide, Limits(wall_seconds=30)).exceeded == CPU
    monkeypatch.setattr(cgroups, "oom_killed", lambda path: path.name.startswith("run-"))
    assert _run(suicide, Limits(wall_seconds=30)).exceeded == MEMORY


def test_without_cgroup_v2_runs_keep_rlimits_and_the_watch_and_an_explicit_cgroup_fails_closed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)  # no cgroup.controllers: not cgroup v2
    support = cgroups.support("auto")
    assert support.parent is None and "not a cgroup v2 file system" in support.detail
    status = sandbox_check(hidden=[])
    assert status.ok and "rlimits and the worker's watch (no cgroup v2" in status.detail
    assert _run("print('ran')", Limits(wall_seconds=30)).returncode == 0

    cgroups.support.cache_clear()
    monkeypatch.setenv("PODIUM_SANDBOX_CGROUP", str(tmp_path / "delegated"))
    status = sandbox_check(hidden=[])
    assert not status.ok and status.mode == "unavailable" and "PODIUM_SANDBOX_CGROUP" in status.detail

    cgroups.support.cache_clear()
    monkeypatch.setenv("PODIUM_SANDBOX_CGROUP", "off")
    assert cgroups.support().parent is None and "PODIUM_SANDBOX_CGROUP=off" in cgroups.support().detail


def test_on_a_cgroup_v2_host_the_kernel_stops_a_run_at_its_memory_cap() -> None:
    if cgroups.support("auto").parent is None:
        pytest.skip(f"needs a cgroup v2 host with the memory controller: {cgroups.support('auto').detail}")
    hog = "chunks = []\nwhile True:\n    chunks.append(b'x' * (64 * 1024 * 1024))"
    outcome = _run(hog, Limits(wall_seconds=60, memory_mb=256))
    assert outcome.exceeded == MEMORY
    assert not list(cgroups.support().parent.glob("run-*"))  # removed after the run
