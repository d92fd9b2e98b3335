"""Uploads above the limit are refused from their headers, before the body is read.

(Against gunicorn, with a body never sent: tests/integration/test_production_stack.py.)
"""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from rest_framework.test import APIClient

from submissions.models import Submission

pytestmark = pytest.mark.django_db


def test_a_declared_length_over_the_competitions_limit_is_a_413_before_reading(competition, alice_joined) -> None:
    api = APIClient()
    api.force_authenticate(alice_joined.user)
    body = io.BytesIO(b"never read")
    response = api.generic("POST", "/api/v1/competitions/topic/submissions/", data=b"", content_type=MULTIPART_CONTENT,
                           CONTENT_LENGTH=str(60 * 1024 * 1024), **{"wsgi.input": body})
    assert response.status_code == 413 and response.json()["error"]["code"] == "too-large"
    assert "50 MB" in response.json()["error"]["message"]
    assert body.tell() == 0, "the body was read"
    assert not Submission.objects.exists()


def test_a_real_multipart_upload_over_the_limit_is_refused(competition, alice_joined) -> None:
    competition.max_submission_mb = 1
    competition.save()
    api = APIClient()
    api.force_authenticate(alice_joined.user)
    big = SimpleUploadedFile("big.csv", b"id,label\n" + b"x" * (3 * 1024 * 1024), content_type="text/csv")
    refused = api.post("/api/v1/competitions/topic/submissions/", {"file": big, "kind": "predictions"}, format="multipart")
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too-large"
    assert not Submission.objects.exists()


def test_the_site_wide_limit_applies_to_every_form(settings) -> None:
    settings.PODIUM_MAX_UPLOAD_MB = 1
    response = Client().generic("POST", "/accounts/signup/", data=b"", content_type=MULTIPART_CONTENT,
                                CONTENT_LENGTH=str(2 * 1024 * 1024), **{"wsgi.input": io.BytesIO(b"")})
    assert response.status_code == 413 and b"limit" in response.content
