"""CSV exports for organizers: leaderboards (both boards) and every submission with every metric."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from competitions.models import Competition
from leaderboards.selectors import BOARDS, leaderboard_rows
from submissions.models import Submission


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralized(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (`=HYPERLINK(...)`), prefixed with ' as OWASP advises."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose text cells from participants (team names, descriptions, messages) never become formulas."""

    def __init__(self, buffer: io.StringIO) -> None:
        self.writer = csv.writer(buffer, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self.writer.writerow([neutralized(value) for value in row])


def leaderboard_csv(*, competitions: Iterable[Competition]) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(["competition", "phase", "board", "metric", "rank", "team", "score", "submission_count",
                     "last_submission_at"])
    for competition in competitions:
        metric = competition.ranking_metric
        for phase in [None, *competition.phases.all()]:  # a phase's boards after the single-stage ones (if any)
            for board in BOARDS:
                for entry in leaderboard_rows(competition=competition, board=board, phase=phase):
                    writer.writerow([competition.slug, phase.slug if phase else "", board, metric, entry.rank,
                                     entry.team, entry.score, entry.submission_count,
                                     entry.last_submission_at.isoformat()])
    return buffer.getvalue()


def submissions_csv(*, competitions: Iterable[Competition]) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    competitions = list(competitions)
    metrics = sorted({m for c in competitions for m in c.task_type.metrics})
    writer.writerow(["id", "competition", "phase", "team", "submitted_by", "kind", "status", "public_score", "private_score",
                     *[f"public_{m}" for m in metrics], *[f"private_{m}" for m in metrics], "error_code", "error_message",
                     "created_at", "scored_at", "duration_ms", "inference_ms", "selected", "file", "description"])
    rows = Submission.objects.filter(competition__in=competitions).select_related("competition", "team", "submitted_by",
                                                                                 "phase")
    for s in rows.order_by("competition__slug", "created_at"):
        writer.writerow(
            [
                s.pk,
                s.competition.slug,
                s.phase.slug if s.phase else "",
                s.team.name,
                s.submitted_by.get_username() if s.submitted_by else "",
                s.kind,
                s.status,
                s.public_score,
                s.private_score,
                *[s.public_scores.get(m) for m in metrics],
                *[s.private_scores.get(m) for m in metrics],
                s.error_code,
                s.error_message,
                s.created_at.isoformat(),
                s.scored_at.isoformat() if s.scored_at else "",
                s.duration_ms,
                s.inference_ms,
                s.selected,
                s.file.name,
                s.description,
            ]
        )
    return buffer.getvalue()
