"""Discussion topics and reports in the admin, for the competitions an organizer manages."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from competitions.admin_scope import OrganizerScopedAdmin
from discussions.models import Report, Topic


@admin.register(Topic)
class TopicAdmin(OrganizerScopedAdmin):
    list_display = ["title", "competition", "author", "announcement", "pinned", "locked", "hidden", "reply_count",
                    "last_post_at"]
    list_filter = ["announcement", "pinned", "locked", "hidden"]
    search_fields = ["title"]
    fields = ["title", "pinned", "locked", "hidden"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # topics start on the Discussion tab, where their first post is written


@admin.register(Report)
class ReportAdmin(OrganizerScopedAdmin):
    competition_path = "post__topic__competition"
    list_display = ["post", "reporter", "reason", "created_at"]
    readonly_fields = ["post", "reporter", "reason", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
