"""Submissions in the admin: file, status, timing and error at a glance."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from competitions.admin_scope import OrganizerScopedAdmin
from core.storage import stored_name
from core.users import account_of
from submissions.models import Rescore, Submission
from submissions.recovery import submissions_retry
from submissions.results import PLATFORM_ERROR
from submissions.services import submissions_rescore


def rounded(field: str, label: str) -> Callable[[object, object], str]:
    """A list column showing a score to 4 decimals (the full value stays on the change page and in exports)."""
    @admin.display(description=label, ordering=field)
    def show(self: object, obj: object) -> str:
        value = getattr(obj, field)
        return "—" if value is None else f"{value:.4f}"
    return show


@admin.register(Submission)
class SubmissionAdmin(OrganizerScopedAdmin):
    public = rounded("public_score", "Public score")
    private = rounded("private_score", "Private score")
    list_display = ["id", "competition", "team", "kind", "status", "stage", "public", "private",
                    "error_code", "created_at", "duration_ms", "inference_ms", "selected"]
    list_filter = ["status", "kind", "error_code", ("competition", admin.RelatedOnlyFieldListFilter)]
    actions = ["rescore_selected", "retry_platform_errors"]
    search_fields = ["team__name", "description", "error_code"]
    readonly_fields = [
        "competition",
        "team",
        "submitted_by",
        "kind",
        "file_download",
        "original_name",
        "status",
        "public_score",
        "private_score",
        "public_scores",
        "private_scores",
        "error_code",
        "error_message",
        "program_version",
        "scoring_log",
        "created_at",
        "enqueued_at",
        "started_at",
        "scored_at",
        "duration_ms",
        "attempt",
        "task_id",
        "worker",
        "requeues",
        "stage",
        "progress",
        "inference_ms",
        "inference_device",
        "predictions_file",
    ]
    list_select_related = ["competition", "team"]
    exclude = ["file"]

    @admin.action(description="Rescore the selected submissions (old and new scores kept under Rescores)")
    def rescore_selected(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = submissions_rescore(submissions=queryset, requested_by=account_of(request))
        skipped = queryset.count() - count
        note = f"; {skipped} still pending or without predictions, left alone" if skipped else ""
        self.message_user(request, f"{count} submissions queued for scoring again{note}.")

    @admin.action(description="Run again (submissions that failed with platform-error)")
    def retry_platform_errors(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        ids = list(queryset.filter(error_code=PLATFORM_ERROR).values_list("pk", flat=True))
        count = submissions_retry(submission_ids=ids)
        skipped = queryset.count() - count
        note = f"; {skipped} left alone (only platform errors are run again)" if skipped else ""
        self.message_user(request, f"{count} submissions queued again{note}.")

    @admin.display(description="File")
    def file_download(self, submission: Submission) -> str:
        url = reverse("admin:submissions_submission_file", args=[submission.pk])
        return format_html(
            '<a href="{}">{}</a> ({})',
            url,
            submission.original_name or submission.file.name,
            filesizeformat(submission.file.size)
            if submission.file and submission.file.storage.exists(stored_name(submission.file))
            else "missing",
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [path("<int:submission_id>/file/", self.admin_site.admin_view(self.download), name="submissions_submission_file")]
        return extra + super().get_urls()

    def download(self, request: HttpRequest, submission_id: int) -> FileResponse:
        """The uploaded file, for the competition's organizers (media files are never served directly)."""
        submission = self.get_queryset(request).filter(pk=submission_id).first()
        if submission is None:
            raise Http404("No such submission")
        return FileResponse(submission.file.open("rb"), as_attachment=True, filename=submission.original_name)


@admin.register(Rescore)
class RescoreAdmin(OrganizerScopedAdmin):
    """The audit trail of re-scoring: each submission's old and new result."""

    competition_path = "submission__competition"
    old_public = rounded("old_public_score", "Old public")
    old_private = rounded("old_private_score", "Old private")
    new_public = rounded("new_public_score", "New public")
    new_private = rounded("new_private_score", "New private")
    list_display = [
        "submission",
        "requested_at",
        "requested_by",
        "old_status",
        "old_public",
        "old_private",
        "old_program_version",
        "new_status",
        "new_public",
        "new_private",
        "new_program_version",
        "finished_at",
    ]
    list_filter = [("submission__competition", admin.RelatedOnlyFieldListFilter)]
    readonly_fields = [f.name for f in Rescore._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
