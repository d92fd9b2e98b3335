"""The OpenAPI schema is generated from the code and every response agrees with it.

A property-based run (schemathesis) sends generated requests to every operation,
as an authenticated participant, and checks: no 5xx, and status code, content
type and body all as the schema documents them.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from podium.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> None:
    """Calling the WSGI app directly fires request_finished, which would close the test's
    transaction; Django's test client disconnects the same handlers."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(competition, alice, alice_joined) -> str:
    """A participant with a running competition, files and a scored submission to read."""
    from accounts.services import token_issue
    from submissions.models import Submission

    Submission.objects.create(competition=competition, team=alice_joined.team, file="x.csv", status="scored",
                              public_score=0.5, private_score=0.4, public_scores={"accuracy": 0.5, "macro_f1": 0.4})
    return token_issue(user=alice, name="schemathesis")[1]


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("submissions.dispatch.submission_enqueue", lambda *, submission_id: None)
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_anonymous_callers_without_a_server_error(case, competition) -> None:
    """The same operations with no credentials (huge page numbers, odd slugs and ids included)."""
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance])
