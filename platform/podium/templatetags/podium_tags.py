"""Template helpers: safe Markdown and score formatting."""
from __future__ import annotations

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render organizer-written Markdown, stripping anything that could run script."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"])
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitized by nh3 just above


@register.filter
def score(value: float | None, digits: int = 5) -> str:
    if value is None:
        return "—"
    if value == -1.0:
        return "n/a"  # COCO's marker for a metric with nothing to measure (no large boxes, say)
    return f"{value:.{digits}f}"


@register.filter
def get_item(mapping: dict | None, key: str) -> object:
    return (mapping or {}).get(key)


@register.filter
def filesize(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
