"""Uploads above the limit are refused from their headers, before the body is read.

The limit is PODIUM_MAX_UPLOAD_MB for any request. On the two submission
endpoints it is the competition's own: the larger of `max_submission_mb` and,
where it takes models, `max_model_mb` (capped by PODIUM_MAX_MODEL_MB), a little
more for the multipart envelope and the form fields; the service then holds
each kind to its own limit. A draft's own limit is used only for those who may
see the draft (its organizers, by session or API token): for anyone else the
answer is the one for a slug that does not exist, so it tells nothing. Django reads a body only
up to its declared Content-Length (a body of undeclared length reads as
empty), so answering 413 from that header means nothing larger is ever read.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from core.errors import PodiumError
from core.users import Viewer
from core.views import error_response

SUBMISSION_VIEWS = {"api-submissions", "submission-new"}
ENVELOPE_BYTES = 64 * 1024


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> HttpResponse | None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        limit_mb = self._limit_mb(request, kwargs)
        limit = limit_mb * 1024 * 1024 + ENVELOPE_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > limit:
            return error_response(request, 413, PodiumError.TOO_LARGE,
                                  f"The upload is {int(declared) / 1e6:.1f} MB; the limit here is {limit_mb} MB.")
        return None

    @staticmethod
    def _limit_mb(request: HttpRequest, kwargs: dict[str, Any]) -> int:
        match = request.resolver_match
        if match is not None and match.url_name in SUBMISSION_VIEWS and "slug" in kwargs:
            from competitions.selectors import competition_visible

            competition = competition_visible(slug=kwargs["slug"], user=_viewer(request))
            if competition is not None:
                models_too = "model" in (competition.submission_kinds or [])
                return max(min(competition.max_submission_mb, settings.PODIUM_MAX_UPLOAD_MB),
                           competition.model_upload_mb() if models_too else 0)
        return settings.PODIUM_MAX_UPLOAD_MB


def _viewer(request: HttpRequest) -> Viewer | None:
    """Who is asking: the API token's user where the request carries one (DRF reads it only in the view)."""
    if request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
        from rest_framework.exceptions import AuthenticationFailed

        from accounts.authentication import ApiTokenAuthentication

        try:
            found = ApiTokenAuthentication().authenticate(request)  # type: ignore[arg-type]  # it reads only the header
        except AuthenticationFailed:
            return None
        return found[0] if found and isinstance(found[0], User) else None
    user: Viewer | None = getattr(request, "user", None)
    # Read the session whether or not the slug is a draft: otherwise only a draft's answer would say Vary: Cookie.
    getattr(user, "is_authenticated", False)
    return user
