"""Teams in the admin: members, submission history and moderation (hide, disqualify, reinstate: with a reason,
kept in the audit trail, reversible)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from competitions.admin_scope import OrganizerInline, OrganizerScopedAdmin
from core.admin_fields import UsernameField
from core.errors import PodiumError
from core.users import account_of
from submissions.admin import rounded
from submissions.models import Submission
from teams.models import DISQUALIFIED, HIDDEN, Membership, ModerationEntry, Team
from teams.services import team_moderate

MODERATION_ACTIONS = {
    "hide": (HIDDEN, "Hide from the boards",
             "Hidden teams leave both leaderboards (their submissions are kept and still scored) until reinstated."),
    "disqualify": (DISQUALIFIED, "Disqualify",
                   "Disqualified teams leave both leaderboards and may not submit, merge or leave; they see the reason."),
    "reinstate": ("", "Reinstate", "Reinstated teams are ranked again on both leaderboards."),
}


class MembershipForm(forms.ModelForm):
    user = UsernameField()

    class Meta:
        model = Membership
        fields = ["user", "rules_accepted_at"]


class MembershipInline(OrganizerInline, admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    fields = ["user", "rules_accepted_at", "joined_at"]
    readonly_fields = ["joined_at"]


class SubmissionHistoryInline(OrganizerInline, admin.TabularInline):
    """The team's submissions, newest first: read-only here; each links to its own page."""

    model = Submission
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]
    public = rounded("public_score", "Public score")
    private = rounded("private_score", "Private score")
    readonly_fields = ["created_at", "submitted_by", "kind", "status", "public", "private", "selected", "error_code"]
    fields = tuple(readonly_fields)
    verbose_name_plural = "submission history"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ModerationEntryInline(OrganizerInline, admin.TabularInline):
    model = ModerationEntry
    extra = 0
    can_delete = False
    readonly_fields = ["at", "moderation", "reason", "by"]
    fields = tuple(readonly_fields)
    verbose_name_plural = "moderation history"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(OrganizerScopedAdmin):
    list_display = ["name", "competition", "member_count", "submission_count", "moderation_label", "created_at"]
    list_filter = ["moderation", ("competition", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "memberships__user__username"]
    readonly_fields = ["moderation_label", "moderation_reason"]
    inlines = [MembershipInline, SubmissionHistoryInline, ModerationEntryInline]
    actions = ["hide", "disqualify", "reinstate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(
            members=Count("memberships", distinct=True), submissions_made=Count("submissions", distinct=True))

    @admin.display(description="Members", ordering="members")
    def member_count(self, team: Team) -> int:
        return team.members  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="Submissions", ordering="submissions_made")
    def submission_count(self, team: Team) -> str:
        url = reverse("admin:submissions_submission_changelist") + f"?team__id__exact={team.pk}"
        return format_html('<a href="{}">{}</a>', url, team.submissions_made)  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="Boards", ordering="moderation")
    def moderation_label(self, team: Team) -> str:
        return team.get_moderation_display()

    @admin.action(description="Hide from the boards…")
    def hide(self, request: HttpRequest, queryset: QuerySet[Team]) -> HttpResponse | None:
        return self._moderate(request, queryset, "hide")

    @admin.action(description="Disqualify…")
    def disqualify(self, request: HttpRequest, queryset: QuerySet[Team]) -> HttpResponse | None:
        return self._moderate(request, queryset, "disqualify")

    @admin.action(description="Reinstate on the boards…")
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Team]) -> HttpResponse | None:
        return self._moderate(request, queryset, "reinstate")

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Team], action: str) -> HttpResponse | None:
        """First a page asking why; then each team moderated, its boards updated, the reason recorded."""
        moderation, title, explanation = MODERATION_ACTIONS[action]
        reason, error = request.POST.get("reason", ""), ""
        if "apply" in request.POST:
            try:
                for team in queryset.select_related("competition"):
                    team_moderate(team=team, moderation=moderation, reason=reason, by=account_of(request))
            except PodiumError as exc:
                error = exc.message
            else:
                self.message_user(request, f"{title}: {queryset.count()} team(s). The boards are updated.",
                                  messages.SUCCESS)
                return None
        context = {**self.admin_site.each_context(request), "title": title, "explanation": explanation,
                   "teams": queryset.select_related("competition"), "action": action, "reason": reason,
                   "error": error, "opts": self.model._meta}
        return render(request, "admin/teams/team/moderate.html", context)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for membership in formset.save(commit=False):
            membership.competition_id = form.instance.competition_id
            membership.save()
        formset.save_m2m()
        for obj in formset.deleted_objects:
            obj.delete()
