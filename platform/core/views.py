"""Error pages: JSON `{"error": {"code", "message"}}` under /api/, HTML elsewhere."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.errors import PodiumError


def error_response(request: HttpRequest, status: int, code: str, message: str, template: str = "error.html") -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return render(request, template, {"status": status, "message": message}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, PodiumError.NOT_FOUND, f"Nothing at {request.path}.", "error.html")


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500, PodiumError.SERVER_ERROR, "Something went wrong on our side; it has been logged.", "error.html")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400, PodiumError.BAD_REQUEST, "The request could not be understood.", "error.html")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403, PodiumError.FORBIDDEN, "You are not allowed to see this.", "error.html")
