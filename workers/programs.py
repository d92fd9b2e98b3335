"""Organizers' scoring programs (SPEC section 9, task `custom`), run in the sandbox apart from models.

A program is `score.py` and its helpers in a folder. It runs as `python score.py` with its folder as the working
folder `/scoring` (read-only), the competition's hidden files under `/input/truth/` and the one submission at
`/input/submission/submission<suffix>` (both read-only), and `/output/` the only writable folder. It runs as a uid
of the scoring programs' own pool (`PODIUM_SCORING_UID_BASE`), never one a model uses, under the same bubblewrap
sandbox and seccomp filter as a model (workers/sandbox/), with its own time and memory limits.

What it leaves in `/output` decides the submission:
- `scores.json`, `{"public": {metric: number}, "private": {...}}` with exactly the declared metrics, each finite:
  scored;
- `error.json`, `{"code": "<lower-kebab>", "message": "<at most 300 characters>"}`, and exit 0: the participant's
  mistake, in the program's words;
- anything else (a non-zero exit, a time-out, too much memory, a missing, oversized or invalid `scores.json`):
  the organizers' fault, `scoring-program-error`, with the program's log for the organizers only.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from workers.runtime.archive import ArchiveError, SafeZip, extract_all
from workers.sandbox import Limits, Outcome, run_contained
from workers.sandbox.contract import PROGRAM_LAYOUT

PROGRAM_ERROR = "scoring-program-error"
ENTRY = "score.py"
MAX_PROGRAM_BYTES = 20 * 1024 * 1024
MAX_SCORES_BYTES = 1024 * 1024  # a few metrics: anything near this is not a scores file
MAX_ITEMS_BYTES = 64 * 1024 * 1024
MESSAGE_CHARS = 300
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
OUTPUTS = ("scores.json", "error.json", "items.csv")


@dataclass(frozen=True)
class ProgramLimits:
    """`scoring_limits` of a competition: SPEC's defaults, capped by the operator."""

    wall_seconds: float = 300
    memory_mb: int = 4096

    def sandbox_limits(self) -> Limits:
        return Limits(wall_seconds=self.wall_seconds, cpu_seconds=int(self.wall_seconds) * 2 + 5,
                      memory_mb=self.memory_mb, output_mb=MAX_ITEMS_BYTES // 2**20 + 2,  # items.csv and a little
                      output_files=16, processes=64)


@dataclass
class ProgramResult:
    """One run of a program on one submission: its scores, or the participant's error, or the program's fault."""

    scores: dict[str, dict[str, float]] | None = None
    error_code: str = ""
    error_message: str = ""
    fault: str = ""  # why it is the organizers' fault; empty unless error_code is PROGRAM_ERROR
    log: str = ""  # the program's last 64 KB of output: for the organizers only
    seconds: float = 0.0
    items: Path | None = None  # items.csv, where the program wrote one
    problems: list[str] = field(default_factory=list)

    @property
    def scored(self) -> bool:
        return self.scores is not None


