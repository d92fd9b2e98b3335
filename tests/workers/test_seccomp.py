"""The seccomp filter (workers/sandbox/seccomp.py): system calls a model has no use for fail with EPERM inside the sandbox."""
from __future__ import annotations

import os
import platform
from collections.abc import Iterator

import pytest

from workers import sandbox
from workers.sandbox import check, seccomp
from tests.workers.contained import run_python
from workers.sandbox import Limits

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (as the inference worker runs)"),
    pytest.mark.skipif(platform.machine() != "x86_64", reason="the probe uses x86-64 system call numbers"),
]

# Each called the way an attacker's model would, through libc's syscall(): name, number, arguments.
PROBE = r"""
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
buffer = ctypes.create_string_buffer(256)
calls = [("io_uring_setup", 425, (1, buffer)), ("keyctl", 250, (0, -1)), ("ptrace", 101, (0, 0, 0, 0)),
         ("bpf", 321, (0, buffer, 48)), ("perf_event_open", 298, (buffer, 0, -1, -1, 0)),
         ("unshare", 272, (0x00020000,)), ("mount", 165, (b"none", b"/tmp", b"tmpfs", 0, 0)),
         ("process_vm_readv", 310, (1, buffer, 1, buffer, 1, 0)), ("userfaultfd", 323, (0,))]
for name, number, args in calls:
    result = libc.syscall(number, *args)
    print("CALL", name, "EPERM" if result < 0 and ctypes.get_errno() == errno.EPERM else f"not-EPERM:{result}")
import torch
print("TORCH", float(torch.ones(4).sum()), "PID", libc.getpid())
"""
DISTINGUISHING = {"io_uring_setup", "keyctl", "ptrace"}  # what the sandbox's namespaces alone let through


@pytest.fixture
def fresh_filter() -> Iterator[None]:
    seccomp.program.cache_clear()
    yield
    seccomp.program.cache_clear()


def _calls() -> tuple[dict[str, str], str]:
    outcome = run_python(PROBE, limits=Limits(wall_seconds=60))
    assert outcome.returncode == 0, outcome.log
    results = dict(line.split()[1:3] for line in outcome.log.splitlines() if line.startswith("CALL "))
    return results, outcome.log


def test_a_model_gets_eperm_for_the_kernels_attack_surface_and_runs_as_usual(fresh_filter: None) -> None:
    results, log = _calls()
    assert results == {name: "EPERM" for name in results} and len(results) == 9, results
    assert "TORCH 4.0 PID 2" in log  # torch works; the model is pid 2 of its own namespace


def test_without_the_filter_the_same_calls_get_through(fresh_filter: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the same sandbox with a filter that refuses nothing lets the distinguishing calls through."""
    monkeypatch.setattr(seccomp, "REFUSED", ())
    results, _ = _calls()
    assert all(results[name].startswith("not-EPERM") for name in DISTINGUISHING), results


def test_a_worker_without_libseccomp_runs_no_models(fresh_filter: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise seccomp.SeccompUnavailable("libseccomp is not installed: apt-get install libseccomp2")

    monkeypatch.setattr(seccomp, "_libseccomp", missing)
    check.probe.cache_clear()
    try:
        status = sandbox.sandbox_check(hidden=[])
    finally:
        check.probe.cache_clear()
    assert not status.ok and status.mode == "unavailable" and "libseccomp2" in status.detail


# x86-64 machine code for the 32-bit system call getpid (int 0x80, eax 20), run from Python as a model could.
I386_CALL = r"""
import ctypes, mmap
code = b"\xb8\x14\x00\x00\x00\xcd\x80\xc3"  # mov eax, 20; int 0x80; ret
memory = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
memory.write(code)
address = ctypes.addressof(ctypes.c_char.from_buffer(memory))
print("I386 GETPID", ctypes.CFUNCTYPE(ctypes.c_int)(address)(), flush=True)
"""


@pytest.mark.parametrize("unsandboxed", [False, True], ids=["sandboxed", "unsandboxed-control"])
def test_a_system_call_through_another_abi_kills_the_model_with_a_clear_error(fresh_filter: None, unsandboxed: bool) -> None:
    from workers.inference import InferenceJob, _error_of

    outcome = run_python(I386_CALL, limits=Limits(wall_seconds=60), unsandboxed=unsandboxed)
    error = _error_of(outcome, InferenceJob(submission_id=1, task="segmentation", model="m", inputs="i", output="o"), None)
    if unsandboxed:  # without the filter the 32-bit call simply runs
        assert outcome.returncode == 0 and "I386 GETPID" in outcome.log and error is None
    else:
        assert outcome.returncode == 128 + 31 and "I386 GETPID" not in outcome.log  # SIGSYS, before it could print
        assert error == {"code": "model-error", "message": "The model made a system call that the sandbox does not "
                                                           "allow (a 32-bit or x32 one) and was stopped (see the model's log)."}
