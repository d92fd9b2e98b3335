"""A seccomp filter for model runs: system calls a model has no use for fail with EPERM.

Built with libseccomp (Debian's `libseccomp2`, which apt itself needs) through ctypes, exported
as BPF once per worker, and handed to bubblewrap (`--seccomp FD`), which loads it just before
it starts the model, after building the sandbox. Any other architecture's system calls (the
i386 or x32 ABI on x86-64) kill the process: the filter is written for the native one.

What is refused, and why: the kernel's most attacked surfaces (io_uring, bpf, userfaultfd,
perf events, keyrings), looking into other processes (ptrace, process_vm_*, pidfd_getfd),
anything that changes the sandbox itself (mounts, namespaces, chroot) and the host (modules,
kexec, reboot, swap, clocks, accounting, quotas). Inside the sandbox's namespaces and without
capabilities most of these fail anyway; the filter keeps a kernel bug in them out of reach.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from functools import lru_cache

REFUSED = (
    # the kernel's most attacked surfaces
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "userfaultfd", "perf_event_open",
    "keyctl", "add_key", "request_key",
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    # the sandbox itself
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
    # the host
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "settimeofday", "clock_settime", "clock_adjtime",
    "vhangup", "lookup_dcookie", "nfsservctl",
)
ALLOW = 0x7FFF0000  # SCMP_ACT_ALLOW
ERRNO = 0x00050000  # SCMP_ACT_ERRNO(0); the errno goes in the low 16 bits


class SeccompUnavailable(RuntimeError):
    """libseccomp is missing or refused the filter: this worker must not run models."""


@lru_cache(maxsize=1)
def program() -> bytes:
    """The filter as BPF, built once per process."""
    library = _libseccomp()
    context = library.seccomp_init(ALLOW)
    if not context:
        raise SeccompUnavailable("libseccomp could not start a filter")
    try:
        for name in REFUSED:
            number = library.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                continue  # not a system call on this architecture or libseccomp version
            if library.seccomp_rule_add(context, ERRNO | errno.EPERM, number, 0) != 0:
                raise SeccompUnavailable(f"libseccomp refused a rule for {name}")
        fd = os.memfd_create("podium-seccomp-export", os.MFD_CLOEXEC)
        try:
            if library.seccomp_export_bpf(context, fd) != 0:
                raise SeccompUnavailable("libseccomp could not export the filter")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
        finally:
            os.close(fd)
    finally:
        library.seccomp_release(context)
    return b"".join(chunks)


def program_fd() -> int:
    """A file descriptor holding the filter, for `bwrap --seccomp FD` (the caller closes it)."""
    fd = os.memfd_create("podium-seccomp", os.MFD_CLOEXEC)
    os.write(fd, program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _libseccomp() -> ctypes.CDLL:
    path = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        library = ctypes.CDLL(path)
    except OSError:
        raise SeccompUnavailable("libseccomp is not installed: apt-get install libseccomp2") from None
    library.seccomp_init.restype = ctypes.c_void_p
    library.seccomp_init.argtypes = [ctypes.c_uint32]
    library.seccomp_syscall_resolve_name.restype = ctypes.c_int
    library.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    library.seccomp_rule_add.restype = ctypes.c_int
    library.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    library.seccomp_export_bpf.restype = ctypes.c_int
    library.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    library.seccomp_release.restype = None
    library.seccomp_release.argtypes = [ctypes.c_void_p]
    return library
