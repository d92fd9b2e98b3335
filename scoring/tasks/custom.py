"""The `custom` task type (SPEC section 9): scored by the organizers' own program, in the sandbox.

What sets it apart from the built-in task types is only where its numbers come from. Each competition declares
its metrics (`metrics:`, the first ranking by default) and what participants upload (`submission: {suffix,
max_mb}`); its hidden files are a folder (`truth/`, any names, any formats) that only the program reads. The
platform gives the program to `score` through `ScoringOptions.program`: this package runs no program itself
(it stays free of the sandbox, the workers and the settings).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from scoring.errors import BAD_TRUTH, TruthError
from scoring.tasktype import Metric, Scores, ScoringOptions, TaskType

NAME = "custom"
TRUTH_FOLDER = "truth"  # a bundle's hidden files: a folder, stored as one zip


def load_truth(path: Path, options: ScoringOptions) -> Path:
    """The folder of hidden files, as it is: only the organizers' program knows how to read it."""
    if not Path(path).is_dir():
        raise TruthError(BAD_TRUTH, "The hidden files of a competition scored by its own program are a folder "
                                    "(truth/ in the bundle, or a .zip of it in the admin).")
    if not any(p.is_file() for p in Path(path).rglob("*")):
        raise TruthError(BAD_TRUTH, "truth/ is empty: the scoring program needs the hidden files it reads.")
    return Path(path)


def score(truth: Path, submission: Path, options: ScoringOptions) -> Scores:
    if options.program is None:
        raise RuntimeError("a custom competition is scored by its program; the platform passes it in the options")
    return options.program(truth, submission)


def sample_submission(truth: Path) -> str:
    raise TruthError(BAD_TRUTH, "Only the organizers know what a valid file of their competition holds: put "
                                "public/sample_submission<suffix> in the bundle, or upload it on the Files tab.")


TASK = TaskType(
    name=NAME,
    label="Scored by the organizers' program",
    declared_metrics=(),  # each competition declares its own (`metrics:`)
    primary_metric="",
    truth_filename=TRUTH_FOLDER,
    submission_suffix=".csv",  # unless the competition's `submission: {suffix}` says otherwise
    load_truth=load_truth,
    score=score,
    sample_submission=sample_submission,
    truth_example="truth/ (a folder: any files, any formats; the program reads them at /input/truth/)",
    evaluation="Submissions are scored by the organizers' program; its metrics are listed above.",
    program=True,
)


METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}(\.[a-z0-9]{1,10})?$")
MAX_METRICS = 20


def declared_metrics(value: object) -> tuple[Metric, ...]:
    """A competition's `metrics:` read: `[{name, label, higher_is_better}, ...]`, the first the default ranking
    metric; ValueError says what is wrong."""
    if not isinstance(value, list) or not value:
        raise ValueError('metrics must be a list such as [{"name": "wer", "label": "WER", "higher_is_better": false}]')
    if len(value) > MAX_METRICS:
        raise ValueError(f"metrics declares {len(value)} metrics; at most {MAX_METRICS}")
    metrics: list[Metric] = []
    for number, entry in enumerate(value, start=1):
        where = f"metrics[{number}]"
        if not isinstance(entry, dict) or not {"name", "higher_is_better"} <= set(entry) \
                or set(entry) - {"name", "label", "higher_is_better", "description"}:
            raise ValueError(f"{where} must be a mapping of name, label, higher_is_better (and a description)")
        name, label, higher = entry["name"], entry.get("label", ""), entry["higher_is_better"]
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            raise ValueError(f"{where}: name must be lower-case letters, digits and _ (at most 40), starting with a "
                             "letter")
        if not isinstance(label, str) or len(label) > 60 or not isinstance(higher, bool):
            raise ValueError(f"{where}: label is text (at most 60 characters) and higher_is_better true or false")
        description = entry.get("description", "")
        if not isinstance(description, str) or len(description) > 500:
            raise ValueError(f"{where}: description is text of at most 500 characters")
        metrics.append(Metric(name, higher_is_better=higher, label=label, description=description,
                              bounds=(-math.inf, math.inf)))
    names = [metric.name for metric in metrics]
    if len(set(names)) != len(names):
        raise ValueError("metrics: each name once")
    return tuple(metrics)


def submission_suffix(value: object) -> str:
    """What participants upload (`submission: {suffix}`), such as `.json` or `.csv.gz`; ValueError if it is not one."""
    if not isinstance(value, str) or not SUFFIX.match(value):
        raise ValueError("submission suffix must be a file ending such as .csv, .json or .csv.gz (lower case)")
    return value
