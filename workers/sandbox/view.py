"""What the sandbox shows of its host: every bind comes from a neutral name.

Inside the sandbox a model sees its runtime at fixed paths (`/sandbox/runtime/python`, the Python installation;
`/sandbox/runtime/site-packages`, a virtualenv's packages; `/sandbox/runtime/podium`, the `workers` and `scoring`
packages) and its run's files at `/sandbox/model` and `/sandbox/inputs`. The kernel also lists, in
`/proc/self/mountinfo`, each bind's *source* as a path within its file system: bound directly, the host's
checkout, Python installation, media folder and staging folders would all be named there. So the sources are
hard-link trees of those folders, made under one neutral folder (`<tmp>/podium-view-<uid>/`, 0711): the runtime's once
per host and runtime version (`runtime-<digest>`, reused across processes), each run's files per run
(`run-<random>`, removed after it). A hard link shares the file's data, so a tree costs inodes, not bytes.

Where a folder lies on another file system than the view (hard links cannot cross), it is bound as it is;
`view_report()` names such folders, and `sandbox_check` says so.
"""
from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workers.sandbox.contract import MODEL_LAYOUT, Layout

ROOT = Path(__file__).resolve().parents[2]
INSIDE = "/sandbox/runtime"
COMPLETE = ".complete"  # written last, beside the tree: a view without it was never finished


@dataclass(frozen=True)
class RuntimeView:
    binds: tuple[tuple[Path, str], ...]  # (host source, path inside)
    python: str  # the interpreter, as a path inside the sandbox
    env: tuple[tuple[str, str], ...]  # PYTHONPATH and, where needed, LD_LIBRARY_PATH
    bound_as_is: tuple[str, ...]  # folders that could not be linked into the view: their host paths show


class ViewUnsafe(RuntimeError):
    """The view's folder is not this worker's own: someone else could change what models run with."""


def view_root() -> Path:
    """`<tmp>/podium-view-<uid>`, made by this worker's user (0711); refused if anyone else made it first.

    It lies in a world-writable folder under a fixed name (processes share it), so it is checked, not trusted:
    another user's folder, or a link, would let them swap the runtime the sandbox binds."""
    root = Path(tempfile.gettempdir()) / f"podium-view-{os.geteuid()}"
    try:
        root.mkdir(mode=0o711)
    except FileExistsError:
        pass
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise ViewUnsafe(f"{root} is not a folder of this user's that only it may write; remove it")
    return root


@lru_cache(maxsize=1)
def runtime_view() -> RuntimeView:
    """The runtime as the sandbox binds it; built (or found) once per process."""
    base = Path(sys.base_prefix).resolve()
    executable = Path(sys.executable).resolve()
    packages = _packages_folders()
    sources: dict[str, Path] = {"podium/workers": ROOT / "workers", "podium/scoring": ROOT / "scoring"}
    under_usr = base.is_relative_to("/usr") and executable.is_relative_to("/usr")
    if not under_usr:
        sources["python"] = base
    for index, folder in enumerate(packages):
        sources[f"site-packages-{index}"] = folder
    binds, bound_as_is = [], []
    for name, source in sorted(sources.items()):
        linked = _built(name, source)
        binds.append((linked or source, f"{INSIDE}/{name}"))
        if linked is None:
            bound_as_is.append(str(source))
    for entry in _host_library_path():
        # A GPU host's driver libraries (LD_LIBRARY_PATH) outside /usr: bound where the loader looks for them.
        if not Path(entry).resolve().is_relative_to("/usr") and Path(entry).is_dir():
            binds.append((Path(entry).resolve(), entry))
            bound_as_is.append(entry)
    python = str(executable) if under_usr else f"{INSIDE}/python/{executable.relative_to(base)}"
    path = [f"{INSIDE}/podium", *(f"{INSIDE}/site-packages-{index}" for index in range(len(packages)))]
    env = [("PYTHONPATH", ":".join(path))]
    if not under_usr:
        # A Python built with --enable-shared finds libpython through its RUNPATH: the host's path, not bound.
        env.append(("LD_LIBRARY_PATH", ":".join([f"{INSIDE}/python/lib", *_host_library_path()])))
    return RuntimeView(tuple(binds), python, tuple(env), tuple(bound_as_is))


