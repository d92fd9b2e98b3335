"""Writing a competition back as a bundle that imports again to the same competition: a folder, or a .zip."""
from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml
from django.db.models.fields.files import FieldFile

from competitions.models import Competition, competition_model_inputs_dir, public_storage
from competitions.programs import MAX_PROGRAM_BYTES, MAX_TRUTH_BYTES, unpacked
from core.storage import copy_folder_out


def competition_export_bundle(*, competition: Competition, path: Path) -> Path:
    """Write the competition back as a bundle: a folder, or a .zip when `path` ends in .zip."""
    path = Path(path)
    if path.suffix == ".zip":
        with tempfile.TemporaryDirectory() as tmp:
            folder = _write_bundle(competition, Path(tmp) / competition.slug)
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for item in sorted(folder.rglob("*")):
                    if item.is_file():
                        archive.write(item, Path(competition.slug) / item.relative_to(folder))
        return path
    return _write_bundle(competition, path)


def _write_bundle(competition: Competition, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    meta = _meta(competition)
    phases = _write_phases(competition, folder)
    if phases:
        meta["phases"] = phases
    (folder / "competition.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    texts = (("overview.md", competition.overview), ("evaluation.md", competition.evaluation),
             ("rules.md", competition.rules))
    for name, text in texts:
        if text:
            (folder / name).write_text(text, encoding="utf-8")
    _write_files(competition, folder)
    return folder


def _meta(competition: Competition) -> dict[str, Any]:
    """competition.yaml's fields; the optional ones only where the competition sets them."""
    meta: dict[str, Any] = {
        "slug": competition.slug, "title": competition.title, "subtitle": competition.subtitle, "task": competition.task,
        "start": competition.start_at.isoformat(), "end": competition.end_at.isoformat(),
        "daily_submission_limit": competition.daily_submission_limit, "max_team_size": competition.max_team_size,
        "final_selection_limit": competition.final_selection_limit, "submission_kinds": list(competition.submission_kinds),
        "max_submission_mb": competition.max_submission_mb, "max_model_mb": competition.max_model_mb,
        "published": not competition.is_draft, "metric": competition.ranking_metric,
        "late_submissions": competition.late_submissions, "show_model_logs": competition.show_model_logs,
        "daily_upload_mb": competition.daily_upload_mb,
    }
    if competition.max_pending_submissions is not None:
        meta["max_pending_submissions"] = competition.max_pending_submissions
    if competition.reveal_at:
        meta["reveal"] = competition.reveal_at.isoformat()
    if competition.classes:
        meta["classes"] = list(competition.classes)
    if competition.model_limits:
        meta["model_limits"] = dict(competition.model_limits)
    described = {item.name: item.description for item in competition.files.all() if item.description}
    if described:
        meta["file_descriptions"] = described
    if competition.scored_by_program:
        meta["metrics"] = list(competition.metrics)
        meta["submission"] = {"suffix": competition.task_type.submission_suffix, "max_mb": competition.max_submission_mb}
        if competition.scoring_limits:
            meta["scoring_limits"] = dict(competition.scoring_limits)
    return meta


def _write_phases(competition: Competition, folder: Path) -> list[dict[str, Any]]:
    """Each phase's truth under phases/<slug>/, and its `phases:` entry."""
    phases = []
    for phase in competition.phases.all():
        truth = f"phases/{phase.slug}/{competition.task_type.truth_filename}"
        (folder / truth).parent.mkdir(parents=True, exist_ok=True)
        _write_truth(competition, phase.truth_file, folder / truth)
        entry = {"name": phase.name, "slug": phase.slug, "start": phase.start_at.isoformat(),
                 "end": phase.end_at.isoformat(), "truth": truth, "carry_selected": phase.carry_selected}
        if phase.daily_submission_limit is not None:
            entry["daily_submission_limit"] = phase.daily_submission_limit
        if phase.submission_kinds:
            entry["submission_kinds"] = list(phase.submission_kinds)
        phases.append(entry)
    return phases


def _write_files(competition: Competition, folder: Path) -> None:
    """The truth, public/ and test_inputs/."""
    if competition.truth_file:
        _write_truth(competition, competition.truth_file, folder / competition.task_type.truth_filename)
    program = competition.current_program()
    if competition.scored_by_program and program is not None:  # the current version as scoring/
        shutil.copytree(unpacked(program.file, MAX_PROGRAM_BYTES), folder / "scoring")
    for item in competition.files.all():
        target = folder / "public" / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with item.file.open("rb") as source:
            target.write_bytes(source.read())
    if competition.has_model_inputs:
        copy_folder_out(public_storage(), competition_model_inputs_dir(competition), folder / "test_inputs")


def _write_truth(competition: Competition, field: FieldFile, target: Path) -> None:
    """A truth file as stored; a program's hidden files (stored as one zip) as the folder truth/ again."""
    if competition.scored_by_program:
        shutil.copytree(unpacked(field, MAX_TRUTH_BYTES), target)
        return
    with field.open("rb") as source:
        target.write_bytes(source.read())
