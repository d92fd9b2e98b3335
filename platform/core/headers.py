"""Security headers on every answer: a Content-Security-Policy and a Permissions-Policy.

Scripts and styles come from this site only (the pages' one script is static/podium/app.js;
inline style attributes are allowed); images also from `data:` (charts, thumbnails) and any
https URL, since organizers' Markdown may embed images hosted elsewhere. The Swagger UI page
(`/api/docs/`) runs its own inline bootstrap script, so that page alone allows inline scripts.
Referrer-Policy comes from Django's SecurityMiddleware (`SECURE_REFERRER_POLICY`).
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = ("default-src 'self'; script-src 'self'{inline}; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
          "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
          "frame-ancestors 'none'")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
INLINE_SCRIPT_PATHS = ("/api/docs/",)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        inline = " 'unsafe-inline'" if request.path.startswith(INLINE_SCRIPT_PATHS) else ""
        response.headers.setdefault("Content-Security-Policy", POLICY.format(inline=inline))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        return response
