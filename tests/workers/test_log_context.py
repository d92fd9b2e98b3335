"""Log lines name a submission only for the tasks that work on one (core/logs.py, workers/app.py)."""
from __future__ import annotations

import logging

import pytest

from core.logs import SubmissionFilter
from workers import names
from workers.app import _bind_submission, _unbind_submission, app

app.loader.import_default_modules()  # every task a worker registers (workers/app.py `imports`)


def _tag_during(task_name: str, args: tuple, kwargs: dict | None = None) -> object:
    """The submission a log record gets while the named task runs with these arguments."""
    _bind_submission(task_id="t1", task=app.tasks[task_name], args=args, kwargs=kwargs or {})
    try:
        record = logging.LogRecord("podium", logging.ERROR, __file__, 1, "boom", None, None)
        SubmissionFilter().filter(record)
        return record.submission
    finally:
        _unbind_submission(task_id="t1")


@pytest.mark.parametrize("task_name", [names.SCORE_SUBMISSION, names.INFERENCE_PROGRESS, names.INFERENCE_FINISHED])
def test_a_task_on_a_submission_tags_its_lines_with_it(task_name: str) -> None:
    assert _tag_during(task_name, (42, 1, 2) if task_name == names.INFERENCE_PROGRESS else (42, {})) == 42


def test_a_model_job_tags_its_lines_with_its_submission() -> None:
    assert _tag_during(names.RUN_INFERENCE, ({"submission_id": 7, "model": "x"},)) == 7


def test_a_submission_passed_by_keyword_tags_its_lines() -> None:
    assert _tag_during(names.SCORE_SUBMISSION, (), {"submission_id": 9}) == 9


@pytest.mark.parametrize("task_name", [names.DELIVER_WEBHOOK, names.SEND_NOTIFICATION_EMAIL, names.PROGRAM_DRY_RUN])
def test_a_webhook_an_email_or_a_dry_run_is_not_tagged_as_a_submission(task_name: str) -> None:
    assert _tag_during(task_name, (1,)) == "-"


def test_the_tag_is_gone_once_the_task_ends() -> None:
    _tag_during(names.SCORE_SUBMISSION, (5,))
    record = logging.LogRecord("podium", logging.INFO, __file__, 1, "after", None, None)
    SubmissionFilter().filter(record)
    assert record.submission == "-"
