"""Parsed truth files, kept in memory per worker process.

Parsing a large truth file costs more than scoring against it, so a worker
keeps the last few it parsed, keyed by the file's path, size and modification
time: replacing the truth invalidates the entry.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

from competitions.models import Competition

_CACHE: OrderedDict[tuple[object, ...], Any] = OrderedDict()
_MAX_ENTRIES = 8


def load_truth(competition: Competition) -> Any:
    path = competition.truth_file.path
    stat = os.stat(path)
    options = competition.scoring_options()
    key = (competition.task, path, stat.st_size, stat.st_mtime_ns, options.classes)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    truth = competition.task_type.load_truth(path, options)
    _CACHE[key] = truth
    while len(_CACHE) > _MAX_ENTRIES:
        _CACHE.popitem(last=False)
    return truth
