"""Run an untrusted program (a participant's model) inside bubblewrap.

The threat model is in docs/security.md; in short, each run gets:
- its own uid, never root and never the worker's: one of `UID_COUNT` uids from
  `PODIUM_SANDBOX_UID_BASE`, held with a lock file for the run, so two runs on
  a host never share one and every process of a run can be found (and killed)
  by its uid;
- bubblewrap's new user, PID, network, IPC, UTS and cgroup namespaces, a fresh
  `/proc`, a minimal `/dev`, no capabilities, no nested user namespaces, a new
  session, death with its parent, and a seccomp filter (workers/seccomp.py);
- a root filesystem that is an empty tmpfs holding read-only binds of the
  runtime only (`/usr`; the Python installation, a virtualenv's packages, the
  `workers` and `scoring` packages at `/sandbox/runtime/…`) and of the files of
  this run (`/sandbox/model/`, `/sandbox/inputs`), remounted read-only; each bound
  from a neutral name, so that nothing inside names a host folder
  (workers/sandbox_view.py), and bwrap's options passed on a file descriptor;
- one writable folder, `/sandbox/out`: a tmpfs mounted by the worker with a size
  and an inode cap, read back with `O_NOFOLLOW` and size checks, then unmounted;
  a private `/tmp` and `/dev/shm` with their own size caps, gone with the run;
- rlimits (CPU seconds, file size, processes and threads, address space on CPU
  runs, no core files) and a parent that watches the run's resident memory and
  wall clock and kills every process of its uid; where the host has cgroup v2, a
  cgroup per run as well, in which the kernel caps memory and processes
  (workers/cgroups.py).

The worker must be root to give each run its own uid and to mount the output
folder; `sandbox_check()` says why a worker cannot sandbox, and such a worker
runs no models (workers/tasks.py). `PODIUM_UNSANDBOXED_MODELS=1` runs them as
plain subprocesses with the same limits, for a developer's own laptop only.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from workers import cgroups, sandbox_view, seccomp

TIMEOUT, MEMORY, CPU, OUTPUT = "wall-clock", "memory", "cpu-time", "output-size"
ROOT = Path(__file__).resolve().parents[1]
SANDBOX_DIR = "/sandbox"
LOG_BYTES = 64 * 1024  # what a team can read of what its model printed
REPORT_LINE_BYTES = 4096  # longer report lines are dropped whole
UID_COUNT = 64
STAGE_PREFIX = "podium-sandbox-"  # then the uid: a stage belongs to the holder of that uid's lock
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384
MNT_DETACH = 2


class SandboxUnavailable(RuntimeError):
    """This worker cannot build the sandbox; it must not run models."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 600
    cpu_seconds: int = 1200
    memory_mb: int = 4096
    output_mb: int = 512
    output_files: int = 64
    tmp_mb: int = 256
    processes: int = 512  # threads count as processes
    limit_address_space: bool = True  # off when the child uses CUDA


@dataclass
class Outcome:
    returncode: int
    log: str  # the last LOG_BYTES of what the program wrote to stdout and stderr
    exceeded: str | None = None  # which limit stopped it, if any
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    contained: bool = False
    collected: dict[str, Path] = field(default_factory=dict)  # output files copied out, by name
    problems: list[str] = field(default_factory=list)  # output files refused, and why
    oom_killed: bool = False  # the kernel stopped it at its cgroup's memory.max
    signal: int = 0  # the signal that ended the model's process, if one did


@dataclass(frozen=True)
class SandboxStatus:
    ok: bool
    mode: str  # "bubblewrap", "unsandboxed" or "unavailable"
    detail: str


def _sandbox_uid_base() -> int:
    value = os.environ.get("PODIUM_SANDBOX_UID_BASE", "61000")
    if not value.isdigit() or not 1000 <= int(value) <= 2**31 - UID_COUNT:
        raise SandboxUnavailable(f"PODIUM_SANDBOX_UID_BASE must be an integer from 1000, got {value!r}")
    return int(value)


# ---------------------------------------------------------------- checking

def sandbox_check(*, hidden: list[Path], allow_unsandboxed: bool = False) -> SandboxStatus:
    """Whether this worker can run models, and how. Runs a real sandboxed Python once."""
    if allow_unsandboxed:
        return SandboxStatus(True, "unsandboxed", "PODIUM_UNSANDBOXED_MODELS is on: models run WITHOUT a sandbox")
    try:
        _probe(tuple(str(path) for path in hidden))
        limits = _cgroup_support().detail
    except SandboxUnavailable as exc:
        return SandboxStatus(False, "unavailable", str(exc))
    return SandboxStatus(True, "bubblewrap", f"bubblewrap {_bwrap_version()}, uids from {_sandbox_uid_base()}; {limits}; "
                                             f"{sandbox_view.view_report()}")


