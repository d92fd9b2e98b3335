"""Importing a checked bundle: create or update the competition by slug, inside one transaction, so a bad
bundle never leaves a half-updated competition."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any, Iterator

import yaml
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from competitions.bundles.spec import BundleError, BundleSpec, as_datetime, bundle_validate
from competitions.bundles.unpack import bundle_folder
from competitions.models import PREDICTIONS, SUBMISSION_KINDS, Competition, CompetitionFile, Phase, ScoringProgram, public_storage
from competitions.programs import DRY_RUNS, program_dry_runs, program_save, zipped_folder
from competitions.services import competition_publish
from core.errors import PodiumError
from core.storage import delete_folder
from scoring import get_task


def competition_import_bundle(*, path: Path, publish: bool = False, organizer: Any = None,
                              may_import: Callable[[str], bool] | None = None,
                              warnings: list[str] | None = None) -> tuple[Competition, bool]:
    """Create or update (by slug) the competition a bundle describes; returns it and whether it is new.
    `warnings`, where given, receives what is allowed but likely a mistake (a truth label no training row has).

    A new competition is a draft unless the bundle says `published: true` or `publish` is set; then it
    is published after the readiness check, and if that fails nothing is imported. `organizer` (an account)
    becomes one of its organizers; `may_import(slug)` refuses a bundle for a competition its importer may not
    change.
    """
    with bundle_folder(path) as folder:
        slug = _declared_slug(folder)
        if may_import is not None and slug is not None and not may_import(slug):  # before anything else is read
            raise BundleError([f"competition.yaml: slug {slug[:80]!r} is a competition you do not organize: import "
                               "bundles for your own competitions, or ask an administrator"])
        spec = bundle_validate(folder)
        if warnings is not None:
            warnings.extend(spec.warnings)
        if may_import is not None and not may_import(spec.meta["slug"]):
            raise BundleError([f"competition.yaml: slug {spec.meta['slug'][:80]!r} is a competition you do not "
                               "organize: import bundles for your own competitions, or ask an administrator"])
        with transaction.atomic():
            competition, created = _apply(spec)
            if organizer is not None:
                competition.organizers.add(organizer)
            if publish or spec.meta.get("published"):
                program = competition.current_program()
                if program is not None and not dry_run_done(program):
                    program_dry_runs(program=program)  # here and now: publishing needs its results
                try:
                    competition_publish(competition=competition)
                except PodiumError as exc:
                    raise BundleError([exc.message]) from None
        return competition, created


def dry_run_done(program: ScoringProgram) -> bool:
    return all(name in (program.dry_runs or {}) for name in DRY_RUNS)


def _apply(spec: BundleSpec) -> tuple[Competition, bool]:
    with transaction.atomic():
        competition, created = Competition.objects.update_or_create(slug=spec.meta["slug"], defaults=_values(spec))
        _store_truth(competition.truth_file, spec.truth_path)
        _store_public_files(competition, spec)
        _store_model_inputs(competition, spec.folder / "test_inputs", spec)
        _store_phases(competition, spec.phases)
        if spec.program_dir is not None:  # a new version only if its files changed; its dry runs go to a worker
            program_save(competition=competition, folder=spec.program_dir)
    return competition, created


def _store_truth(field: Any, path: Path) -> None:
    """A truth file as it is; a folder of hidden files (truth/ of a program-scored competition) as one zip."""
    if path.is_dir():
        field.save("truth.zip", zipped_folder(path), save=True)
        return
    with open(path, "rb") as truth:
        field.save(path.name, File(truth), save=True)


def _values(spec: BundleSpec) -> dict[str, Any]:
    """The competition's fields from competition.yaml and the bundle's texts; what it leaves out, the defaults."""
    meta, folder = spec.meta, spec.folder
    now = timezone.now()
    start = as_datetime(meta.get("start"), now.replace(microsecond=0))
    end = as_datetime(meta.get("end"), start + timedelta(days=90))
    return {
        "title": meta["title"],
        "subtitle": meta.get("subtitle", ""),
        "task": meta["task"],
        "metric": meta.get("metric", ""),
        "start_at": start,
        "end_at": end,
        "reveal_at": as_datetime(meta["reveal"], end) if meta.get("reveal") else None,
        "daily_submission_limit": meta.get("daily_submission_limit", 5),
        "max_team_size": meta.get("max_team_size", 5),
        "final_selection_limit": meta.get("final_selection_limit", 2),
        "submission_kinds": meta.get("submission_kinds", list(SUBMISSION_KINDS) if get_task(meta["task"]).accepts_models
                                     else [PREDICTIONS]),
        "classes": meta.get("classes", []),
        "model_limits": meta.get("model_limits", {}),
        "max_submission_mb": meta.get("max_submission_mb", (meta.get("submission") or {}).get("max_mb", 50)),
        "metrics": meta.get("metrics", []),
        "submission_suffix": (meta.get("submission") or {}).get("suffix", ""),
        "scoring_limits": meta.get("scoring_limits", {}),
        "max_model_mb": meta.get("max_model_mb", 2048),
        "has_model_inputs": (folder / "test_inputs").is_dir(),
        "late_submissions": meta.get("late_submissions", True),
        "show_model_logs": meta.get("show_model_logs", True),
        "daily_upload_mb": meta.get("daily_upload_mb", 10 * 1024),
        "max_pending_submissions": meta.get("max_pending_submissions"),
        "overview": _read_text(folder / "overview.md"),
        "evaluation": _read_text(folder / "evaluation.md"),
        "rules": _read_text(folder / "rules.md"),
    }


def _store_public_files(competition: Competition, spec: BundleSpec) -> None:
    """public/ replaces the competition's files (the old ones deleted first, so the new keep their exact names)."""
    for old in competition.files.all():
        old.file.delete(save=False)
        old.delete()
    public_dir = spec.folder / "public"
    described = spec.meta.get("file_descriptions") or {}
    for path in spec.public_files:
        name = path.relative_to(public_dir).as_posix()
        with _stored_content(spec, path) as handle:
            item = CompetitionFile(competition=competition, name=name, description=described.get(name, ""))
            item.file.save(name, handle, save=False)
            item.save()


