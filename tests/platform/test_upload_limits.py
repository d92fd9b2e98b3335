"""Uploads above the limit are refused from their headers, before the body is read.

(Against uvicorn, with a body never sent: tests/integration/test_production_stack.py.)
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


def test_models_have_their_own_limit_and_prediction_files_keep_theirs(competition, alice_joined, settings) -> None:
    competition.submission_kinds = ["predictions", "model"]
    competition.max_submission_mb, competition.max_model_mb = 1, 3
    competition.save()
    api = APIClient()
    api.force_authenticate(alice_joined.user)
    two_mb = b"PK\x03\x04" + b"\0" * (2 * 1024 * 1024)  # a zip's first bytes: the upload's first check passes
    model = api.post("/api/v1/competitions/topic/submissions/",
                     {"file": SimpleUploadedFile("model.zip", two_mb), "kind": "model"}, format="multipart")
    assert model.status_code == 201, model.content[:300]
    csv = api.post("/api/v1/competitions/topic/submissions/",
                   {"file": SimpleUploadedFile("big.csv", b"id,label\n" + b"x" * (2 * 1024 * 1024)), "kind": "predictions"},
                   format="multipart")
    assert csv.status_code == 413 and "prediction files of at most 1 MB" in csv.json()["error"]["message"]
    # Over the model limit: refused from the declared length, before the body is read.
    body = io.BytesIO(b"never read")
    response = api.generic("POST", "/api/v1/competitions/topic/submissions/", data=b"", content_type=MULTIPART_CONTENT,
                           CONTENT_LENGTH=str(4 * 1024 * 1024), **{"wsgi.input": body})
    assert response.status_code == 413 and "3 MB" in response.json()["error"]["message"] and body.tell() == 0
    # The platform's cap bounds what a competition may set.
    settings.PODIUM_MAX_MODEL_MB = 1
    capped = api.post("/api/v1/competitions/topic/submissions/",
                      {"file": SimpleUploadedFile("model.zip", two_mb), "kind": "model"}, format="multipart")
    assert capped.status_code == 413 and "limit here is 1 MB" in capped.json()["error"]["message"]
    assert Submission.objects.count() == 1


def test_the_default_model_limit_takes_a_bert_base_export(competition) -> None:
    from competitions.models import Competition

    assert Competition._meta.get_field("max_model_mb").default == 2048
    assert competition.model_upload_mb() * 1024 * 1024 > 440 * 1000 * 1000
