"""The competitions app's Celery tasks (queue `programs`): a scoring program's dry runs, on a worker that can
sandbox it (competitions/programs.py)."""
from __future__ import annotations

from competitions.models import ScoringProgram
from competitions.programs import program_dry_runs, program_trial
from core.storage import local_path
from workers import names
from workers.app import app


@app.task(name=names.PROGRAM_DRY_RUN, **names.RETRYING)
def program_dry_run(program_id: int, trial: str = "") -> str:
    """Run a version on the sample and on an empty file, or (`trial`: a stored file's name) on an organizer's file."""
    program = ScoringProgram.objects.select_related("competition").filter(pk=program_id).first()
    if program is None:
        return "gone"
    if not trial:
        results = program_dry_runs(program=program)
        return ", ".join(f"{name}: {result.get('status')}" for name, result in results.items())
    storage = program.file.storage
    try:
        with local_path(storage, trial) as path:
            return str(program_trial(program=program, name=trial.rsplit("/", 1)[-1], path=path)["status"])
    finally:
        storage.delete(trial)
