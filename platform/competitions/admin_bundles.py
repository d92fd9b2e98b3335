"""Bundles in the admin: importing a .zip (administrators, and organizers for their own competitions), exporting
a competition as one, and the small example bundle of each task type offered beside the truth field."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from competitions.admin_scope import organizes_any
from competitions.bundles import BundleError, competition_export_bundle, competition_import_bundle
from competitions.demo_data import example_bundle_zip, example_tasks
from competitions.models import Competition
from competitions.selectors import competitions_managed_by
from core.users import account_of


class BundleUploadForm(forms.Form):
    bundle = forms.FileField(help_text="A .zip of a competition bundle: competition.yaml, truth, public/ …")


def bundle_import_view(request: HttpRequest, model_admin: Any) -> HttpResponse:
    """Upload a bundle .zip: validated whole, then imported (or nothing changes and every problem is listed).
    An organizer imports bundles of the competitions they organize, and becomes an organizer of what is imported."""
    if not (request.user.is_superuser or organizes_any(request)):
        raise PermissionDenied("Only administrators and organizers import bundles.")
    managed = set(competitions_managed_by(user=request.user).values_list("slug", flat=True))
    may_import = None if request.user.is_superuser else managed.__contains__  # organizers: their own slugs
    form = BundleUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
            for chunk in form.cleaned_data["bundle"].chunks():
                copy.write(chunk)
            copy.flush()
            warnings: list[str] = []
            try:
                competition, created = competition_import_bundle(path=Path(copy.name), organizer=account_of(request),
                                                                 may_import=may_import, warnings=warnings)
            except BundleError as exc:
                problems = exc.problems
            else:
                messages.success(request, f"{'Created' if created else 'Updated'} {competition.slug}.")
                for warning in warnings:
                    messages.warning(request, warning)
                return redirect("admin:competitions_competition_change", competition.pk)
    context = {**model_admin.admin_site.each_context(request), "form": form, "problems": problems,
               "title": "Import a competition bundle", "opts": Competition._meta}
    return render(request, "admin/competitions/competition/import.html", context)


def bundle_download(competition: Competition) -> HttpResponse:
    """The competition as a bundle .zip that imports back to it."""
    with tempfile.TemporaryDirectory() as folder:
        content = competition_export_bundle(competition=competition, path=Path(folder) / "bundle.zip").read_bytes()
    return _zip_response(content, f"{competition.slug}.zip")


def example_bundle_download(task: str) -> HttpResponse:
    """A small valid bundle of this task type (a few hundred KB), generated now: a template to start from."""
    if task not in example_tasks():
        raise Http404("No such task type")
    with tempfile.TemporaryDirectory() as folder:
        content = example_bundle_zip(task, Path(folder) / "example.zip").read_bytes()
    return _zip_response(content, f"example-{task}.zip")


def _zip_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