def _packages_folders() -> list[Path]:
    """A virtualenv's own package folders (a Python without one has its packages under its prefix)."""
    if Path(sys.prefix).resolve() == Path(sys.base_prefix).resolve():
        return []
    paths = sysconfig.get_paths()
    return sorted({Path(paths["purelib"]).resolve(), Path(paths["platlib"]).resolve()})


def _host_library_path() -> list[str]:
    return [entry for entry in os.environ.get("LD_LIBRARY_PATH", "").split(":") if entry]


def _built(name: str, source: Path) -> Path | None:
    """`<name>-<digest>`: a hard-link tree of `source`, built atomically unless it is there; None across file systems.

    One view per source, so that editing Podium's code rebuilds its small view only, never the packages'."""
    digest = hashlib.sha256(repr((str(source), _fingerprint(source))).encode()).hexdigest()[:16]
    root = view_root()
    final = root / f"{name.replace('/', '-')}-{digest}"
    if (final / COMPLETE).exists():
        return final / "tree"
    building = root / f"building-{os.getpid()}-{secrets.token_hex(4)}"
    building.mkdir(mode=0o755)
    try:
        if not link_tree(source, building / "tree"):
            return None
        (building / COMPLETE).touch()
        try:
            building.rename(final)
        except OSError:  # another process finished first: use its view
            pass
        return final / "tree"
    finally:
        shutil.rmtree(building, ignore_errors=True)
        _remove_stale(root)


def _fingerprint(path: Path) -> tuple[tuple[str, int], ...]:
    """Changes when a package is added, removed or reinstalled (each replaces its folder) or a module is edited."""
    entries = []
    for entry in sorted(os.scandir(path), key=lambda item: item.name):
        try:
            entries.append((entry.name, entry.stat(follow_symlinks=False).st_mtime_ns))
        except OSError:
            continue
    if path.name in ("workers", "scoring"):  # the project's own code: every file counts
        entries += [(str(p.relative_to(path)), p.stat().st_mtime_ns) for p in sorted(path.rglob("*.py"))]
    return tuple(entries)


def _remove_stale(root: Path) -> None:
    """Half-built views of processes that died while building (finished views of other versions may be in use)."""
    for entry in root.glob("building-*"):
        pid = entry.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(entry, ignore_errors=True)


def link_tree(source: Path, target: Path) -> bool:
    """A hard-link copy of `source` at `target` (folders 0755, links kept as links); False across file systems."""
    try:
        _link_tree(source, target)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.EPERM):
            return False
        raise
    return True


def _link_tree(source: Path, target: Path) -> None:
    if source.is_file():
        os.link(source, target)
        return
    target.mkdir(mode=0o755, exist_ok=True)
    for folder, folders, files in os.walk(source):
        here = target / os.path.relpath(folder, source)
        for name in folders:
            inner = Path(folder) / name
            if inner.is_symlink():
                os.symlink(os.readlink(inner), here / name)
            else:
                (here / name).mkdir(mode=0o755, exist_ok=True)
        for name in files:
            path = Path(folder) / name
            if path.is_symlink():
                os.symlink(os.readlink(path), here / name)
            else:
                os.link(path, here / name)


@dataclass(frozen=True)
class RunView:
    folder: Path  # this run's neutral folder, removed after it
    binds: list[tuple[Path, str]]
    bound_as_is: list[str]


@contextmanager
def run_view(read_only: dict[str, Path], layout: Layout = MODEL_LAYOUT) -> Iterator[RunView]:
    """Each run's own files as hard-link trees under a fresh `run-<random>` folder, removed after the run."""
    folder = view_root() / f"run-{secrets.token_hex(8)}"
    folder.mkdir(mode=0o755)
    binds, bound_as_is = [], []
    try:
        for name, source in read_only.items():
            source, target, tree = Path(source).resolve(), layout.target(name), folder / name.strip("/").replace("/", "-")
            if link_tree(source, tree):
                binds.append((tree, target))
            else:
                shutil.rmtree(tree, ignore_errors=True)
                binds.append((source, target))
                bound_as_is.append(str(source))
        yield RunView(folder, binds, bound_as_is)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def view_report() -> str:
    """For sandbox_check: whether models see any of the host's folder names."""
    view = runtime_view()
    if not view.bound_as_is:
        return "binds from neutral names"
    return "host paths visible to models (other file systems): " + ", ".join(view.bound_as_is)
