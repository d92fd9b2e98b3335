"""Refuse form values and query parameters holding NUL bytes: no database stores them (PostgreSQL
refuses them outright), and no field of Podium's has a use for them. Files may hold any byte."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from core.errors import PodiumError
from core.views import error_response

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        # Runs after the upload limit's check (settings.MIDDLEWARE order): a refused body is never parsed.
        values = list(request.GET.lists())
        if request.method == "POST" and request.content_type in FORM_TYPES:
            values += list(request.POST.lists())
        if any("\x00" in key or any("\x00" in value for value in items) for key, items in values):
            return error_response(request, 400, PodiumError.INVALID, "A form value or query parameter holds a NUL byte.")
        return None
