"""Parsed truth files, kept in memory per worker process.

Parsing a large truth file costs more than scoring against it, so a worker
keeps the last few it parsed, keyed by the file's storage name, size and
modification time: replacing the truth invalidates the entry.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from competitions.models import Competition, Phase
from core.storage import local_path, stored_name

_CACHE: OrderedDict[tuple[object, ...], Any] = OrderedDict()
_MAX_ENTRIES = 8


def load_truth(competition: Competition, phase: Phase | None = None) -> Any:
    """The parsed truth of the competition, or of one of its phases (each phase has its own); where the organizers'
    program scores, the folder of hidden files it reads."""
    if competition.scored_by_program:
        from competitions.programs import truth_folder

        return competition.task_type.load_truth(truth_folder(competition, phase), competition.scoring_options())
    truth_file = phase.truth_file if phase is not None else competition.truth_file
    storage, name = truth_file.storage, stored_name(truth_file)
    options = competition.scoring_options()
    key = (competition.task, name, storage.size(name), storage.get_modified_time(name), options.classes,
           options.ranking_metric)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    with local_path(storage, name) as path:
        truth = competition.task_type.load_truth(path, options)
    _CACHE[key] = truth
    while len(_CACHE) > _MAX_ENTRIES:
        _CACHE.popitem(last=False)
    return truth
