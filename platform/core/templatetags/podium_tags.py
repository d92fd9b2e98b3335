"""Template helpers: safe Markdown, score and date formatting."""
from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

import markdown as markdown_lib
import nh3
from django import template
from django.utils import timezone
from django.utils.html import format_html
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


UTC_FORMAT = "%Y-%m-%d %H:%M UTC"


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """The one way a time is shown: UTC in the page, the viewer's own time zone once app.js runs, UTC on hover."""
    if value is None:
        return "—"
    utc = timezone.localtime(value, dt_timezone.utc) if timezone.is_aware(value) else value
    return format_html('<time datetime="{}">{}</time>', utc.isoformat(), utc.strftime(UTC_FORMAT))


@register.filter
def metric_title(competition: object, name: str) -> str:
    """A metric's label as its task type or its competition's `metrics:` declares it ("WER"), else its name."""
    try:
        return str(competition.task_type.metric(name).title)  # type: ignore[attr-defined]  # a Competition
    except (AttributeError, KeyError):
        return name


@register.filter
def get_item(mapping: dict | None, key: str) -> object:
    return (mapping or {}).get(key)


@register.filter
def filesize(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
