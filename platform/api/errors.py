"""Every API error as {"error": {"code": ..., "message": ...}} with a fitting status."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import PodiumError

_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not-authenticated",
    exceptions.AuthenticationFailed: "bad-credentials",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "method-not-allowed",
    exceptions.NotAcceptable: "not-acceptable",
    exceptions.UnsupportedMediaType: "unsupported-media-type",
    exceptions.Throttled: "rate-limited",
    exceptions.ParseError: "bad-request",
}


def error_response(code: str, message: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response({"error": {"code": code, "message": message}}, status=status_code, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PodiumError):
        return error_response(exc.code, exc.message, exc.status, exc.headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.APIException):
        return response  # DRF answers only its own exceptions (and the two turned into them above)
    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", _validation_message(exc.detail)
    else:
        code = _CODES.get(type(exc)) or str(exc.default_code).replace("_", "-")
        message = str(exc.detail)
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        message = f"Too many attempts; try again in {wait:.0f} seconds." if wait else "Too many attempts."
    response.data = {"error": {"code": code, "message": message}}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response


def _validation_message(detail: Any, prefix: str = "") -> str:
    if isinstance(detail, dict):
        return "; ".join(_validation_message(value, f"{prefix}{key}: ") for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_validation_message(item, prefix) for item in detail)
    return f"{prefix}{detail}"