@lru_cache(maxsize=8)
def _probe(hidden: tuple[str, ...]) -> None:
    if os.geteuid() != 0:
        raise SandboxUnavailable("the inference worker must start as root: each model runs as a uid of its own")
    if not shutil.which("bwrap"):
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    workdir = Path(tempfile.mkdtemp(prefix="podium-probe-"))
    try:
        outcome = run_contained([sys.executable, "-S", "-c", "print('sandbox-ok')"], workdir=workdir, read_only={},
                                hidden=[Path(p) for p in hidden], limits=Limits(wall_seconds=30))
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


# ---------------------------------------------------------------- running

def run_contained(
    command: list[str],
    *,
    workdir: Path,
    read_only: dict[str, Path],
    hidden: list[Path],
    limits: Limits,
    env: dict[str, str] | None = None,
    collect: tuple[str, ...] = (),
    on_report: Callable[[str], None] | None = None,
    gpu: int | None = None,
    unsandboxed: bool = False,
) -> Outcome:
    """Run `command` with cwd `/sandbox`, where each `read_only` name shows its host path's files and `out/` is writable.

    In the sandbox the runtime and each `read_only` folder are bound from neutral names (workers/sandbox_view.py);
    a `command` that starts with this interpreter runs the sandbox's view of it.

    `workdir` is the caller's private folder: files named in `collect` are copied
    from `out/` into it (regular files only, within the output cap). The child
    writes report lines to the file descriptor named by `PODIUM_REPORT_FD`; each
    line (capped) goes to `on_report`. Everything else it prints is kept as `log`.
    """
    runner = _run_unsandboxed if unsandboxed else _run_in_bwrap
    return runner(command, workdir=Path(workdir), read_only=read_only, hidden=hidden, limits=limits,
                  env=env or {}, collect=collect, on_report=on_report, gpu=gpu)


def _run_in_bwrap(command: list[str], *, workdir: Path, read_only: dict[str, Path], hidden: list[Path], limits: Limits,
                  env: dict[str, str], collect: tuple[str, ...], on_report: Callable[[str], None] | None,
                  gpu: int | None) -> Outcome:
    parent = _cgroup_support().parent
    view = _runtime_view(hidden)
    with _sandbox_uid() as uid, _staging(uid, limits) as stage, sandbox_view.run_view(read_only) as run, \
            cgroups.run_cgroup(parent, uid, memory_mb=limits.memory_mb, processes=limits.processes) as cgroup:
        binds = [*view.binds, *run.binds, *_identity_files(run.folder, uid)]
        inside_env = {**dict(view.env), **env}
        arguments = _bwrap_arguments(uid, [(stage.reachable(src), dst) for src, dst in binds], stage, limits, gpu,
                                     inside_env)
        if command and command[0] == sys.executable:
            command = [view.python, *command[1:]]
        filter_fd = _seccomp_fd()
        try:
            outcome = _supervise(["bwrap", *arguments, "--seccomp", str(filter_fd), "--setenv", "PODIUM_REPORT_FD", "{fd}",
                                  "--", *command], uid=uid, limits=limits, env=_bwrap_env(), cwd=None,
                                 on_report=on_report, cgroup=cgroup, pass_fds=(filter_fd,), arguments_on_fd=True)
        finally:
            os.close(filter_fd)
        outcome.contained = True
        _collect(stage.out, workdir, collect, limits, outcome)
        return outcome


def _identity_files(folder: Path, uid: int) -> list[tuple[Path, str]]:
    """/etc/passwd and /etc/group naming the run's uid, written in the run's own neutral folder."""
    (folder / "etc").mkdir(mode=0o755)
    (folder / "etc" / "passwd").write_text(f"root:x:0:0::/:/sbin/nologin\nmodel:x:{uid}:{uid}::{SANDBOX_DIR}/out:/sbin/nologin\n")
    (folder / "etc" / "group").write_text(f"root:x:0:\nmodel:x:{uid}:\n")
    for name in ("passwd", "group"):
        os.chmod(folder / "etc" / name, 0o644)
    return [(folder / "etc" / "passwd", "/etc/passwd"), (folder / "etc" / "group", "/etc/group")]


def _runtime_view(hidden: list[Path]) -> sandbox_view.RuntimeView:
    """The runtime's binds; refused if a runtime folder holds one that models must never see."""
    try:
        view = sandbox_view.runtime_view()
    except sandbox_view.ViewUnsafe as exc:
        raise SandboxUnavailable(str(exc)) from None
    for source in (ROOT / "workers", ROOT / "scoring", Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()):
        for secret in hidden:
            if Path(secret).resolve().is_relative_to(source) and not source.is_relative_to("/usr"):
                raise SandboxUnavailable(f"the runtime folder {source} holds {secret}, which models must not see")
    return view


