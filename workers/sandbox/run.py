"""Running one program contained: under bubblewrap, or (a developer's laptop only) as a plain subprocess with the
same limits."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from workers.sandbox import cgroups, seccomp
from workers.sandbox import view as sandbox_view
from workers.sandbox.collect import collect_outputs
from workers.sandbox.contract import MODEL_LAYOUT, ROOT, Layout, Limits, Outcome, SandboxUnavailable
from workers.sandbox.mounts import bwrap_arguments, bwrap_env, child_env, identity_files, staging
from workers.sandbox.supervise import supervise
from workers.sandbox.uids import sandbox_uid


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
    layout: Layout = MODEL_LAYOUT,
) -> Outcome:
    """Run `command` with cwd `/sandbox`, where each `read_only` name shows its host path's files and `out/` is writable
    (`layout` moves them: a scoring program's working folder is /scoring, its output /output; workers/programs.py).

    In the sandbox the runtime and each `read_only` folder are bound from neutral names (workers/sandbox/view.py);
    a `command` that starts with this interpreter runs the sandbox's view of it.

    `workdir` is the caller's private folder: files named in `collect` are copied
    from `out/` into it (regular files only, within the output cap). The child
    writes report lines to the file descriptor named by `PODIUM_REPORT_FD`; each
    line (capped) goes to `on_report`. Everything else it prints is kept as `log`.
    """
    if unsandboxed:
        return _run_unsandboxed(command, workdir=Path(workdir), read_only=read_only, limits=limits, env=env or {},
                                collect=collect, on_report=on_report)
    return _run_in_bwrap(command, workdir=Path(workdir), read_only=read_only, hidden=hidden, limits=limits,
                         env=env or {}, collect=collect, on_report=on_report, gpu=gpu, layout=layout)


def _run_in_bwrap(command: list[str], *, workdir: Path, read_only: dict[str, Path], hidden: list[Path], limits: Limits,
                  env: dict[str, str], collect: tuple[str, ...], on_report: Callable[[str], None] | None,
                  gpu: int | None, layout: Layout) -> Outcome:
    parent = cgroup_support().parent
    view = _runtime_view(hidden)
    with sandbox_uid(layout.pool) as uid, staging(uid, limits) as stage, \
            sandbox_view.run_view(read_only, layout) as run, \
            cgroups.run_cgroup(parent, uid, memory_mb=limits.memory_mb, processes=limits.processes) as cgroup:
        binds = [*view.binds, *run.binds, *identity_files(run.folder, uid, home=layout.output)]
        inside_env = {**dict(view.env), **env}
        arguments = bwrap_arguments(uid, [(stage.reachable(src), dst) for src, dst in binds], stage, limits, gpu,
                                    inside_env, layout)
        if command and command[0] == sys.executable:
            command = [view.python, *command[1:]]
        filter_fd = _seccomp_fd()
        try:
            outcome = supervise(["bwrap", *arguments, "--seccomp", str(filter_fd), "--setenv", "PODIUM_REPORT_FD", "{fd}",
                                  "--", *command], uid=uid, limits=limits, env=bwrap_env(), cwd=None,
                                 on_report=on_report, cgroup=cgroup, pass_fds=(filter_fd,), arguments_on_fd=True)
        finally:
            os.close(filter_fd)
        outcome.contained = True
        collect_outputs(stage.out, workdir, collect, limits, outcome)
        return outcome


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


def _run_unsandboxed(command: list[str], *, workdir: Path, read_only: dict[str, Path], limits: Limits,
                     env: dict[str, str], collect: tuple[str, ...], on_report: Callable[[str], None] | None) -> Outcome:
    stage = Path(tempfile.mkdtemp(prefix="podium-unsandboxed-"))
    try:
        for name, path in read_only.items():
            (stage / name.strip("/").replace("/", "-")).symlink_to(Path(path).resolve())
        (stage / "out").mkdir()
        outcome = supervise([*command], uid=None, limits=limits, env={**child_env(env), "PODIUM_REPORT_FD": "{fd}"},
                             cwd=stage, on_report=on_report)
        collect_outputs(stage / "out", workdir, collect, limits, outcome)
        return outcome
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _seccomp_fd() -> int:
    try:
        return seccomp.program_fd()
    except seccomp.SeccompUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from None


def cgroup_support() -> cgroups.CgroupSupport:
    try:
        return cgroups.support()
    except cgroups.CgroupUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from None
