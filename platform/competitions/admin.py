"""Organizers manage competitions here.

A truth file is validated when uploaded; actions generate a sample submission,
re-score every submission (keeping an audit trail), and export leaderboards and
submissions as CSV; a bundle (.zip) can be imported from the list page.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from competitions.admin_fields import MetricSelect, ModelLimitsField
from competitions.admin_scope import OrganizerInline, OrganizerScopedAdmin
from competitions.admin_bundles import bundle_download, bundle_import_view, example_bundle_download
from competitions.admin_programs import clean_program, program_trial_view, program_upload_field, versions_table
from core.admin_fields import KeptFileInput, LinesField, UsernamesField
from competitions.exports import leaderboard_csv, submissions_csv
from competitions.limits import model_limits_problem
from competitions.models import Competition, CompetitionFile, Phase, metric_choices, metric_tasks, task_choices
from competitions.programs import program_save
from competitions.selectors import competitions_managed_by
from competitions.services import (competition_publish, competition_readiness, competition_write_sample_submission,
                                   truth_validate)
from notifications.admin import WebhookInline
from core.errors import PodiumError
from core.users import account_of
from core.templatetags.podium_tags import markdown
from scoring import TASKS, TruthError, get_task
from submissions.services import competition_rescore


class CompetitionForm(forms.ModelForm):
    organizers = UsernamesField(required=False)
    task = forms.ChoiceField(choices=task_choices, help_text="The task type (each one is a plug-in: docs/extending.md).")
    metric = forms.ChoiceField(choices=metric_choices, required=False, widget=MetricSelect(metric_tasks()),
                               help_text=Competition._meta.get_field("metric").help_text)
    submission_kinds = forms.MultipleChoiceField(
        choices=[("predictions", "Predictions files"), ("model", "Models (run in the sandbox)")],
        widget=forms.CheckboxSelectMultiple, help_text="What participants may submit.")
    classes = LinesField(required=False, label="Classes",
                         help_text="Text classification: one class per line, in the order models output them "
                                   "(empty: the truth's labels, sorted).")
    model_limits = ModelLimitsField(label="Model limits and settings",
                                    help_text="Empty boxes keep the platform's defaults.")
    scoring_program = program_upload_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program_folder: tempfile.TemporaryDirectory[str] | None = None
        if "truth_file" in self.fields:
            self.fields["truth_file"].help_text = truth_formats_help()
        declared = self.instance.metrics if self.instance.pk and self.instance.scored_by_program else []
        if "metric" in self.fields and isinstance(declared, list):  # a program's metrics may rank too
            names = [entry["name"] for entry in declared if isinstance(entry, dict) and isinstance(entry.get("name"), str)]
            field = self.fields["metric"]
            field.choices = [*metric_choices(), *((name, f"{name} (declared)") for name in names)]  # type: ignore[attr-defined]  # a ChoiceField

    class Meta:
        model = Competition
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end, reveal = cleaned.get("start_at"), cleaned.get("end_at"), cleaned.get("reveal_at")
        if start and end and end <= start:
            self.add_error("end_at", "The end must come after the start.")
        if reveal and end and reveal < end:
            self.add_error("reveal_at", "Private scores cannot be revealed before the end.")
        kinds = cleaned.get("submission_kinds") or []
        if not isinstance(kinds, list) or not kinds or any(k not in ("predictions", "model") for k in kinds):
            self.add_error("submission_kinds", 'Use a list drawn from "predictions" and "model".')
        elif "model" in kinds and cleaned.get("task") in TASKS and not get_task(cleaned["task"]).accepts_models:
            self.add_error("submission_kinds", f"{cleaned['task']} competitions take predictions files only.")
        metric, task = cleaned.get("metric"), cleaned.get("task")
        task_type = get_task(task) if task in TASKS else None
        if task_type is not None and task_type.program:
            task_type = clean_program(self, task_type)
        if metric and task_type is not None and metric not in task_type.rankable():
            self.add_error("metric", f"{metric} does not rank {task} competitions; choose among "
                                     f"{', '.join(task_type.rankable())} (or leave it empty for the primary).")
        problem = model_limits_problem(cleaned.get("model_limits"))
        if problem:
            self.add_error("model_limits", problem)
        truth = cleaned.get("truth_file")
        if truth and "truth_file" in self.changed_data and cleaned.get("task"):
            try:
                truth_validate(task=get_task(cleaned["task"]), file=truth, classes=cleaned.get("classes") or None)
            except TruthError as exc:
                self.add_error("truth_file", f"{exc.code}: {exc.message}")
        return cleaned


def truth_formats_help() -> str:
    """Beside the truth field: each task's format with a small example, and a whole example bundle to download."""
    parts = []
    for name, task in TASKS.items():
        bundle = reverse("admin:competitions_competition_example", kwargs={"task": name})
        download = format_html('<a href="{}">Download an example bundle ({})</a>', bundle, name) if task.demo else ""
        parts.append(format_html(
            '<details data-task="{}"><summary>{} — <code>{}</code></summary><pre>{}</pre>{}</details>',
            name, task.label, task.truth_filename, task.truth_example, download))
    intro = ("Hidden from participants. Usage is Public or Private (which leaderboard a row counts for); "
             "every row or image of the test set appears once. Formats: docs/bundles.md.")
    return format_html('<div class="truth-formats">{}{}</div>', intro, mark_safe("".join(parts)))  # noqa: S308


