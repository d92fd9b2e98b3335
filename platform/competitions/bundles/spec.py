"""Reading and checking a bundle (SPEC section 4): `bundle_validate` collects every problem at once, touches
nothing, and returns what the import needs."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from datetime import timezone as dt_timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import yaml
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from competitions.models import SUBMISSION_KINDS
from scoring import TASKS, Metric, ScoringError, ScoringOptions, TaskType, get_task
from scoring.tasks import custom

FIELDS: dict[str, type | tuple[type, ...]] = {
    "slug": str, "title": str, "task": str, "subtitle": str,
    "start": (str, date, datetime), "end": (str, date, datetime), "reveal": (str, date, datetime),
    "daily_submission_limit": int, "max_team_size": int, "final_selection_limit": int,
    "submission_kinds": list, "classes": list, "model_limits": dict, "max_submission_mb": int, "max_model_mb": int,
    "late_submissions": bool, "max_pending_submissions": int, "published": bool, "metric": str, "phases": list,
    "show_model_logs": bool, "daily_upload_mb": int,
    # Scored by the organizers' own program (task `custom`, SPEC section 9).
    "metrics": list, "submission": dict, "scoring_limits": dict,
    "file_descriptions": dict,  # {public file name: what it holds}, shown on the Data tab
}
PROGRAM_FIELDS = ("metrics", "submission", "scoring_limits")
SUBMISSION_FIELDS = {"suffix", "max_mb"}


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
    program_dir: Path | None = None  # scoring/: the organizers' program, where it scores (task `custom`)
    warnings: list[str] = field(default_factory=list)  # allowed, but likely a mistake: said, never refused


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
    program_dir = None
    if task.program:
        task, program_dir = _check_program(folder, meta, task, problems)
    else:
        problems.extend(f"competition.yaml: {name} is for competitions scored by their own program (task: custom)"
                        for name in PROGRAM_FIELDS if name in meta)
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
    if not (truth_path.is_dir() if task.program else truth_path.is_file()):
        problems.append(f"{task.truth_filename}{'/' if task.program else ''} is missing")
    else:
        try:
            truth = task.load_truth(truth_path, ScoringOptions(classes=tuple(meta.get("classes") or ()),
                                                                   ranking_metric=_text(meta.get("metric"))))
        except ScoringError as exc:
            problems.append(f"{task.truth_filename}: {exc.code}: {exc.message}")
            _check_inputs_against_ids(task, truth_path, public_dir, problems)
    rewrites: dict[Path, bytes] = {}
    if truth is not None and not task.program:  # a program's sample is checked by its dry run, in the sandbox
        _check_against_truth(task.name, truth, public_dir, problems, rewrites)
    phases = _check_phases(folder, meta, task, problems)
    if problems:
        raise BundleError(problems)
    return BundleSpec(folder=folder, meta=meta, truth_path=truth_path, public_files=public_files, rewrites=rewrites,
                      phases=phases, program_dir=program_dir, warnings=_unseen_labels(truth_path, public_dir))


def _check_program(folder: Path, meta: dict[str, Any], task: TaskType,
                   problems: list[str]) -> tuple[TaskType, Path | None]:
    """scoring/, metrics: and submission: of a competition scored by its own program (SPEC section 9); returns the
    task type with the bundle's metrics and suffix, and the program's folder."""
    from competitions.limits import scoring_limits_problem
    from workers.programs import program_problem

    metrics: tuple[Metric, ...] = ()
    try:
        metrics = custom.declared_metrics(meta.get("metrics"))
    except ValueError as exc:
        problems.append(f"competition.yaml: {exc}")
    submission = meta.get("submission") or {}
    suffix = task.submission_suffix
    if not isinstance(submission, dict) or set(submission) - SUBMISSION_FIELDS:
        problems.append("competition.yaml: submission must be a mapping of suffix and max_mb")
    else:
        try:
            suffix = custom.submission_suffix(submission.get("suffix", suffix))
        except ValueError as exc:
            problems.append(f"competition.yaml: {exc}")
        max_mb = submission.get("max_mb", 50)
        if isinstance(max_mb, bool) or not isinstance(max_mb, int) or not 1 <= max_mb <= 10_240:
            problems.append("competition.yaml: submission max_mb must be a whole number of megabytes from 1 to 10240")
    limits = scoring_limits_problem(meta.get("scoring_limits"))
    if limits:
        problems.append(f"competition.yaml: scoring_limits: {limits}")
    program_dir = folder / "scoring"
    problem = program_problem(program_dir) if program_dir.is_dir() else "scoring/ is missing"
    if problem:
        problems.append(f"scoring/: {problem}" if program_dir.is_dir() else problem)
    return task.for_competition(metrics, suffix), (None if problem else program_dir)


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
        kind = "folder" if task.program else "file"  # a program's phases each have their own truth/ folder
        if not truth_path.is_relative_to(folder.resolve()) or not (truth_path.is_dir() if task.program
                                                                    else truth_path.is_file()):
            problems.append(f"{where}: truth {entry['truth'][:80]!r} is not a {kind} inside the bundle")
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
    described = meta.get("file_descriptions")
    if isinstance(described, dict) and not all(isinstance(k, str) and isinstance(v, str) and len(v) <= 300
                                                for k, v in described.items()):
        problems.append("competition.yaml: file_descriptions maps a public file's name to a text of at most 300 "
                        "characters")
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


def _unseen_labels(truth_path: Path, public_dir: Path) -> list[str]:
    """Truth labels that no row of public/train.csv has (where both have a `label` column): a model trained on
    the public data can never predict them, which is allowed (a zero-shot class) but seldom meant."""
    truth, train = _labels(truth_path), _labels(public_dir / "train.csv")
    if not truth or not train:
        return []
    unseen = sorted(set(truth) - set(train))
    if not unseen:
        return []
    rows = sum(truth[label] for label in unseen)
    shown = ", ".join(repr(label[:40]) for label in unseen[:5]) + (" …" if len(unseen) > 5 else "")
    many = len(unseen) > 1
    return [f"{truth_path.name}: {len(unseen)} label{'s' if many else ''} ({shown}, {rows} test row"
            f"{'s' if rows > 1 else ''}) appear{'' if many else 's'} in no row of public/train.csv: models trained on "
            f"it cannot predict {'them' if many else 'it'}"]


def _labels(path: Path) -> dict[str, int]:
    """How many rows have each value of a CSV's `label` column; empty where there is no such file or column."""
    if path.suffix != ".csv" or not path.is_file():
        return {}
    counts: dict[str, int] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                label = row.get("label")
                if label is None:
                    return {}
                counts[label] = counts.get(label, 0) + 1
    except (OSError, ValueError, csv.Error):
        return {}
    return counts