def program_version(folder: Path) -> str:
    """A program's version: the hash of its files' names and contents, in name order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def program_problem(folder: Path) -> str | None:
    """Why a folder is not a scoring program (no score.py, links, over 20 MB), or None."""
    folder = Path(folder)
    if not (folder / ENTRY).is_file():
        return f"the scoring program needs {ENTRY} at the top of its folder"
    total = 0
    for path in folder.rglob("*"):
        if path.is_symlink():
            return f"{path.relative_to(folder).as_posix()[:80]} is a link; a scoring program holds plain files"
        if path.is_file():
            total += path.stat().st_size
    if total > MAX_PROGRAM_BYTES:
        return f"the scoring program holds {total / 1e6:.1f} MB; the limit is {MAX_PROGRAM_BYTES // 10**6} MB"
    return None


def pack_folder(folder: Path, target: Path | IO[bytes]) -> None:
    """A program's folder, or a competition's hidden files, as one zip (files in name order, stable timestamps)."""
    folder = Path(folder)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, length=1024 * 1024)


def unpack_folder(archive_path: Path, target: Path, *, max_bytes: int, max_entries: int = 100_000) -> None:
    """A zip made a folder by the bounded reader (workers/runtime/archive.py): refused, before anything is written,
    past `max_bytes` in all or with an entry outside `target`; ArchiveError says why."""
    target = Path(target).resolve()
    with SafeZip(Path(archive_path), max_entries=max_entries, max_directory_bytes=16 * 1024**2) as archive:
        if sum(member.size for member in archive.members) > max_bytes:
            raise ArchiveError(f"it expands past {max_bytes / 1e6:.0f} MB")
        for member in archive.members:
            destination = (target / member.name).resolve()
            if not destination.is_relative_to(target) or "\\" in member.name or destination == target:
                raise ArchiveError(f"the entry {member.name[:80]!r} points outside its folder")
        extract_all(archive, target)


def run_program(*, program: Path, truth: Path, submission: Path, suffix: str, metrics: list[str],
                limits: ProgramLimits | None = None, hidden: list[Path] | None = None) -> ProgramResult:
    """Run the program on one submission in the sandbox and judge what it wrote."""
    problem = program_problem(program)
    if problem:
        return _fault(problem)
    with tempfile.TemporaryDirectory(prefix="podium-program-") as tmp:
        workdir, given = Path(tmp) / "out", Path(tmp) / "submission"
        workdir.mkdir()
        given.mkdir()
        shutil.copyfile(submission, given / f"submission{suffix}")
        outcome = run_contained(
            [sys.executable, ENTRY], workdir=workdir, layout=PROGRAM_LAYOUT,
            read_only={"/scoring": Path(program), "/input/truth": Path(truth), "/input/submission": given},
            hidden=hidden or [], limits=(limits or ProgramLimits()).sandbox_limits(), collect=OUTPUTS,
        )
        result = judge(outcome, metrics)
        if result.items is not None:  # out of the temporary folder before it goes
            kept = Path(tempfile.mkstemp(prefix="podium-items-", suffix=".csv")[1])
            shutil.move(result.items, kept)
            result.items = kept
        return result


def judge(outcome: Outcome, metrics: list[str]) -> ProgramResult:
    """What a finished run means: scored, the participant's error, or the program's fault."""
    if outcome.exceeded:
        return _fault(f"the program exceeded its {outcome.exceeded} limit", outcome)
    if outcome.returncode != 0:
        return _fault(f"the program exited with status {outcome.returncode}", outcome)
    if "error.json" in outcome.collected:
        return _participant_error(outcome)
    if "scores.json" not in outcome.collected:
        return _fault("the program wrote neither /output/scores.json nor /output/error.json", outcome)
    scores, problem = read_scores(outcome.collected["scores.json"], metrics)
    if problem:
        return _fault(problem, outcome)
    items = outcome.collected.get("items.csv")
    return ProgramResult(scores=scores, log=outcome.log, seconds=outcome.seconds, items=items,
                         problems=list(outcome.problems))


def read_scores(path: Path, metrics: list[str]) -> tuple[dict[str, dict[str, float]] | None, str | None]:
    """scores.json checked: within 1 MB, both subsets, exactly the declared metrics, each a finite number."""
    if path.stat().st_size > MAX_SCORES_BYTES:
        return None, f"scores.json is {path.stat().st_size / 1e6:.1f} MB; a scores file is at most 1 MB"
    try:
        data = json.loads(path.read_bytes(), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        return None, f"scores.json is not JSON: {str(exc)[:120]}"
    if not isinstance(data, dict) or set(data) != {"public", "private"}:
        return None, 'scores.json must be {"public": {...}, "private": {...}}'
    scores: dict[str, dict[str, float]] = {}
    for subset in ("public", "private"):
        values = data[subset]
        if not isinstance(values, dict) or sorted(values) != sorted(metrics):
            named = sorted(values)[:10] if isinstance(values, dict) else type(values).__name__
            return None, f"scores.json {subset} must hold exactly the metrics {metrics}; it holds {named}"
        bad = [name for name, value in values.items()
               if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)]
        if bad:
            return None, f"scores.json {subset}: {', '.join(sorted(bad)[:5])} must be finite numbers"
        scores[subset] = {name: float(values[name]) for name in metrics}
    return scores, None


def _participant_error(outcome: Outcome) -> ProgramResult:
    path = outcome.collected["error.json"]
    if path.stat().st_size > MAX_SCORES_BYTES:
        return _fault("error.json is over 1 MB", outcome)
    try:
        data = json.loads(path.read_bytes(), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return _fault("error.json is not JSON", outcome)
    code, message = (data.get("code"), data.get("message")) if isinstance(data, dict) else (None, None)
    if not isinstance(code, str) or len(code) > 40 or not CODE.match(code) or code == PROGRAM_ERROR:
        return _fault('error.json needs a "code" in lower-kebab-case, at most 40 characters', outcome)
    if not isinstance(message, str) or not message.strip():
        return _fault('error.json needs a "message"', outcome)
    return ProgramResult(error_code=code, error_message=message.strip()[:MESSAGE_CHARS], log=outcome.log,
                         seconds=outcome.seconds)


def _fault(reason: str, outcome: Outcome | None = None) -> ProgramResult:
    return ProgramResult(error_code=PROGRAM_ERROR, error_message="The competition's scoring program failed; this is not "
                         "a fault of your submission, and it does not count against your limits.",
                         fault=reason[:300], log=outcome.log if outcome else "",
                         seconds=outcome.seconds if outcome else 0.0)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")
