"""Run an untrusted program (a participant's model) in a contained child process.

Containment, and why each part:
- a private working directory (mode 0700) that is deleted afterwards;
- a scrubbed environment: no database URL, broker URL or secret key;
- resource limits: CPU seconds (RLIMIT_CPU), file size (RLIMIT_FSIZE, caps the
  predictions' size), address space (RLIMIT_AS, CPU runs only: CUDA reserves
  huge virtual ranges) and a resident-memory watch by the parent;
- a wall-clock limit enforced by the parent, which kills the whole process group;
- where the worker may create namespaces (as root, or else in an unprivileged
  user namespace):
  a new network namespace (no interface but a down loopback: no network at all)
  and a new mount namespace in which `hidden` folders (media storage, local
  state) are covered by empty tmpfs mounts, and the inputs are bind-mounted
  read-only into the working directory. Without namespaces the fallback is
  documented in the README: run inference workers on machines that hold no
  truth files, with egress blocked by the host firewall.
"""
from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TIMEOUT, MEMORY, CPU, OUTPUT = "wall-clock", "memory", "cpu-time", "output-size"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 600
    cpu_seconds: int = 1200
    memory_mb: int = 4096
    output_mb: int = 512
    limit_address_space: bool = True  # off when the child uses CUDA


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    exceeded: str | None = None  # which limit stopped it, if any
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    contained: bool = False


_NAMESPACE_COMMANDS = (
    ["unshare", "--net", "--mount", "--propagation", "private"],
    # A worker that is not root (the docker images): an unprivileged user namespace.
    ["unshare", "--user", "--map-root-user", "--net", "--mount", "--propagation", "private"],
)


@lru_cache(maxsize=1)
def namespace_command() -> list[str] | None:
    """The first `unshare` invocation that works for this worker (checked once), or None."""
    if not shutil.which("unshare"):
        return None
    for command in _NAMESPACE_COMMANDS:
        try:
            probe = subprocess.run([*command, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return command
    return None


def namespaces_available() -> bool:
    return namespace_command() is not None


def run_contained(
    command: list[str],
    *,
    workdir: Path,
    inputs: Path | None,
    hidden: list[Path],
    limits: Limits,
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> Outcome:
    """Run `command` in `workdir` (the inputs appear read-only at `workdir/inputs`)."""
    contained = namespaces_available()
    if contained:
        command = _in_namespaces(command, workdir=workdir, inputs=inputs, hidden=hidden)
    elif inputs is not None:
        (workdir / "inputs").symlink_to(inputs)
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=workdir, env=_clean_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: _apply_limits(limits), start_new_session=True, text=True,
    )
    stdout_lines: list[str] = []
    stderr_tail: list[str] = []
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, stdout_lines, on_line), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, stderr_tail, None), daemon=True),
    ]
    for reader in readers:
        reader.start()
    exceeded, peak = _watch(process, limits, started)
    for reader in readers:
        reader.join(timeout=5)
    if exceeded is None and process.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        # Not killed by the parent: the CPU-time limit (soft: SIGXCPU, hard: SIGKILL).
        exceeded = CPU
    # Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE fails with EFBIG instead.
    if exceeded is None and (process.returncode == -signal.SIGXFSZ or "[Errno 27] File too large" in "".join(stdout_lines + stderr_tail)):
        exceeded = OUTPUT
    return Outcome(process.returncode, "".join(stdout_lines), "".join(stderr_tail)[-8000:], exceeded,
                   time.monotonic() - started, peak, contained)


def _in_namespaces(command: list[str], *, workdir: Path, inputs: Path | None, hidden: list[Path]) -> list[str]:
    steps = []
    if inputs is not None:
        target = workdir / "inputs"
        target.mkdir()
        steps.append(f"mount --bind {_q(inputs)} {_q(target)} && mount -o remount,bind,ro {_q(target)}")
    for folder in hidden:
        if Path(folder).exists():
            steps.append(f"mount -t tmpfs -o size=1m,mode=000 podium-hidden {_q(folder)}")
    script = " && ".join(steps + ['exec "$@"'])
    return [*(namespace_command() or []), "sh", "-c", script, "sandbox", *command]


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def _clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    keep = {"PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
            "LD_LIBRARY_PATH", "OMP_NUM_THREADS"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(extra or {})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _apply_limits(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    # If the worker dies (SIGKILL, OOM), its model dies with it instead of running on
    # unsupervised; the task is redelivered to another worker, which starts it afresh.
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    output = limits.output_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.limit_address_space:
        # Headroom over the resident limit: the interpreter and torch map far more than they touch.
        space = (limits.memory_mb + 2048) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (space, space))


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the wall-clock watch is the only guard
        pass


def _pump(stream, sink: list[str], on_line: Callable[[str], None] | None) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        if on_line is not None and line.startswith("PROGRESS "):
            on_line(line)
            continue
        sink.append(line)
        if len(sink) > 2000:
            del sink[:1000]


def _watch(process: subprocess.Popen[str], limits: Limits, started: float) -> tuple[str | None, float]:
    peak = 0.0
    while process.poll() is None:
        rss = _group_rss_mb(process.pid)
        peak = max(peak, rss)
        if rss > limits.memory_mb:
            _kill(process)
            return MEMORY, peak
        if time.monotonic() - started > limits.wall_seconds:
            _kill(process)
            return TIMEOUT, peak
        time.sleep(0.05)
    return None, peak


def _group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the child's process group."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5 of stat: process group id
                total += int(fields[21]) * resource.getpagesize()  # field 24: resident pages
        except (OSError, IndexError, ValueError):
            continue
    return total / (1024 * 1024)


def _kill(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def private_workdir(root: Path | None = None) -> Path:
    path = Path(tempfile.mkdtemp(prefix="podium-model-", dir=root))
    path.chmod(0o700)
    return path