def _store_phases(competition: Competition, phases: list[dict[str, Any]]) -> None:
    """The bundle's phases, by slug; a phase left out goes, unless it has submissions (then nothing is imported)."""
    keep = [entry["slug"] for entry in phases]
    gone = competition.phases.exclude(slug__in=keep)
    used = list(gone.filter(submissions__isnull=False).values_list("slug", flat=True).distinct())
    if used:
        raise BundleError([f"phase {slug!r} has submissions: keep it in competition.yaml" for slug in used])
    gone.delete()
    for order, entry in enumerate(phases, start=1):
        phase, _ = Phase.objects.update_or_create(competition=competition, slug=entry["slug"], defaults={
            "order": order, "name": entry["name"], "start_at": entry["start"], "end_at": entry["end"],
            "daily_submission_limit": entry.get("daily_submission_limit"),
            "submission_kinds": entry.get("submission_kinds", []), "carry_selected": entry.get("carry_selected", False),
        })
        _store_truth(phase.truth_file, Path(entry["truth"]))


@contextmanager
def _stored_content(spec: BundleSpec, path: Path) -> Iterator[File]:
    if path in spec.rewrites:
        yield ContentFile(spec.rewrites[path], name=path.name)
        return
    with open(path, "rb") as handle:
        yield File(handle)


def _store_model_inputs(competition: Competition, source: Path, spec: BundleSpec) -> None:
    """Copy test_inputs/ to storage, replacing what an earlier import left there."""
    storage = public_storage()
    root = f"competitions/{competition.slug}/test_inputs"
    delete_folder(storage, root)
    if not source.is_dir():
        return
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        with _stored_content(spec, path) as handle:
            storage.save(f"{root}/{path.relative_to(source).as_posix()}", handle)


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _declared_slug(folder: Path) -> str | None:
    """The slug competition.yaml names, if it can be read at all (the checks come after, with their messages)."""
    try:
        meta = yaml.safe_load((folder / "competition.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    slug = meta.get("slug") if isinstance(meta, dict) else None
    return slug if isinstance(slug, str) else None
