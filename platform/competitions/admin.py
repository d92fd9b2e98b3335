"""Organizers manage competitions here; a truth file is validated when uploaded."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from competitions.models import Competition, CompetitionFile
from competitions.services import truth_validate
from scoring import TruthError, get_task


class CompetitionForm(forms.ModelForm):
    class Meta:
        model = Competition
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end, reveal = cleaned.get("start_at"), cleaned.get("end_at"), cleaned.get("reveal_at")
        if start and end and end <= start:
            self.add_error("end_at", "The end must come after the start.")
        if reveal and end and reveal < end:
            self.add_error("reveal_at", "Private scores cannot be revealed before the end.")
        kinds = cleaned.get("submission_kinds") or []
        if not isinstance(kinds, list) or not kinds or any(k not in ("predictions", "model") for k in kinds):
            self.add_error("submission_kinds", 'Use a list drawn from "predictions" and "model".')
        truth = cleaned.get("truth_file")
        if truth and "truth_file" in self.changed_data and cleaned.get("task"):
            try:
                truth_validate(task=get_task(cleaned["task"]), file=truth, classes=cleaned.get("classes") or None)
            except TruthError as exc:
                self.add_error("truth_file", f"{exc.code}: {exc.message}")
        return cleaned


class CompetitionFileInline(admin.TabularInline):
    model = CompetitionFile
    extra = 1
    fields = ["name", "file", "description", "size"]
    readonly_fields = ["size"]


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    form = CompetitionForm
    list_display = ["title", "slug", "task", "start_at", "end_at", "state_label", "submission_count"]
    list_filter = ["task"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["organizers"]
    inlines = [CompetitionFileInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "subtitle", "task", "organizers"]}),
        ("Pages (Markdown)", {"fields": ["overview", "evaluation", "rules"]}),
        ("Schedule", {"fields": ["start_at", "end_at", "reveal_at"]}),
        ("Submissions", {"fields": ["submission_kinds", "daily_submission_limit", "max_submission_mb",
                                    "max_team_size", "final_selection_limit", "classes", "model_limits"]}),
        ("Ground truth", {"fields": ["truth_file"]}),
    ]

    @admin.display(description="State")
    def state_label(self, competition: Competition) -> str:
        return competition.state()

    @admin.display(description="Submissions")
    def submission_count(self, competition: Competition) -> int:
        return competition.submissions.count()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Competition]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organizers=request.user)