def _run_unsandboxed(command: list[str], *, workdir: Path, read_only: dict[str, Path], hidden: list[Path],
                     limits: Limits, env: dict[str, str], collect: tuple[str, ...],
                     on_report: Callable[[str], None] | None, gpu: int | None) -> Outcome:
    stage = Path(tempfile.mkdtemp(prefix="podium-unsandboxed-"))
    try:
        for name, path in read_only.items():
            (stage / name).symlink_to(Path(path).resolve())
        (stage / "out").mkdir()
        outcome = _supervise([*command], uid=None, limits=limits, env={**_child_env(env), "PODIUM_REPORT_FD": "{fd}"},
                             cwd=stage, on_report=on_report)
        _collect(stage / "out", workdir, collect, limits, outcome)
        return outcome
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _seccomp_fd() -> int:
    try:
        return seccomp.program_fd()
    except seccomp.SeccompUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from None


def _cgroup_support() -> cgroups.CgroupSupport:
    try:
        return cgroups.support()
    except cgroups.CgroupUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from None


def _bwrap_env() -> dict[str, str]:
    """bwrap's own environment, which the sandbox's init keeps (/proc/1/environ): the model's is set with --setenv."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    if "LD_LIBRARY_PATH" in os.environ:  # a host whose bwrap needs libraries from there (bench/gpu_check.sh)
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return env


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    """Nothing of the worker's environment but these: no database URL, broker URL or secret key."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": f"{SANDBOX_DIR}/out",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "OMP_NUM_THREADS"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra)
    return env


# ---------------------------------------------------------------- uids

@contextmanager
def _sandbox_uid() -> Iterator[int]:
    """A uid no other run on this host holds now; its leftover processes (if any) are killed first."""
    base = _sandbox_uid_base()
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
            # Whatever a worker that died mid-run left under this uid (_supervise cleans up after its own run).
            _kill_uid(base + offset)
            _remove_stages(base + offset)
            yield base + offset
        finally:
            handle.close()
        return
    raise RuntimeError(f"all {UID_COUNT} sandbox uids are in use on this host")


def _processes_of(uid: int) -> list[int]:
    """Live processes of `uid` (zombies hold nothing and cannot be killed; their parent reaps them)."""
    return _scan(lambda entry: entry.stat().st_uid == uid and not _is_zombie(entry.name))


def _scan(matches: Callable[[os.DirEntry[str]], bool]) -> list[int]:
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


def _kill_uid(uid: int) -> None:
    cgroups.kill_until_gone(lambda: _processes_of(uid))


# ---------------------------------------------------------------- mounts

