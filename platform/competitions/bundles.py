"""Competition bundles (SPEC section 4): validate everything, then create or update by slug.

`bundle_validate` collects every problem at once and touches nothing;
`competition_import_bundle` writes only after validation passed, inside one
transaction, so a bad bundle never leaves a half-updated competition.
"""
from __future__ import annotations

import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from pathlib import Path
from typing import Any, Iterator

import yaml
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from competitions.models import (SUBMISSION_KINDS, Competition, CompetitionFile, Phase, competition_model_inputs_dir,
                                 public_storage)
from competitions.services import competition_publish
from core.errors import PodiumError
from core.storage import copy_folder_out, delete_folder
from scoring import TASKS, ScoringError, ScoringOptions, get_task
from workers.runtime.archive import ArchiveError, Member, SafeZip, looks_like_zip

MAX_BUNDLE_BYTES = 2 * 1024**3
MAX_BUNDLE_ENTRIES, MAX_BUNDLE_DIRECTORY = 110_000, 16 * 1024**2
# Real data (CSV, JSON, PNG) compresses a few-fold, at most ~100-fold for very repetitive CSV.
BOMB_RATIO, BOMB_MIN_BYTES = 200, 16 * 1024**2
FIELDS: dict[str, type | tuple[type, ...]] = {
    "slug": str, "title": str, "task": str, "subtitle": str,
    "start": (str, date, datetime), "end": (str, date, datetime), "reveal": (str, date, datetime),
    "daily_submission_limit": int, "max_team_size": int, "final_selection_limit": int,
    "submission_kinds": list, "classes": list, "model_limits": dict, "max_submission_mb": int, "max_model_mb": int,
    "late_submissions": bool, "max_pending_submissions": int, "published": bool, "metric": str, "phases": list,
    "show_model_logs": bool, "daily_upload_mb": int,
}
# Each entry of `phases:` (all but daily_submission_limit, submission_kinds and carry_selected required).
PHASE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str, "slug": str, "start": (str, date, datetime), "end": (str, date, datetime), "truth": str,
    "daily_submission_limit": int, "submission_kinds": list, "carry_selected": bool,
}
PHASE_REQUIRED = ("name", "slug", "start", "end", "truth")
REQUIRED = ("slug", "title", "task")


class BundleError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class BundleSpec:
    folder: Path
    meta: dict[str, Any]
    truth_path: Path
    public_files: list[Path] = field(default_factory=list)
    # Files stored with other content than the bundle's: test.csv with image names made relative to its folder.
    rewrites: dict[Path, bytes] = field(default_factory=dict)
    phases: list[dict[str, Any]] = field(default_factory=list)  # each with its truth's path checked


