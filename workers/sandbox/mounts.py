"""What the sandbox sees: the run's stage (the output tmpfs and re-rooted binds), bubblewrap's options for the
read-only root, /dev, /proc and the GPU, and the environment inside, which holds nothing of the worker's."""
from __future__ import annotations

import ctypes
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workers.sandbox.contract import MODEL_LAYOUT, ROOT, SANDBOX_DIR, Layout, Limits, SandboxUnavailable, libc

STAGE_PREFIX = "podium-sandbox-"  # then the uid: a stage belongs to the holder of that uid's lock


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384


MNT_DETACH = 2


class Stage:
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
def staging(uid: int, limits: Limits) -> Iterator[Stage]:
    stage = Stage(Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{uid}-")))
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


def remove_stages(uid: int) -> None:
    """Unmount and delete the stages of `uid`'s earlier runs; only called while holding that uid's lock."""
    prefix = str(Path(tempfile.gettempdir()) / f"{STAGE_PREFIX}{uid}-")
    with open("/proc/self/mountinfo") as handle:
        mounts = [line.split()[4] for line in handle]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        _unmount(Path(mount))
    for stage in Path(tempfile.gettempdir()).glob(f"{STAGE_PREFIX}{uid}-*"):
        shutil.rmtree(stage, ignore_errors=True)


def _mount(source: str, target: Path, fstype: str | None, flags: int, data: str | None) -> None:
    encoded = [value.encode() if value is not None else None for value in (source, str(target), fstype, data)]
    if libc().mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]) != 0:
        error = ctypes.get_errno()
        raise SandboxUnavailable(f"cannot mount {fstype or 'a bind'} at {target}: {os.strerror(error)}")


def _unmount(target: Path) -> None:
    libc().umount2(str(target).encode(), MNT_DETACH)


def identity_files(folder: Path, uid: int, home: str = f"{SANDBOX_DIR}/out") -> list[tuple[Path, str]]:
    """/etc/passwd and /etc/group naming the run's uid, written in the run's own neutral folder."""
    (folder / "etc").mkdir(mode=0o755)
    (folder / "etc" / "passwd").write_text(f"root:x:0:0::/:/sbin/nologin\nmodel:x:{uid}:{uid}::{home}:/sbin/nologin\n")
    (folder / "etc" / "group").write_text(f"root:x:0:\nmodel:x:{uid}:\n")
    for name in ("passwd", "group"):
        os.chmod(folder / "etc" / name, 0o644)
    return [(folder / "etc" / "passwd", "/etc/passwd"), (folder / "etc" / "group", "/etc/group")]


def bwrap_arguments(uid: int, binds: list[tuple[Path, str]], stage: Stage, limits: Limits, gpu: int | None,
                    env: dict[str, str], layout: Layout = MODEL_LAYOUT) -> list[str]:
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
    arguments += ["--bind", str(stage.out), layout.output,
                  "--proc", "/proc", "--dev", "/dev"]
    arguments += _gpu_arguments(gpu)
    arguments += ["--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/dev/shm",
                  "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", layout.workdir, "--clearenv"]
    # `env` carries the view's PYTHONPATH (and LD_LIBRARY_PATH): the worker's own would name host folders.
    inside = {name: value for name, value in child_env({}, home=layout.output).items()
              if name not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
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


def bwrap_env() -> dict[str, str]:
    """bwrap's own environment, which the sandbox's init keeps (/proc/1/environ): the model's is set with --setenv."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    if "LD_LIBRARY_PATH" in os.environ:  # a host whose bwrap needs libraries from there (bench/gpu_check.sh)
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return env


def child_env(extra: dict[str, str], home: str = f"{SANDBOX_DIR}/out") -> dict[str, str]:
    """Nothing of the worker's environment but these: no database URL, broker URL or secret key."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home,
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "OMP_NUM_THREADS"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra)
    return env
