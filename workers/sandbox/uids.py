"""The run's uid: one of UID_COUNT uids from PODIUM_SANDBOX_UID_BASE, held with a lock file for the run, so two runs
on a host never share one and every process of a run can be found, and killed, by its uid."""
from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from workers.sandbox import cgroups
from workers.sandbox.contract import SandboxUnavailable
from workers.sandbox.mounts import remove_stages

UID_COUNT = 64


def uid_base() -> int:
    value = os.environ.get("PODIUM_SANDBOX_UID_BASE", "61000")
    if not value.isdigit() or not 1000 <= int(value) <= 2**31 - UID_COUNT:
        raise SandboxUnavailable(f"PODIUM_SANDBOX_UID_BASE must be an integer from 1000, got {value!r}")
    return int(value)


@contextmanager
def sandbox_uid() -> Iterator[int]:
    """A uid no other run on this host holds now; its leftover processes (if any) are killed first."""
    base = uid_base()
    locks = Path(tempfile.gettempdir()) / "podium-sandbox-uids"
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
