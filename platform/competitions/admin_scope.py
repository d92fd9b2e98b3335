"""Admin pages scoped to the competitions a staff user organizes (superusers see everything).

Every model admin that shows competition data derives from `OrganizerScopedAdmin`
and names the path from its model to the competition: lists, change pages,
actions, custom views (they go through `get_queryset`), the competition filter
and the competition drop-downs all stop at the organizer's own competitions.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from competitions.selectors import competitions_managed_by


class OrganizerScopedAdmin(admin.ModelAdmin):
    competition_path = "competition"  # from this admin's model to its Competition

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.competition_path}__in": competitions_managed_by(user=request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "competition":
            kwargs["queryset"] = competitions_managed_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
