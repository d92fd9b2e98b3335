"""Default evaluation text for each task type, used when the organizer writes none; it names the chosen metric.

The words come from the task type's declaration: the ranking metric's description and the task's
`evaluation` text (what is reported and what to submit).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from competitions.models import Competition


def default_evaluation(competition: Competition) -> str:
    task = competition.task_type
    metric = task.metric(competition.ranking_metric)
    direction = "higher" if metric.higher_is_better else "lower"
    ranked = f"Submissions are ranked by {metric.description or f'**{metric.title}**'} ({direction} is better)."
    return (
        f"{ranked} {task.evaluation}\n\nEvery submission is scored on a public and a private part "
        "of the test set. The public leaderboard shows the public score during the competition; the final ranking "
        "uses the private score, revealed when the competition ends."
    )