@contextmanager
def bundle_folder(path: Path) -> Iterator[Path]:
    """The bundle as a folder: `path` itself, or a .zip extracted to a temporary folder within bounds.

    The zip is read by the same bounded reader as model uploads: nothing it declares is trusted before it
    is read, members are inflated in bounded steps and never past their declared size.
    """
    path = Path(path)
    if path.is_dir():
        yield path
        return
    if not path.is_file() or not looks_like_zip(path):
        raise BundleError([f"{path.name} is neither a folder nor a .zip file"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        try:
            with SafeZip(path, max_entries=MAX_BUNDLE_ENTRIES, max_directory_bytes=MAX_BUNDLE_DIRECTORY) as archive:
                _check_zip_entries(archive.members, root)
                _extract(archive, root)
        except ArchiveError as exc:
            raise BundleError([f"the zip cannot be read: {exc}"]) from None
        except OSError as exc:
            raise BundleError([f"the zip cannot be read: {exc.strerror or exc}"]) from None
        entries = [p for p in root.iterdir() if not p.name.startswith("__MACOSX")]
        # A zip of the folder itself holds one top-level directory.
        yield entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def _check_zip_entries(members: list[Member], root: Path) -> None:
    """Refuse, before extracting anything, a zip that is too large, a zip bomb, or entries outside the bundle."""
    total = sum(member.size for member in members)
    if total > MAX_BUNDLE_BYTES:
        raise BundleError([f"the zip expands to {total / 1e9:.1f} GB; the limit is {MAX_BUNDLE_BYTES / 1e9:.0f} GB"])
    for member in members:
        if member.size > BOMB_MIN_BYTES and member.size > BOMB_RATIO * max(member.compressed_size, 1):
            raise BundleError([f"the zip entry {member.name[:80]!r} expands {member.size // max(member.compressed_size, 1)}-fold; "
                               "that is a zip bomb, not data"])
        target = (root / member.name).resolve()
        if not target.is_relative_to(root) or "\\" in member.name:
            raise BundleError([f"the zip entry {member.name[:80]!r} points outside the bundle"])


def _extract(archive: SafeZip, root: Path) -> None:
    for member in archive.members:
        target = (root / member.name).resolve()
        if member.is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as sink:
            for chunk in archive.open(member):
                sink.write(chunk)


def bundle_validate(folder: Path) -> BundleSpec:
    problems: list[str] = []
    meta = _read_meta(folder, problems)
    task_name = meta.get("task")
    if task_name not in TASKS:
        if task_name is not None:
            problems.append(f"competition.yaml: task {task_name!r} is not one of {', '.join(sorted(TASKS))}")
        raise BundleError(problems or ["competition.yaml: task is missing"])
    task = get_task(task_name)
    if "model" in (meta.get("submission_kinds") or []) and not task.accepts_models:
        problems.append(f"competition.yaml: {task_name} competitions take predictions files only; "
                        'use submission_kinds: ["predictions"]')
    metric = meta.get("metric")
    if isinstance(metric, str) and metric not in task.rankable():
        problems.append(f"competition.yaml: metric {metric[:40]!r} does not rank {task_name} competitions; "
                        f"choose among {', '.join(task.rankable())}")
    truth_path = folder / task.truth_filename
    public_dir = folder / "public"
    public_files = sorted(p for p in public_dir.rglob("*") if p.is_file()) if public_dir.is_dir() else []
    if not public_files:
        problems.append("public/ is missing or empty: participants need at least the test inputs")
    truth = None
    if not truth_path.is_file():
        problems.append(f"{task.truth_filename} is missing")
    else:
        try:
            truth = task.load_truth(truth_path, ScoringOptions(classes=tuple(meta.get("classes") or ()),
                                                                   ranking_metric=_text(meta.get("metric"))))
        except ScoringError as exc:
            problems.append(f"{task.truth_filename}: {exc.code}: {exc.message}")
    rewrites: dict[Path, bytes] = {}
    if truth is not None:
        _check_against_truth(task.name, truth, public_dir, problems, rewrites)
    phases = _check_phases(folder, meta, task, problems)
    if problems:
        raise BundleError(problems)
    return BundleSpec(folder=folder, meta=meta, truth_path=truth_path, public_files=public_files, rewrites=rewrites,
                      phases=phases)


def _check_phases(folder: Path, meta: dict[str, Any], task: Any, problems: list[str]) -> list[dict[str, Any]]:
    """`phases:` entries, each with a truth file inside the bundle that parses; dates in order; slugs unique."""
    entries = meta.get("phases") or []
    checked: list[dict[str, Any]] = []
    for number, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        where = f"competition.yaml: phases[{number}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a mapping of name, slug, start, end, truth")
            continue
        missing = [name for name in PHASE_REQUIRED if name not in entry]
        unknown = [str(name)[:40] for name in entry if name not in PHASE_FIELDS]
        wrong = [name for name, value in entry.items() if name in PHASE_FIELDS and (
            not isinstance(value, PHASE_FIELDS[name]) or (PHASE_FIELDS[name] is int and isinstance(value, bool)))]
        for text, names in (("lacks", missing), ("has unknown fields", unknown), ("has the wrong type for", wrong)):
            if names:
                problems.append(f"{where} {text} {', '.join(names)}")
        if missing or wrong:
            continue
        start, end = (_moment_or_none(entry[name]) for name in ("start", "end"))
        if start is None or end is None or end <= start:
            problems.append(f"{where}: start and end must be dates (YYYY-MM-DD or ISO 8601), the end after the start")
            continue
        truth_path = (folder / entry["truth"]).resolve()
        if not truth_path.is_relative_to(folder.resolve()) or not truth_path.is_file():
            problems.append(f"{where}: truth {entry['truth'][:80]!r} is not a file inside the bundle")
            continue
        try:
            task.load_truth(truth_path, ScoringOptions(classes=tuple(meta.get("classes") or ()),
                                                                   ranking_metric=_text(meta.get("metric"))))
        except ScoringError as exc:
            problems.append(f"{where}: {entry['truth'][:80]}: {exc.code}: {exc.message}")
            continue
        checked.append({**entry, "start": start, "end": end, "truth": truth_path})
    slugs = [entry["slug"] for entry in checked]
    if len(set(slugs)) != len(slugs):
        problems.append("competition.yaml: phases need different slugs")
    return checked


def _read_meta(folder: Path, problems: list[str]) -> dict[str, Any]:
    meta_path = folder / "competition.yaml"
    if not meta_path.is_file():
        raise BundleError(["competition.yaml is missing"])
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BundleError([f"competition.yaml cannot be parsed: {exc}"]) from None
    except RecursionError:
        raise BundleError(["competition.yaml is nested too deeply to be a competition's settings"]) from None
    if not isinstance(meta, dict):
        raise BundleError(["competition.yaml must be a mapping of field: value"])
    for name in REQUIRED:
        if name not in meta:
            problems.append(f"competition.yaml: {name} is required")
    for name, value in meta.items():
        expected = FIELDS.get(name)
        if expected is None:
            problems.append(f"competition.yaml: unknown field {name!r} (known: {', '.join(FIELDS)})")
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(f"competition.yaml: {name} has the wrong type ({type(value).__name__}); "
                            f"expected {_type_names(expected)}")
    for name in ("start", "end", "reveal"):
        if isinstance(meta.get(name), str) and _parse_moment(meta[name]) is None:
            problems.append(f"competition.yaml: {name} {meta[name][:40]!r} is not a date (YYYY-MM-DD, midnight UTC) "
                            "or an ISO 8601 date-time (2026-11-29T12:00:00Z)")
    kinds = meta.get("submission_kinds")
    if isinstance(kinds, list) and (not kinds or any(k not in SUBMISSION_KINDS for k in kinds)):
        problems.append(f"competition.yaml: submission_kinds must be a non-empty list drawn from {SUBMISSION_KINDS}")
    return meta


def _check_against_truth(task_name: str, truth: Any, public_dir: Path, problems: list[str],
                         rewrites: dict[Path, bytes]) -> None:
    task = get_task(task_name)
    samples = sorted(public_dir.glob("sample_submission.*")) if public_dir.is_dir() else []
    for sample in samples:
        try:
            task.score(truth, sample, ScoringOptions())
        except ScoringError as exc:
            problems.append(f"public/{sample.name} does not score: {exc.code}: {exc.message}")
    if task.check_inputs is None:
        return
    task.check_inputs(truth, public_dir, problems, rewrites)
    model_inputs = public_dir.parent / "test_inputs"
    if model_inputs.is_dir():  # what models read, when it differs from public/
        task.check_inputs(truth, model_inputs, problems, rewrites)



def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _moment_or_none(value: str | date | datetime) -> datetime | None:
    if isinstance(value, str) and _parse_moment(value) is None:
        return None
    return _as_datetime(value, timezone.now())


def _type_names(expected: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping",
             date: "a date (YYYY-MM-DD)", datetime: "an ISO 8601 date-time"}
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(dict.fromkeys(names.get(kind, kind.__name__) for kind in kinds if kind is not str or len(kinds) == 1))


def _parse_moment(value: str) -> datetime | None:
    """An ISO 8601 date-time, or a date (YYYY-MM-DD) meaning its midnight UTC."""
    try:
        return parse_datetime(value) or (datetime.combine(parsed, time()) if (parsed := parse_date(value)) else None)
    except ValueError:
        return None


def _as_datetime(value: str | date | datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        moment = _parse_moment(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt_timezone.utc)


def competition_import_bundle(*, path: Path, publish: bool = False) -> tuple[Competition, bool]:
    """Create or update (by slug) the competition a bundle describes; returns it and whether it is new.

    A new competition is a draft unless the bundle says `published: true` or `publish` is set; then it
    is published after the readiness check, and if that fails nothing is imported.
    """
    with bundle_folder(path) as folder:
        spec = bundle_validate(folder)
        with transaction.atomic():
            competition, created = _apply(spec)
            if publish or spec.meta.get("published"):
                try:
                    competition_publish(competition=competition)
                except PodiumError as exc:
                    raise BundleError([exc.message]) from None
        return competition, created


def _apply(spec: BundleSpec) -> tuple[Competition, bool]:
    meta, folder = spec.meta, spec.folder
    now = timezone.now()
    start = _as_datetime(meta.get("start"), now.replace(microsecond=0))
    end = _as_datetime(meta.get("end"), start + timedelta(days=90))
    values = {
        "title": meta["title"],
        "subtitle": meta.get("subtitle", ""),
        "task": meta["task"],
        "metric": meta.get("metric", ""),
        "start_at": start,
        "end_at": end,
        "reveal_at": _as_datetime(meta["reveal"], end) if meta.get("reveal") else None,
        "daily_submission_limit": meta.get("daily_submission_limit", 5),
        "max_team_size": meta.get("max_team_size", 5),
        "final_selection_limit": meta.get("final_selection_limit", 2),
        "submission_kinds": meta.get("submission_kinds", list(SUBMISSION_KINDS)),
        "classes": meta.get("classes", []),
        "model_limits": meta.get("model_limits", {}),
        "max_submission_mb": meta.get("max_submission_mb", 50),
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
    with transaction.atomic():
        competition, created = Competition.objects.update_or_create(slug=meta["slug"], defaults=values)
        with open(spec.truth_path, "rb") as truth:
            competition.truth_file.save(spec.truth_path.name, File(truth), save=True)
        for old in competition.files.all():
            old.file.delete(save=False)  # so new files keep their exact names
            old.delete()
        public_dir = folder / "public"
        for path in spec.public_files:
            name = path.relative_to(public_dir).as_posix()
            with _stored_content(spec, path) as handle:
                item = CompetitionFile(competition=competition, name=name)
                item.file.save(name, handle, save=False)
                item.save()
        _store_model_inputs(competition, folder / "test_inputs", spec)
        _store_phases(competition, spec.phases)
    return competition, created


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
        with open(entry["truth"], "rb") as truth:
            phase.truth_file.save(Path(entry["truth"]).name, File(truth), save=True)


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
    phases = []
    for phase in competition.phases.all():
        truth = f"phases/{phase.slug}/{competition.task_type.truth_filename}"
        (folder / truth).parent.mkdir(parents=True, exist_ok=True)
        with phase.truth_file.open("rb") as source:
            (folder / truth).write_bytes(source.read())
        entry = {"name": phase.name, "slug": phase.slug, "start": phase.start_at.isoformat(),
                 "end": phase.end_at.isoformat(), "truth": truth, "carry_selected": phase.carry_selected}
        if phase.daily_submission_limit is not None:
            entry["daily_submission_limit"] = phase.daily_submission_limit
        if phase.submission_kinds:
            entry["submission_kinds"] = list(phase.submission_kinds)
        phases.append(entry)
    if phases:
        meta["phases"] = phases
    (folder / "competition.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for name, text in (("overview.md", competition.overview), ("evaluation.md", competition.evaluation), ("rules.md", competition.rules)):
        if text:
            (folder / name).write_text(text, encoding="utf-8")
    if competition.truth_file:
        with competition.truth_file.open("rb") as source:
            (folder / competition.task_type.truth_filename).write_bytes(source.read())
    for item in competition.files.all():
        target = folder / "public" / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with item.file.open("rb") as source:
            target.write_bytes(source.read())
    if competition.has_model_inputs:
        copy_folder_out(public_storage(), competition_model_inputs_dir(competition), folder / "test_inputs")
    return folder
