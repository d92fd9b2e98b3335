"""A competition's scoring program in the admin (task `custom`, SPEC section 9): the upload that makes a version,
the table of versions with their dry runs, and a trial on any file of the organizers' without a submission.

The admin never runs a program: saving stores the version and sends its dry runs to a programs worker, and a trial
file goes there too (competitions/programs.py); the page shows the results when they are back.
"""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from competitions.limits import scoring_limits_problem
from competitions.models import Competition, ScoringProgram
from competitions.programs import MAX_PROGRAM_BYTES, dry_run_problems, program_dry_run_later, unzip_upload
from core.errors import PodiumError
from scoring import Metric, TaskType
from scoring.tasks import custom
from workers.programs import program_problem

PROGRAM_HELP = ("score.py and its helpers, zipped (at most 20 MB). Saving makes a new version if its files changed "
                "and runs it, in the sandbox, on public/sample_submission and on an empty file: the results appear "
                "below. SPEC section 9 and docs/scoring-programs.md give the contract.")


def program_upload_field() -> forms.FileField:
    return forms.FileField(required=False, label="Scoring program (.zip)", help_text=PROGRAM_HELP)


def unpacked_program(upload: UploadedFile) -> tuple[tempfile.TemporaryDirectory[str], str | None]:
    """An uploaded program zip as a folder, and what is wrong with it (None: a program)."""
    folder = tempfile.TemporaryDirectory(prefix="podium-program-upload-")
    try:
        unzip_upload(upload, Path(folder.name), MAX_PROGRAM_BYTES)
    except PodiumError as exc:
        return folder, exc.message
    return folder, program_problem(Path(folder.name))


def versions_table(competition: Competition) -> SafeString | str:
    """Every version, newest first: who saved it, when, and what its dry runs and trials gave."""
    if not competition.pk or not competition.scored_by_program:
        return "Only for competitions scored by their own program (task custom)."
    programs = list(competition.programs.select_related("created_by"))
    if not programs:
        return "No version yet: upload the program's zip above."
    rows = format_html_join("", "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
        (program.version, " (current)" if index == 0 else "", f"{program.created_at:%Y-%m-%d %H:%M} UTC",
         program.created_by.get_username() if program.created_by else "a bundle import", _runs(program))
        for index, program in enumerate(programs)))
    trial = reverse("admin:competitions_competition_program_trial", args=[competition.pk])
    problems = dry_run_problems(programs[0])
    verdict = "; ".join(problems) if problems else "The current version passed its dry runs."
    return format_html('<p>{}</p><table class="program-versions"><thead><tr><th>Version</th><th>Saved</th>'
                       "<th>By</th><th>Dry runs and trials</th></tr></thead><tbody>{}</tbody></table>"
                       '<p><a href="{}">Run the current version on a file of yours</a> (no submission is made).</p>',
                       verdict, rows, trial)


def _runs(program: ScoringProgram) -> SafeString | str:
    runs = program.dry_runs or {}
    entries = [(name, runs[name]) for name in ("sample", "empty") if name in runs]
    entries += [(f"your file {trial.get('file', '')}", trial) for trial in runs.get("trials", [])]
    if not entries:
        return "waiting for a programs worker"
    return format_html_join("", "<details><summary>{}: {}</summary><pre>{}</pre></details>", (
        (name, _said(result), str(result.get("log", ""))[-8000:] or "(it printed nothing)") for name, result in entries))


def _said(result: dict[str, Any]) -> str:
    if result.get("status") == "scored":
        return f"scored {result.get('scores')}"
    return f"{result.get('status')} {result.get('error_code', '')}: {str(result.get('message', ''))[:200]}"


def clean_program(form: forms.ModelForm, task_type: TaskType) -> TaskType:
    """The competition form's metrics, suffix, limits and uploaded program, where its own program scores it; the
    program's folder, unpacked, is kept on the form (`program_folder`) for saving."""
    cleaned = form.cleaned_data
    metrics: tuple[Metric, ...] = ()
    try:
        metrics = custom.declared_metrics(cleaned.get("metrics"))
    except ValueError as exc:
        form.add_error("metrics", f"{exc}.")
    problem = scoring_limits_problem(cleaned.get("scoring_limits"))
    if problem:
        form.add_error("scoring_limits", problem)
    if "model" in (cleaned.get("submission_kinds") or []):
        form.add_error("submission_kinds", "A competition scored by its own program takes predictions files only.")
    upload = cleaned.get("scoring_program")
    if upload:
        form.program_folder, problem = unpacked_program(upload)  # type: ignore[attr-defined]  # CompetitionForm's
        if problem:
            form.add_error("scoring_program", problem)
    elif not (form.instance.pk and form.instance.programs.exists()):
        form.add_error("scoring_program", "Upload the scoring program (score.py and its helpers, zipped).")
    return task_type.for_competition(metrics, cleaned.get("submission_suffix") or "")


class TrialForm(forms.Form):
    file = forms.FileField(help_text="Any file a participant might send: it is scored by the current version as a "
                                     "submission would be, and nothing is recorded but the result below.")


def program_trial_view(request: HttpRequest, competition_id: int, managed: Any) -> HttpResponse:
    """Upload a file, run the current version on it on a programs worker, and come back to the versions table."""
    competition = get_object_or_404(managed, pk=competition_id)
    program = competition.current_program()
    form = TrialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and program is not None and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > competition.max_submission_mb * 1024 * 1024:
            form.add_error("file", f"The file is larger than this competition's {competition.max_submission_mb} MB.")
        else:
            name = f"competitions/{competition.slug}/scoring/trials/{uuid.uuid4().hex}" \
                   f"{competition.task_type.submission_suffix}"
            stored = program.file.storage.save(name, upload)
            program_dry_run_later(program_id=program.pk, trial=stored)
            messages.info(request, f"{upload.name} goes to a programs worker; its result appears under Scoring "
                                   "program versions in a few seconds (reload the page).")
            return redirect("admin:competitions_competition_change", competition.pk)
    return render(request, "admin/competitions/competition/program_trial.html", {
        "form": form, "competition": competition, "program": program, "title": f"Try {competition.title}'s program",
        "opts": Competition._meta,
    })