def _check_inputs_against_ids(task: TaskType, truth_path: Path, public_dir: Path, problems: list[str]) -> None:
    """With a truth the scorer refused, its ids read plainly, so that the public files' checks still run: a bundle
    reports every problem at once, not one per try."""
    ids = _ids_of(truth_path)
    if ids is None or task.check_inputs is None or task.program:
        return
    try:
        task.check_inputs(ids, public_dir, problems, {})
    except (AttributeError, TypeError, ValueError, KeyError):  # a check that needs more of the truth than its ids
        pass


def _ids_of(path: Path) -> SimpleNamespace | None:
    """A stand-in for a truth file that holds only its ids (`ids` from a CSV's id column, `image_ids` from a COCO
    file's images), or None where even those cannot be read."""
    try:
        if path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as handle:
                ids = [row.get("id") for row in csv.DictReader(handle)]
            return SimpleNamespace(ids=ids) if ids and None not in ids else None
        images = json.loads(path.read_text(encoding="utf-8")).get("images", [])
        return SimpleNamespace(image_ids=np.array([image.get("id") for image in images]))
    except (OSError, ValueError, AttributeError, csv.Error):
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _moment_or_none(value: str | date | datetime) -> datetime | None:
    if isinstance(value, str) and _parse_moment(value) is None:
        return None
    return as_datetime(value, timezone.now())


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


def as_datetime(value: str | date | datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        moment = _parse_moment(value) or default  # checked while validating: never unparsable here
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt_timezone.utc)