class _Stage:
    """A 0711 folder of the worker's holding the run's output tmpfs and any binds that must be re-rooted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.out = path / "out"
        self.mounts: list[Path] = []
        self._count = 0

    def mount(self, target: Path, source: str, fstype: str | None, flags: int, data: str | None = None) -> None:
        _mount(source, target, fstype, flags, data)
        self.mounts.append(target)

    def reachable(self, source: Path) -> Path:
        """`source` if the sandbox uid can reach it; else a read-only bind of it inside the stage."""
        source = Path(source).resolve()
        folders = [*source.parents, source] if source.is_dir() else [*source.parents]
        if all(os.stat(folder).st_mode & stat.S_IXOTH for folder in folders):
            return source
        self._count += 1
        target = self.path / "binds" / str(self._count)
        target.parent.mkdir(mode=0o711, exist_ok=True)
        target.touch() if source.is_file() else target.mkdir()
        self.mount(target, str(source), None, MS_BIND | MS_REC)
        self.mount(target, str(source), None, MS_BIND | MS_REC | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        return target


@contextmanager
def _staging(uid: int, limits: Limits) -> Iterator[_Stage]:
    stage = _Stage(Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{uid}-")))
    try:
        stage.path.chmod(0o711)
        stage.out.mkdir()
        options = f"size={limits.output_mb}m,nr_inodes={limits.output_files + 1},mode=0700,uid={uid},gid={uid}"
        stage.mount(stage.out, "podium-out", "tmpfs", MS_NOSUID | MS_NODEV, options)
        yield stage
    finally:
        for target in reversed(stage.mounts):
            _unmount(target)
        shutil.rmtree(stage.path, ignore_errors=True)


def _remove_stages(uid: int) -> None:
    """Unmount and delete the stages of `uid`'s earlier runs; only called while holding that uid's lock."""
    prefix = str(Path(tempfile.gettempdir()) / f"{STAGE_PREFIX}{uid}-")
    with open("/proc/self/mountinfo") as handle:
        mounts = [line.split()[4] for line in handle]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        _unmount(Path(mount))
    for stage in Path(tempfile.gettempdir()).glob(f"{STAGE_PREFIX}{uid}-*"):
        shutil.rmtree(stage, ignore_errors=True)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: Path, fstype: str | None, flags: int, data: str | None) -> None:
    encoded = [value.encode() if value is not None else None for value in (source, str(target), fstype, data)]
    if _libc().mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]) != 0:
        error = ctypes.get_errno()
        raise SandboxUnavailable(f"cannot mount {fstype or 'a bind'} at {target}: {os.strerror(error)}")


def _unmount(target: Path) -> None:
    _libc().umount2(str(target).encode(), MNT_DETACH)


def _bwrap_arguments(uid: int, binds: list[tuple[Path, str]], stage: _Stage, limits: Limits, gpu: int | None,
                     env: dict[str, str]) -> list[str]:
    arguments = [
        "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(uid), "--gid", str(uid),
        "--hostname", "sandbox", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--ro-bind", "/usr", "/usr",
        # The private /tmp first: binds below may lie under /tmp (a checkout there) and must not be hidden.
        "--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp",
    ]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            arguments += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            arguments += ["--ro-bind", str(host), f"/{name}"]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d"):
        arguments += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for source, target in binds:
        arguments += ["--ro-bind", str(source), target]
    arguments += ["--bind", str(stage.out), f"{SANDBOX_DIR}/out",
                  "--proc", "/proc", "--dev", "/dev"]
    arguments += _gpu_arguments(gpu)
    arguments += ["--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/dev/shm",
                  "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", SANDBOX_DIR, "--clearenv"]
    # `env` carries the view's PYTHONPATH (and LD_LIBRARY_PATH): the worker's own would name host folders.
    inside = {name: value for name, value in _child_env({}).items() if name not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    for name, value in {**inside, **env}.items():
        arguments += ["--setenv", name, value]
    return arguments


def _gpu_arguments(gpu: int | None) -> list[str]:
    """Only this GPU's device node and the driver's shared ones (the driver's libraries live under /usr)."""
    if gpu is None:
        return []
    arguments = []
    for name in (f"nvidia{gpu}", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"):
        arguments += ["--dev-bind-try", f"/dev/{name}", f"/dev/{name}"]
    # CUDA reads the PCI topology from /sys; read-only.
    for path in ("/sys/bus/pci", "/sys/devices", "/sys/module/nvidia"):
        arguments += ["--ro-bind-try", path, path]
    return arguments


# ---------------------------------------------------------------- supervising

def _supervise(command: list[str], *, uid: int | None, limits: Limits, env: dict[str, str], cwd: Path | None,
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
    readers = [threading.Thread(target=_read_log, args=(process.stdout.fileno(), log), daemon=True),  # type: ignore[union-attr]
               threading.Thread(target=_read_reports, args=(report_read, on_report), daemon=True)]
    for reader in readers:
        reader.start()
    exceeded, peak = _watch(process, uid, limits, started)
    if uid is not None:
        _kill_uid(uid)  # whatever the model left running (it cannot outlive its namespace, but be sure)
    for reader in readers:
        reader.join(timeout=5)
    process.stdout.close()  # type: ignore[union-attr]
    os.close(report_read)
    code = process.returncode
    oom_killed = False
    if cgroup is not None:
        oom_killed, peak = cgroups.oom_killed(cgroup), max(peak, cgroups.peak_mb(cgroup))
    if exceeded is None and oom_killed:
        exceeded = MEMORY  # the kernel killed it at memory.max, before the watch saw it
    # bwrap exits 128 + N when its child dies of signal N.
    signal_number = -code if code < 0 else code - 128 if uid is not None and code > 128 else 0
    if exceeded is None and signal_number in (signal.SIGXCPU, signal.SIGKILL):
        exceeded = CPU  # not killed by the parent: RLIMIT_CPU (soft: SIGXCPU, hard: SIGKILL)
    text = log.text()
    if exceeded is None and (signal_number == signal.SIGXFSZ or "[Errno 27] File too large" in text):
        exceeded = OUTPUT  # Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE fails with EFBIG
    return Outcome(code, text, exceeded, time.monotonic() - started, peak, oom_killed=oom_killed, signal=signal_number)


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
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


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
        rss = _rss_mb(_processes_of(uid) if uid is not None else _group(process.pid))
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
    return _scan(lambda entry: os.getpgid(int(entry.name)) == pgid)


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
        _kill_uid(uid)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


# ---------------------------------------------------------------- output

def _collect(out: Path, workdir: Path, names: tuple[str, ...], limits: Limits, outcome: Outcome) -> None:
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
