"""A competition's own scoring program (SPEC section 9, task `custom`): its versions, the folders a worker unpacks,
the runner the task type scores with, and the dry runs organizers see before anyone submits.

Whatever runs the program goes through `workers.programs.run_program`: in the sandbox, as a uid of the scoring
programs' own pool, with only this competition's hidden files and the one file bound in. Nothing here imports or
executes an organizer's code. Runs happen on workers of the `programs` queue (workers/gate.py), never in the web
server: saving a program sends its dry runs there (`program_dry_run_later`).
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models.fields.files import FieldFile

from competitions.models import Competition, Phase, ScoringProgram
from core.errors import PodiumError
from core.storage import local_path, stored_name
from scoring import ScoringOptions, SubmissionError
from scoring.tasktype import Scores
from workers import names
from workers.programs import (PROGRAM_ERROR, ProgramLimits, ProgramResult, pack_folder, program_problem,
                              program_version, run_program, unpack_folder)
from workers.runtime.archive import ArchiveError

logger = logging.getLogger(__name__)

MAX_TRUTH_BYTES = 8 * 1024**3  # a truth folder, unpacked
MAX_PROGRAM_BYTES = 20 * 1024**2
LOG_CHARS = 64 * 1024
DRY_RUNS = ("sample", "empty")
TRIALS_KEPT = 5
BAD_PROGRAM = "bad-scoring-program"


class ProgramFault(Exception):
    """The organizers' program failed on a submission (SPEC: `scoring-program-error`): never the team's fault."""

    def __init__(self, result: ProgramResult, version: str) -> None:
        super().__init__(result.fault)
        self.result = result
        self.version = version


@dataclass
class ProgramRunner:
    """`ScoringOptions.program` of a custom competition: one version of its program, run on one file at a time.

    The version is fixed when the runner is made, so a submission in flight while the program changes is scored by
    one version only, and `version` says which."""

    program: ScoringProgram
    metrics: list[str]
    suffix: str
    limits: ProgramLimits
    result: ProgramResult | None = None

    @property
    def version(self) -> str:
        return self.program.version

    def __call__(self, truth: Path, submission: Path) -> Scores:
        from workers.gate import hidden_paths

        result = run_program(program=unpacked(self.program.file, MAX_PROGRAM_BYTES), truth=truth,
                             submission=submission, suffix=self.suffix, metrics=self.metrics, limits=self.limits,
                             hidden=hidden_paths())
        if result.items is not None:  # per-item numbers: not kept until the boards show intervals (SPEC 10)
            result.items.unlink(missing_ok=True)
            result.items = None
        self.result = result
        if result.scores is not None:
            return {subset: dict(values) for subset, values in result.scores.items()}
        if result.error_code == PROGRAM_ERROR:
            raise ProgramFault(result, self.version)
        raise SubmissionError(result.error_code, result.error_message)


def program_runner(competition: Competition, program: ScoringProgram | None = None) -> ProgramRunner:
    """The runner of the competition's current program (or of `program`); PodiumError if it has none."""
    program = program or competition.current_program()
    if program is None:
        raise PodiumError(BAD_PROGRAM, "This competition has no scoring program yet.")
    limits = ProgramLimits(wall_seconds=competition.scoring_limit("wall_seconds"),
                           memory_mb=competition.scoring_limit("memory_mb"))
    task = competition.task_type
    return ProgramRunner(program=program, metrics=list(task.metrics), suffix=task.submission_suffix, limits=limits)


def scoring_options(competition: Competition, runner: ProgramRunner | None = None) -> ScoringOptions:
    """The competition's scoring options, with its program where one scores it."""
    options = competition.scoring_options()
    if not competition.scored_by_program:
        return options
    return replace(options, program=runner or program_runner(competition))


# A worker keeps the last few folders it unpacked (programs and hidden files), keyed by the stored file: each
# TemporaryDirectory is removed when it leaves the cache.
_UNPACKED: OrderedDict[tuple[object, ...], tempfile.TemporaryDirectory[str]] = OrderedDict()
_UNPACKED_LOCK = threading.Lock()
_UNPACKED_ENTRIES = 8


