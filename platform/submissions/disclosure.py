"""What a team is shown of its own submission: where its models read hidden inputs, only what the platform says.

A model that reads test inputs its team cannot download could print them, put them in an exception, or write
them as labels that the scorer then quotes back. So where a competition's model inputs are not public
(`Competition.model_inputs_hidden`), a team sees of a model submission its scores, its error code and the
platform's own message for that code, as Kaggle's code competitions do; the model's log and the full message
are kept for the organizers (the admin). Where the inputs are public, teams see both unless the organizers
turned logs off (`show_model_logs`).
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from core.errors import PodiumError
from workers.programs import PROGRAM_ERROR
from workers.runtime import ModelFailure


class Submission(Protocol):
    """What this module reads of a submission (submissions.models.Submission, which calls it: no import back)."""

    kind: str
    status: str
    error_code: str
    error_message: str
    model_log: str
    competition: Any

# Written by the platform, never by a model: safe to show whatever the model did.
PLATFORM_MESSAGES = {
    ModelFailure.TIMEOUT: "The model ran past its time limit on the hidden test inputs and was stopped.",
    ModelFailure.MEMORY: "The model used more memory than its limit on the hidden test inputs and was stopped.",
    ModelFailure.ERROR: "The model failed on the hidden test inputs. What it printed is kept for the organizers.",
}
# Codes whose message the platform writes before any model runs (the package check) or about itself.
OWN_MESSAGES = {ModelFailure.UNSUPPORTED, PodiumError.PLATFORM_ERROR, PROGRAM_ERROR}
# Never shown to a participant, whatever the competition: what the organizers' scoring program printed
# (`Submission.scoring_log`), which may quote the hidden files; the admin shows it to the organizers.


def inputs_hidden(submission: Submission) -> bool:
    return submission.kind == "model" and submission.competition.model_inputs_hidden


def shown_error_message(submission: Submission) -> str:
    if not submission.error_code or not inputs_hidden(submission) or submission.error_code in OWN_MESSAGES:
        return submission.error_message
    return PLATFORM_MESSAGES.get(submission.error_code,
                                 f"The model's predictions were refused ({submission.error_code}). "
                                 "The details are kept for the organizers.")


def overlay_shown(submission: Submission, image_tasks: Collection[str]) -> bool:
    """The predictions drawn on a test image: a picture the model painted, so never where its inputs are hidden."""
    return submission.status == "scored" and submission.competition.task in image_tasks and not inputs_hidden(submission)


def shown_model_log(submission: Submission) -> str:
    if inputs_hidden(submission) or not submission.competition.show_model_logs:
        return ""
    return submission.model_log
