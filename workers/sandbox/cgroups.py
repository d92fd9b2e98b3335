"""A cgroup v2 per model run, where the host has one: the kernel caps its memory and processes.

On a host whose `/sys/fs/cgroup` is cgroup v2 with the memory and pids controllers (systemd
hosts since about 2021; a container given its own writable cgroup), each run gets
`<parent>/run-<uid>` with `memory.max` (the run's `memory_mb`), `memory.swap.max` 0 and
`pids.max` (its process and thread limit). The worker's child joins it between fork and
exec, so bubblewrap and everything the model starts is inside. The kernel then kills the
run when it passes its memory (`memory.events` counts an `oom_kill`: the submission fails
with `model-memory`), and `cgroup.kill` ends every process of the run at once. The rlimits
and the parent's watch stay on as well; on a cgroup v1 host they alone hold the limits.

`PODIUM_SANDBOX_CGROUP`:
- `auto` (default): under the worker's own cgroup, `podium-models/`. When the worker's cgroup
  has processes (it always has: the worker), cgroup v2 lets it hand controllers to child
  groups only after those processes move into a leaf, so the worker moves its own cgroup's
  processes into `podium-worker/` first. If anything is missing (no cgroup v2, no memory
  controller, a read-only cgroup file system), models run with rlimits and the watch, and
  the sandbox check says why.
- `off`: never.
- a path: a cgroup v2 directory delegated to the worker (systemd `Delegate=yes`, say) whose
  runs go below it; if it cannot be used the worker runs no models (fail closed).
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids")
WITH = "memory and processes capped by the kernel (cgroup v2), rlimits and the worker's watch: runs under"
WITHOUT = "memory and processes capped by rlimits and the worker's watch"


class CgroupUnavailable(RuntimeError):
    """An explicitly configured cgroup cannot be used."""


@dataclass(frozen=True)
class CgroupSupport:
    parent: Path | None  # where each run's cgroup is made; None: rlimits and the watch only
    detail: str


def setting() -> str:
    return os.environ.get("PODIUM_SANDBOX_CGROUP", "auto").strip() or "auto"


@lru_cache(maxsize=4)
def support(configured: str | None = None) -> CgroupSupport:
    """Checked once per process and setting. Raises CgroupUnavailable only for an explicit path."""
    configured = configured or setting()
    if configured == "off":
        return CgroupSupport(None, f"{WITHOUT} (PODIUM_SANDBOX_CGROUP=off)")
    if configured != "auto":
        parent = Path(configured)
        try:
            _usable(parent)
            _enable(parent)
        except OSError as exc:
            raise CgroupUnavailable(f"PODIUM_SANDBOX_CGROUP={configured}: {exc}") from None
        return CgroupSupport(parent, f"{WITH} {parent}")
    try:
        own = _own_cgroup()
        _usable(own)
        parent = own / "podium-models"
        parent.mkdir(exist_ok=True)
        if not set(CONTROLLERS) <= set(_read(own / "cgroup.subtree_control").split()):
            try:
                _enable(own)  # the host's root cgroup may hand controllers down with processes in it
            except OSError:
                _move_processes(own, own / "podium-worker")
                _enable(own)
        _enable(parent)
    except OSError as exc:
        return CgroupSupport(None, f"{WITHOUT} (no cgroup v2: {exc})")
    return CgroupSupport(parent, f"{WITH} {parent}")


@contextmanager
def run_cgroup(parent: Path | None, uid: int, *, memory_mb: int, processes: int) -> Iterator[Path | None]:
    """The cgroup of one run (held with the uid's lock, so `run-<uid>` is this run's alone), removed after."""
    if parent is None:
        yield None
        return
    path = parent / f"run-{uid}"
    if path.exists():
        remove(path)  # left by a worker that died mid-run
    path.mkdir(exist_ok=True)  # still there: a process the kernel has not let go of yet, under the same caps
    try:
        _write(path / "memory.max", str(memory_mb * 1024 * 1024))
        if (path / "memory.swap.max").exists():
            _write(path / "memory.swap.max", "0")
        _write(path / "pids.max", str(processes))
        yield path
    finally:
        remove(path)


def join(path: Path) -> None:
    """Called in the child between fork and exec, as root: this process and all it starts belong to `path`."""
    with open(path / "cgroup.procs", "w") as handle:
        handle.write(str(os.getpid()))


def oom_killed(path: Path) -> bool:
    """Whether the kernel killed a process of the run for passing `memory.max`."""
    for line in _read(path / "memory.events").splitlines():
        name, _, count = line.partition(" ")
        if name == "oom_kill" and count.strip().isdigit():
            return int(count) > 0
    return False


def peak_mb(path: Path) -> float:
    value = _read(path / "memory.peak").strip()
    return int(value) / (1024 * 1024) if value.isdigit() else 0.0


def remove(path: Path) -> None:
    """Kill every process in the run's cgroup, then remove it."""
    if (path / "cgroup.kill").exists() and _members(path):
        _write(path / "cgroup.kill", "1")  # the whole group at once (Linux 5.14+)
    kill_until_gone(lambda: _members(path), rounds=200)
    try:
        path.rmdir()
    except OSError:
        pass  # a cgroup that still holds a process; the next run with this uid tries again


def kill_until_gone(find: Callable[[], list[int]], rounds: int = 100) -> None:
    """SIGKILL what `find` lists until it lists nothing (or `rounds` tries, 10 ms apart)."""
    for _ in range(rounds):
        pids = find()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def _members(path: Path) -> list[int]:
    return [int(pid) for pid in _read(path / "cgroup.procs").split() if pid.isdigit() and Path(f"/proc/{pid}").exists()]


def _own_cgroup() -> Path:
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, relative = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            return ROOT / relative.lstrip("/")
    raise OSError("this process is in no cgroup v2 hierarchy")


def _usable(path: Path) -> None:
    if not (ROOT / "cgroup.controllers").is_file():
        raise OSError(f"{ROOT} is not a cgroup v2 file system")
    available = _read(path / "cgroup.controllers").split()
    missing = [name for name in CONTROLLERS if name not in available]
    if missing:
        raise OSError(f"the cgroup {path} offers no {' or '.join(missing)} controller")
    if not os.access(path, os.W_OK):
        raise OSError(f"the cgroup {path} is read-only")


def _move_processes(source: Path, leaf: Path) -> None:
    leaf.mkdir(exist_ok=True)
    for pid in _read(source / "cgroup.procs").split():
        try:
            _write(leaf / "cgroup.procs", pid)
        except ProcessLookupError:
            continue


def _enable(path: Path) -> None:
    _write(path / "cgroup.subtree_control", " ".join(f"+{name}" for name in CONTROLLERS))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)