def unpacked(file: FieldFile, max_bytes: int) -> Path:
    """The folder a stored zip holds (a program's files, a competition's truth/), unpacked once per worker."""
    storage, name = file.storage, stored_name(file)
    key = (name, storage.size(name), storage.get_modified_time(name))
    with _UNPACKED_LOCK:
        if key in _UNPACKED:
            _UNPACKED.move_to_end(key)
            return contents(Path(_UNPACKED[key].name))
    folder = tempfile.TemporaryDirectory(prefix="podium-unpacked-")
    try:
        with local_path(storage, name) as path:
            unpack_folder(path, Path(folder.name), max_bytes=max_bytes)
    except BaseException:
        folder.cleanup()
        raise
    with _UNPACKED_LOCK:
        _UNPACKED[key] = folder
        while len(_UNPACKED) > _UNPACKED_ENTRIES:
            _UNPACKED.popitem(last=False)[1].cleanup()
    return contents(Path(folder.name))


def contents(root: Path) -> Path:
    """The folder a zip's files are in: the zip's own top, or its one folder where it is a zip of a folder (truth/,
    program/); macOS's __MACOSX folder is left out."""
    entries = [p for p in root.iterdir() if p.name != "__MACOSX"]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def truth_folder(competition: Competition, phase: Phase | None = None) -> Path:
    """The hidden files of a competition scored by its program (or of one of its phases), as a folder."""
    truth_file = phase.truth_file if phase is not None else competition.truth_file
    return unpacked(truth_file, MAX_TRUTH_BYTES)


def zipped_folder(folder: Path) -> File:
    """A folder as one zip file to store (a program, or the hidden files of truth/), spooled on disk."""
    handle = tempfile.TemporaryFile()
    pack_folder(folder, handle)
    handle.seek(0)
    return File(handle, name="folder.zip")


def unzip_upload(upload: Any, target: Path, max_bytes: int) -> None:
    """An organizer's uploaded zip (the admin's program or truth/ field) made a folder, within bounds; PodiumError
    says what is wrong."""
    with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        try:
            unpack_folder(Path(copy.name), target, max_bytes=max_bytes)
        except (ArchiveError, OSError) as exc:
            raise PodiumError(BAD_PROGRAM, f"The zip cannot be read: {exc}") from None
    inner = contents(target)
    if inner != target:  # a zip of the folder itself: its files at the top
        for path in list(inner.iterdir()):
            path.rename(target / path.name)
        inner.rmdir()
    shutil.rmtree(target / "__MACOSX", ignore_errors=True)


def program_save(*, competition: Competition, folder: Path, user: Any = None) -> ScoringProgram:
    """Store a program folder as the competition's current version (a new version only if its files changed) and
    send its dry runs to a programs worker."""
    problem = program_problem(folder)
    if problem:
        raise PodiumError(BAD_PROGRAM, f"Not a scoring program: {problem}.")
    version = program_version(folder)
    current = competition.current_program()
    if current is not None and current.version == version:
        return current
    program = ScoringProgram(competition=competition, version=version,
                             created_by=user if getattr(user, "pk", None) else None)
    program.file.save(f"{version}.zip", zipped_folder(folder), save=True)
    logger.info("scoring program %s of %s saved", version, competition.slug)
    transaction.on_commit(lambda: program_dry_run_later(program_id=program.pk))
    return program


def program_dry_run_later(*, program_id: int, trial: str = "") -> None:
    """Send a dry run (or an organizer's trial file) to a programs worker; a broker outage is logged."""
    from workers.app import app

    try:
        app.send_task(names.PROGRAM_DRY_RUN, args=[program_id, trial], queue=names.PROGRAMS,
                      retry_policy={"max_retries": 2})
    except Exception:  # noqa: BLE001 - the readiness check shows the dry run has not run
        logger.exception("could not send the dry run of scoring program %s", program_id)


