"""Watching a run: its process started at the run's uid with its rlimits and cgroup, its log kept in bounded memory,
its report lines passed on, its memory and wall clock watched, and every process of its uid killed when it ends."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from workers.sandbox import cgroups
from workers.sandbox.contract import CPU, LOG_BYTES, MEMORY, OUTPUT, REPORT_LINE_BYTES, TIMEOUT, Limits, Outcome, libc
from workers.sandbox.uids import kill_uid, processes_of, scan

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def supervise(command: list[str], *, uid: int | None, limits: Limits, env: dict[str, str], cwd: Path | None,
               on_report: Callable[[str], None] | None, cgroup: Path | None = None,
               pass_fds: tuple[int, ...] = (), arguments_on_fd: bool = False) -> Outcome:
    report_read, report_write = os.pipe()
    command = [part.replace("{fd}", str(report_write)) for part in command]
    env = {name: value.replace("{fd}", str(report_write)) for name, value in env.items()}
    if arguments_on_fd:
        # bwrap reads its options from a file descriptor: its command line, which the sandbox's init shows as
        # /proc/1/cmdline, is then `bwrap --args N -- COMMAND` and names no host folder.
        # The command itself stays on the command line (bwrap wants it there); inside, it names only /sandbox paths.
        split = command.index("--")
        arguments_fd = _arguments_fd(command[1:split])
        command, pass_fds = [command[0], "--args", str(arguments_fd), *command[split:]], (*pass_fds, arguments_fd)
    started = time.monotonic()
    try:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, pass_fds=(report_write, *pass_fds), start_new_session=True,
                                   preexec_fn=lambda: _enter_child(uid, limits, cgroup))
    finally:
        os.close(report_write)
        if arguments_on_fd:
            os.close(pass_fds[-1])
    log = _Tail(LOG_BYTES)
    stdout = process.stdout
    assert stdout is not None  # stdout=PIPE
    readers = [threading.Thread(target=_read_log, args=(stdout.fileno(), log), daemon=True),
               threading.Thread(target=_read_reports, args=(report_read, on_report), daemon=True)]
    for reader in readers:
        reader.start()
    exceeded, peak = _watch(process, uid, limits, started)
    if uid is not None:
        kill_uid(uid)  # whatever the model left running (it cannot outlive its namespace, but be sure)
    for reader in readers:
        reader.join(timeout=5)
    stdout.close()
    os.close(report_read)
    return _outcome(process.returncode, log.text(), exceeded, peak, uid=uid, cgroup=cgroup,
                    seconds=time.monotonic() - started)


def _outcome(code: int, text: str, exceeded: str | None, peak: float, *, uid: int | None, cgroup: Path | None,
             seconds: float) -> Outcome:
    """Which limit, if any, stopped a run that has ended: the watch's own finding, else what the kernel did."""
    oom_killed = False
    if cgroup is not None:
        oom_killed, peak = cgroups.oom_killed(cgroup), max(peak, cgroups.peak_mb(cgroup))
    if exceeded is None and oom_killed:
        exceeded = MEMORY  # the kernel killed it at memory.max, before the watch saw it
    # bwrap exits 128 + N when its child dies of signal N.
    signal_number = -code if code < 0 else code - 128 if uid is not None and code > 128 else 0
    if exceeded is None and signal_number in (signal.SIGXCPU, signal.SIGKILL):
        exceeded = CPU  # not killed by the parent: RLIMIT_CPU (soft: SIGXCPU, hard: SIGKILL)
    if exceeded is None and (signal_number == signal.SIGXFSZ or "[Errno 27] File too large" in text):
        exceeded = OUTPUT  # Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE fails with EFBIG
    return Outcome(code, text, exceeded, seconds, peak, oom_killed=oom_killed, signal=signal_number)


def _arguments_fd(arguments: list[str]) -> int:
    """A memory file holding the arguments, NUL-separated, read from its start."""
    fd = os.memfd_create("bwrap-arguments", 0)  # no close-on-exec: bwrap inherits it (pass_fds keeps it)
    os.write(fd, b"".join(argument.encode() + b"\0" for argument in arguments))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _enter_child(uid: int | None, limits: Limits, cgroup: Path | None = None) -> None:
    """Runs in the child between fork and exec: join the run's cgroup, drop to its uid, set limits, die with the worker."""
    if cgroup is not None:
        cgroups.join(cgroup)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    output = limits.output_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.limit_address_space:
        # Headroom over the resident limit: the interpreter and torch map far more than they touch.
        space = (limits.memory_mb + 2048) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (space, space))
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    # After setuid, which clears it: if the worker dies (SIGKILL, OOM), the run dies with it.
    libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Tail:
    """The last `size` bytes written, in bounded memory."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > 2 * self.size:
            self.dropped += len(self.data) - self.size
            del self.data[:-self.size]

    def text(self) -> str:
        if len(self.data) > self.size:
            self.dropped += len(self.data) - self.size
            del self.data[:-self.size]
        head = f"[{self.dropped} earlier bytes not kept]\n" if self.dropped else ""
        return head + self.data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _read_log(fd: int, log: _Tail) -> None:
    while chunk := os.read(fd, 65536):
        log.add(chunk)


def _read_reports(fd: int, on_report: Callable[[str], None] | None) -> None:
    """Split the report channel into lines of at most REPORT_LINE_BYTES; longer lines are dropped."""
    pending, overlong = bytearray(), False
    while chunk := os.read(fd, 65536):
        pending += chunk
        while (end := pending.find(b"\n")) >= 0:
            line = bytes(pending[:end])
            del pending[:end + 1]
            if not overlong and len(line) <= REPORT_LINE_BYTES and on_report is not None:
                on_report(line.decode("utf-8", errors="replace"))
            overlong = False
        if len(pending) > REPORT_LINE_BYTES:
            pending.clear()
            overlong = True


def _watch(process: subprocess.Popen[bytes], uid: int | None, limits: Limits, started: float) -> tuple[str | None, float]:
    peak = 0.0
    while process.poll() is None:
        rss = _rss_mb(processes_of(uid) if uid is not None else _group(process.pid))
        peak = max(peak, rss)
        if rss > limits.memory_mb:
            _stop(process, uid)
            return MEMORY, peak
        if time.monotonic() - started > limits.wall_seconds:
            _stop(process, uid)
            return TIMEOUT, peak
        time.sleep(0.05)
    return None, peak


def _group(pgid: int) -> list[int]:
    return scan(lambda entry: os.getpgid(int(entry.name)) == pgid)


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * resource.getpagesize()
        except (OSError, IndexError, ValueError):
            continue
    return total / (1024 * 1024)


def _stop(process: subprocess.Popen[bytes], uid: int | None) -> None:
    if uid is not None:
        kill_uid(uid)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
