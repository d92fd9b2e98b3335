"""The run's uid: one of UID_COUNT uids of its pool, held with a lock file for the run, so two runs on a host never
share one and every process of a run can be found, and killed, by its uid.

Two pools that never overlap: models' (from PODIUM_SANDBOX_UID_BASE, 61000) and scoring programs' (from
PODIUM_SCORING_UID_BASE, 62000), so an organizer's program never runs as a uid a participant's model has used, or
the other way round."""
from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from workers.sandbox import cgroups
from workers.sandbox.contract import SandboxUnavailable
from workers.sandbox.mounts import remove_stages

UID_COUNT = 64


@dataclass(frozen=True)
class UidPool:
    variable: str  # the setting that moves it
    default: int
    locks: str  # the folder of its lock files, under the temporary folder


POOLS = {"models": UidPool("PODIUM_SANDBOX_UID_BASE", 61000, "podium-sandbox-uids"),
         "programs": UidPool("PODIUM_SCORING_UID_BASE", 62000, "podium-scoring-uids")}


def uid_base(pool: str = "models") -> int:
    """The first uid of a pool; refused if it is not a number from 1000, or if the pools overlap."""
    bases = {name: _base(entry) for name, entry in POOLS.items()}
    for name, base in bases.items():
        if name != pool and abs(base - bases[pool]) < UID_COUNT:
            raise SandboxUnavailable(f"{POOLS[pool].variable} and {POOLS[name].variable} must be {UID_COUNT} or more "
                                     "apart: models and scoring programs never share a uid")
    return bases[pool]


def _base(pool: UidPool) -> int:
    value = os.environ.get(pool.variable, str(pool.default))
    if not value.isdigit() or not 1000 <= int(value) <= 2**31 - UID_COUNT:
        raise SandboxUnavailable(f"{pool.variable} must be an integer from 1000, got {value!r}")
    return int(value)


@contextmanager
def sandbox_uid(pool: str = "models") -> Iterator[int]:
    """A uid of the pool that no other run on this host holds now; its leftover processes (if any) are killed first."""
    base = uid_base(pool)
    locks = Path(tempfile.gettempdir()) / POOLS[pool].locks
    locks.mkdir(mode=0o700, exist_ok=True)
    for offset in range(UID_COUNT):
        handle = open(locks / f"{base + offset}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            # Whatever a worker that died mid-run left under this uid (supervise cleans up after its own run).
            kill_uid(base + offset)
            remove_stages(base + offset)
            yield base + offset
        finally:
            handle.close()
        return
    raise RuntimeError(f"all {UID_COUNT} sandbox uids are in use on this host")


def processes_of(uid: int) -> list[int]:
    """Live processes of `uid` (zombies hold nothing and cannot be killed; their parent reaps them)."""
    return scan(lambda entry: entry.stat().st_uid == uid and not _is_zombie(entry.name))


def scan(matches: Callable[[os.DirEntry[str]], bool]) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if matches(entry):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _is_zombie(pid: str) -> bool:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return handle.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")


def kill_uid(uid: int) -> None:
    cgroups.kill_until_gone(lambda: processes_of(uid))
