"""What a sandboxed run is given and what it gives back: its limits, its outcome, the names of the limits
that can stop it, and the error of a worker that cannot build the sandbox."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT, MEMORY, CPU, OUTPUT = "wall-clock", "memory", "cpu-time", "output-size"
ROOT = Path(__file__).resolve().parents[2]
SANDBOX_DIR = "/sandbox"
LOG_BYTES = 64 * 1024  # what a team can read of what its model printed
REPORT_LINE_BYTES = 4096  # longer report lines are dropped whole


@dataclass(frozen=True)
class Layout:
    """Where a run's folders appear inside the sandbox, and which pool its uid comes from.

    A `read_only` name appears as `<workdir>/<name>`, or at the name itself where it is an absolute path.
    """

    workdir: str = SANDBOX_DIR  # the working folder
    output: str = f"{SANDBOX_DIR}/out"  # the one writable folder
    pool: str = "models"  # workers/sandbox/uids.py: models and scoring programs never share a uid

    def target(self, name: str) -> str:
        return name if name.startswith("/") else f"{self.workdir}/{name}"


MODEL_LAYOUT = Layout()
# SPEC section 9: the program's folder, read-only, is the working folder; the truth and the submission under /input.
PROGRAM_LAYOUT = Layout(workdir="/scoring", output="/output", pool="programs")


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


def libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)