KEEP_UPLOADS: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
    models.FileField: {"widget": KeptFileInput}
}  # a validation error elsewhere loses no file


class PhaseForm(forms.ModelForm):
    submission_kinds = forms.MultipleChoiceField(
        choices=[("predictions", "Predictions"), ("model", "Models")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: the competition's.",
    )

    class Meta:
        model = Phase
        fields = [
            "order",
            "name",
            "slug",
            "start_at",
            "end_at",
            "truth_file",
            "daily_submission_limit",
            "submission_kinds",
            "carry_selected",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start_at"), cleaned.get("end_at")
        if start and end and end <= start:
            self.add_error("end_at", "A phase ends after it starts.")
        truth, competition = cleaned.get("truth_file"), getattr(self.instance, "competition", None)
        if truth and "truth_file" in self.changed_data and competition is not None and competition.pk:
            try:
                truth_validate(task=competition.task_type, file=truth, classes=competition.classes or None)
            except TruthError as exc:
                self.add_error("truth_file", f"{exc.code}: {exc.message}")
        return cleaned


class PhaseInline(OrganizerInline, admin.StackedInline):
    """Phases (optional): none means Kaggle's single stage, the competition's own dates and truth."""

    model = Phase
    form = PhaseForm
    extra = 0
    formfield_overrides = KEEP_UPLOADS
    verbose_name_plural = "phases (optional: leave empty for a single stage)"


class CompetitionFileInline(OrganizerInline, admin.TabularInline):
    formfield_overrides = KEEP_UPLOADS
    model = CompetitionFile
    extra = 1
    fields = ["name", "file", "description", "size"]
    readonly_fields = ["size"]


@admin.register(Competition)
class CompetitionAdmin(OrganizerScopedAdmin):
    competition_path = "pk"  # the competition itself
    form = CompetitionForm
    formfield_overrides = KEEP_UPLOADS
    change_list_template = "admin/competitions/competition/change_list.html"
    actions = ["publish", "generate_sample_submission", "rescore_all_submissions", "export_bundle", "test_webhooks",
               "export_leaderboards", "export_submissions"]
    readonly_fields = ["publication", "evaluation_preview", "program_versions"]
    list_display = ["title", "slug", "task", "start_at", "end_at", "published_label", "state_label", "submission_count"]
    list_filter = ["task"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [PhaseInline, CompetitionFileInline, WebhookInline]
    fieldsets = [
        (None, {"fields": ["publication", "title", "slug", "subtitle", "task", "metric", "organizers"]}),
        ("Pages (Markdown)", {"fields": ["overview", "evaluation", "evaluation_preview", "rules"]}),
        ("Schedule", {"fields": ["start_at", "end_at", "reveal_at", "merger_deadline"]}),
        (
            "Submissions",
            {
                "fields": [
                    "submission_kinds",
                    "daily_submission_limit",
                    "max_pending_submissions",
                    "late_submissions",
                    "max_submission_mb",
                    "max_model_mb",
                    "max_team_size",
                    "final_selection_limit",
                    "classes",
                    "model_limits",
                    "show_model_logs",
                    "daily_upload_mb",
                ]
            },
        ),
        ("Ground truth", {"fields": ["truth_file"]}),
        ("Scoring program (task custom: SPEC section 9)", {
            "classes": ["scoring-program"],
            "fields": ["metrics", "submission_suffix", "scoring_limits", "scoring_program", "program_versions"],
        }),
    ]

    @admin.display(description="Scoring program versions")
    def program_versions(self, competition: Competition) -> str:
        return versions_table(competition)

    def save_model(self, request: HttpRequest, obj: Competition, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        folder = getattr(form, "program_folder", None)
        if folder is not None:
            with folder:
                program = program_save(competition=obj, folder=Path(folder.name), user=account_of(request))
            self.message_user(request, f"Scoring program version {program.version}: its dry runs go to a programs "
                                       "worker; their results appear under Scoring program versions.", messages.INFO)

    @admin.display(description="Published", boolean=True)
    def published_label(self, competition: Competition) -> bool:
        return not competition.is_draft

    @admin.display(description="Publication")
    def publication(self, competition: Competition) -> str:
        if not competition.pk:
            return "A draft: only its organizers will see it until it is published."
        preview = reverse("competition-detail", kwargs={"slug": competition.slug})
        if not competition.is_draft:
            return format_html(
                'Published {} UTC. <a href="{}" target="_blank">See its pages</a>.', f"{competition.published_at:%Y-%m-%d %H:%M}", preview
            )
        missing = competition_readiness(competition=competition)
        needs = (
            format_html("Needs before publishing: {}.", "; ".join(missing))
            if missing
            else "Ready: publish it with the action “Publish” on the list of competitions."
        )
        return format_html(
            'A draft, seen only by its organizers. <a href="{}" target="_blank">Preview its pages</a> as participants will see them. {}',
            preview,
            needs,
        )

    @admin.action(description="Publish (after the readiness check)")
    def publish(self, request: HttpRequest, queryset: QuerySet[Competition]) -> None:
        for competition in queryset:
            try:
                competition_publish(competition=competition)
            except PodiumError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{competition.slug} is published.", messages.SUCCESS)

    @admin.display(description="State")
    def state_label(self, competition: Competition) -> str:
        return competition.state()

    @admin.display(description="Submissions")
    def submission_count(self, competition: Competition) -> int:
        return competition.submissions.count()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Competition]:
        return admin.ModelAdmin.get_queryset(self, request).filter(pk__in=competitions_managed_by(user=request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:  # whoever creates a competition organizes it, whatever the Organizers field said
            form.instance.organizers.add(request.user)

    @admin.display(description="Evaluation page")
    def evaluation_preview(self, competition: Competition) -> str:
        if not competition.pk:
            return "Save first to preview."
        url = reverse("competition-evaluation", kwargs={"slug": competition.slug})
        return format_html(
            '<a href="{}" target="_blank">Preview the evaluation page</a> (the default text is used when the field is empty)', url
        )

    @admin.action(description="Generate sample_submission from the truth")
    def generate_sample_submission(self, request: HttpRequest, queryset: QuerySet[Competition]) -> None:
        for competition in queryset:
            if not competition.truth_file:
                self.message_user(request, f"{competition.slug}: upload a truth file first.", messages.ERROR)
                continue
            item = competition_write_sample_submission(competition=competition)
            self.message_user(request, f"{competition.slug}: wrote public/{item.name}.", messages.SUCCESS)

    @admin.action(description="Rescore all submissions (after a truth fix)")
    def rescore_all_submissions(self, request: HttpRequest, queryset: QuerySet[Competition]) -> None:
        for competition in queryset:
            count = competition_rescore(competition=competition, requested_by=account_of(request))
            self.message_user(
                request,
                f"{competition.slug}: {count} submissions re-enqueued; old and new scores are kept under Submissions › Rescores.",
                messages.SUCCESS,
            )

    @admin.action(description="Export as a bundle (.zip: competition.yaml, truth, public files; imports back)")
    def export_bundle(self, request: HttpRequest, queryset: QuerySet[Competition]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose one competition to export as a bundle.", messages.ERROR)
            return None
        return bundle_download(queryset.get())

    @admin.action(description="Send a test event to its webhooks")
    def test_webhooks(self, request: HttpRequest, queryset: QuerySet[Competition]) -> None:
        from notifications.organizers import webhooks_test

        for competition in queryset:
            sent = webhooks_test(competition=competition)
            self.message_user(request, f"{competition.slug}: a test event sent to {sent} webhooks; see Webhook "
                                       "deliveries for what each answered." if sent else
                                       f"{competition.slug} has no active webhook.",
                              messages.SUCCESS if sent else messages.WARNING)
        site, here = settings.PODIUM_SITE_URL.rstrip("/"), request.build_absolute_uri("/").rstrip("/")
        if urlsplit(site).netloc != urlsplit(here).netloc:
            self.message_user(request, f"Links in webhooks and emails point at {site} (PODIUM_SITE_URL), but this site "
                                       f"answers at {here}: set PODIUM_SITE_URL to the address participants use.",
                              messages.WARNING)

    @admin.action(description="Export leaderboards (public and private) as CSV")
    def export_leaderboards(self, request: HttpRequest, queryset: QuerySet[Competition]) -> HttpResponse:
        return _csv_response(leaderboard_csv(competitions=queryset), "leaderboards.csv")

    @admin.action(description="Export all submissions as CSV")
    def export_submissions(self, request: HttpRequest, queryset: QuerySet[Competition]) -> HttpResponse:
        return _csv_response(submissions_csv(competitions=queryset), "submissions.csv")

    class Media:
        css = {"all": ["podium/admin.css"]}
        js = ["podium/admin.js"]

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> HttpResponse:
        context["markdown_preview_url"] = reverse("admin:competitions_competition_preview")
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path("import/", self.admin_site.admin_view(self.import_bundle), name="competitions_competition_import"),
            path("preview-markdown/", self.admin_site.admin_view(self.preview_markdown), name="competitions_competition_preview"),
            path("example-bundle/<str:task>.zip", self.admin_site.admin_view(self.example_bundle), name="competitions_competition_example"),
            path("<int:competition_id>/program-trial/", self.admin_site.admin_view(self.program_trial),
                 name="competitions_competition_program_trial"),
        ]
        return extra + super().get_urls()

    def program_trial(self, request: HttpRequest, competition_id: int) -> HttpResponse:
        """Run the current scoring program on an organizer's file, without a submission (admin_programs.py)."""
        return program_trial_view(request, competition_id, self.get_queryset(request))

    def preview_markdown(self, request: HttpRequest) -> HttpResponse:
        """Organizer Markdown rendered and sanitized as the public pages render it (POST text, at most 200 KB)."""
        if request.method != "POST":
            return HttpResponse(status=405)
        return HttpResponse(markdown(request.POST.get("text", "")[:200_000]), content_type="text/html; charset=utf-8")

    def example_bundle(self, request: HttpRequest, task: str) -> HttpResponse:
        return example_bundle_download(task)

    def import_bundle(self, request: HttpRequest) -> HttpResponse:
        return bundle_import_view(request, self)


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