def program_try(*, competition: Competition, program: ScoringProgram, file: Path) -> dict[str, Any]:
    """Run one version on one file, without a submission: what a participant and the organizers would see."""
    runner = program_runner(competition, program)
    try:
        truth = truth_folder(competition, _dry_run_phase(competition))
        scores = runner(truth, file)
    except SubmissionError as exc:
        return _outcome("failed", runner, error_code=exc.code, message=exc.message)
    except ProgramFault as exc:
        return _outcome("fault", runner, error_code=PROGRAM_ERROR, message=exc.result.fault)
    except (PodiumError, ArchiveError, OSError, ValueError) as exc:
        return {"status": "fault", "error_code": PROGRAM_ERROR, "message": str(exc)[:300], "log": "", "seconds": 0}
    return _outcome("scored", runner, scores=scores)


def program_dry_runs(*, program: ScoringProgram) -> dict[str, Any]:
    """Run a version on the bundle's sample submission (it must score) and on an empty file (it must fail cleanly,
    with error.json); the results are kept on the version for the readiness check and the admin."""
    competition = program.competition
    results: dict[str, Any] = {}
    suffix = competition.task_type.submission_suffix
    sample = competition.files.filter(name=f"sample_submission{suffix}").first()
    with tempfile.TemporaryDirectory() as tmp:
        if sample is None:
            results["sample"] = {"status": "missing", "message": f"public/sample_submission{suffix} is missing"}
        else:
            with local_path(sample.file.storage, stored_name(sample.file)) as path:
                results["sample"] = program_try(competition=competition, program=program, file=path)
        empty = Path(tmp) / f"empty{suffix}"
        empty.write_bytes(b"")
        results["empty"] = program_try(competition=competition, program=program, file=empty)
    ScoringProgram.objects.filter(pk=program.pk).update(dry_runs={**_trials(program), **results})
    program.dry_runs = {**_trials(program), **results}
    return results


def program_trial(*, program: ScoringProgram, name: str, path: Path) -> dict[str, Any]:
    """An organizer's own file, run from the admin: kept on the version beside the dry runs (the last few)."""
    result = {**program_try(competition=program.competition, program=program, file=path), "file": name[:100]}
    trials = [entry for entry in program.dry_runs.get("trials", []) if isinstance(entry, dict)][-(TRIALS_KEPT - 1):]
    program.dry_runs = {**program.dry_runs, "trials": [*trials, result]}
    ScoringProgram.objects.filter(pk=program.pk).update(dry_runs=program.dry_runs)
    return result


def dry_run_problems(program: ScoringProgram | None) -> list[str]:
    """What the readiness check says of a version's dry runs: empty when the sample scored and the empty file
    failed cleanly."""
    if program is None:
        return ["a scoring program (score.py: Scoring program)"]
    runs = program.dry_runs or {}
    if not all(name in runs for name in DRY_RUNS):
        return [f"the scoring program's dry run (version {program.version}: waiting for a programs worker)"]
    problems = []
    sample, empty = runs["sample"], runs["empty"]
    if sample.get("status") != "scored":
        problems.append(f"a scoring program that scores the sample submission (version {program.version}: "
                        f"{sample.get('error_code') or sample.get('status')}: {str(sample.get('message', ''))[:120]})")
    if empty.get("status") != "failed":
        said = "it scored it" if empty.get("status") == "scored" else str(empty.get("message", ""))[:120]
        problems.append(f"a scoring program that refuses an empty file with /output/error.json "
                        f"(version {program.version}: {said})")
    return problems


def _dry_run_phase(competition: Competition) -> Phase | None:
    """The truth a dry run reads: the competition's own, else its first phase's."""
    if competition.truth_file:
        return None
    return competition.phases.order_by("order", "start_at").first()


def _trials(program: ScoringProgram) -> dict[str, Any]:
    return {"trials": program.dry_runs["trials"]} if "trials" in (program.dry_runs or {}) else {}


def _outcome(status: str, runner: ProgramRunner, **fields: Any) -> dict[str, Any]:
    result = runner.result
    return {"status": status, **fields, "log": (result.log if result else "")[-LOG_CHARS:],
            "seconds": round(result.seconds, 3) if result else 0}
