"""Pagination that keeps list bodies as plain arrays (SPEC section 5): `?page=&page_size=`,
with the total in `X-Total-Count` and next/prev pages in a `Link` header (RFC 8288)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.errors import PodiumError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PAGE = 10_000_000  # far past any list; a larger number would overflow the database's OFFSET
PARAMETERS = [
    OpenApiParameter("page", int, description="1-based page number (default 1)."),
    OpenApiParameter("page_size", int, description=f"Items per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."),
]


def _positive(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 12 or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        limit = f" and at most {maximum}" if maximum else ""
        raise PodiumError(PodiumError.INVALID, f"{name}: must be a whole number of at least 1{limit}.")
    return int(raw)


def paginated(request: Request, items: QuerySet[Any] | Sequence[Any], serialize: Any) -> Response:
    page = _positive(request, "page", 1, MAX_PAGE)
    size = _positive(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    total = items.count() if isinstance(items, QuerySet) else len(items)
    start = (page - 1) * size
    response = Response(serialize(items[start:start + size]))
    response["X-Total-Count"] = str(total)
    links = []
    url = request.build_absolute_uri()
    if start + size < total:
        links.append(f'<{replace_query_param(url, "page", page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{replace_query_param(url, "page", page - 1)}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return response
