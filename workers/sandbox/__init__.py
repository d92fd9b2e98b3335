"""Run an untrusted program (a participant's model) inside bubblewrap.

The threat model is in docs/security.md; in short, each run gets:
- its own uid, never root and never the worker's: one of `UID_COUNT` uids from
  `PODIUM_SANDBOX_UID_BASE`, held with a lock file for the run, so two runs on
  a host never share one and every process of a run can be found (and killed)
  by its uid;
- bubblewrap's new user, PID, network, IPC, UTS and cgroup namespaces, a fresh
  `/proc`, a minimal `/dev`, no capabilities, no nested user namespaces, a new
  session, death with its parent, and a seccomp filter (seccomp.py);
- a root filesystem that is an empty tmpfs holding read-only binds of the
  runtime only (`/usr`; the Python installation, a virtualenv's packages, the
  `workers` and `scoring` packages at `/sandbox/runtime/…`) and of the files of
  this run (`/sandbox/model/`, `/sandbox/inputs`), remounted read-only; each bound
  from a neutral name, so that nothing inside names a host folder
  (view.py), and bwrap's options passed on a file descriptor;
- one writable folder, `/sandbox/out`: a tmpfs mounted by the worker with a size
  and an inode cap, read back with `O_NOFOLLOW` and size checks, then unmounted;
  a private `/tmp` and `/dev/shm` with their own size caps, gone with the run;
- rlimits (CPU seconds, file size, processes and threads, address space on CPU
  runs, no core files) and a parent that watches the run's resident memory and
  wall clock and kills every process of its uid; where the host has cgroup v2, a
  cgroup per run as well, in which the kernel caps memory and processes
  (cgroups.py).

The worker must be root to give each run its own uid and to mount the output
folder; `sandbox_check()` says why a worker cannot sandbox, and such a worker
runs no models (workers/tasks.py). `PODIUM_UNSANDBOXED_MODELS=1` runs them as
plain subprocesses with the same limits, for a developer's own laptop only.

The package, one concern per module: contract.py (limits, outcome), uids.py, mounts.py (what the sandbox
sees), supervise.py (the watched process), collect.py (output read back), run.py, check.py; view.py,
seccomp.py and cgroups.py build the runtime view, the system-call filter and the per-run cgroup.
"""
from __future__ import annotations

from workers.sandbox.check import sandbox_check
from workers.sandbox.contract import (CPU, LOG_BYTES, MEMORY, OUTPUT, ROOT, TIMEOUT, Limits, Outcome, SandboxStatus,
                                      SandboxUnavailable)
from workers.sandbox.run import run_contained

__all__ = ["CPU", "LOG_BYTES", "MEMORY", "OUTPUT", "ROOT", "TIMEOUT", "Limits", "Outcome", "SandboxStatus",
           "SandboxUnavailable", "run_contained", "sandbox_check"]
