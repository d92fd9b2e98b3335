"""`python -m scoring score --task TASK --truth PATH --submission PATH`.

Prints {"public": {...}, "private": {...}} and exits 0, or prints
{"error": {"code", "message"}} and exits 2 for an invalid file.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scoring.errors import ScoringError
from scoring.registry import TASKS, get_task, score_file
from scoring.tasktype import ScoringOptions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score a submission file against a truth file")
    score.add_argument("--task", required=True, choices=sorted(TASKS))
    score.add_argument("--truth", required=True, type=Path)
    score.add_argument("--submission", required=True, type=Path)
    score.add_argument("--classes", default="", help="comma-separated class names (text-classification)")
    score.add_argument("--max-bytes", type=int, default=None, help="refuse larger submissions")
    args = parser.parse_args(argv)
    for path in (args.truth, args.submission):
        if not path.is_file():
            parser.error(f"no such file: {path}")
    options = ScoringOptions(
        classes=tuple(name for name in args.classes.split(",") if name), max_bytes=args.max_bytes
    )
    try:
        scores = score_file(get_task(args.task), args.truth, args.submission, options)
    except ScoringError as exc:
        print(json.dumps({"error": exc.as_dict()}))
        return 2
    print(json.dumps(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
