"""Admin pages scoped to the competitions a staff user organizes (superusers see everything).

Every model admin that shows competition data derives from `OrganizerScopedAdmin`
and names the path from its model to the competition: lists, change pages,
actions, custom views (they go through `get_queryset`), the competition filter
and the competition drop-downs all stop at the organizer's own competitions.

Organizing is the permission: a staff user added to a competition's organizers (by username) may view and
change what belongs to it, with no model permission granted by hand; Django's permissions still add to it (a
superuser, or a staff user given them). Adding competitions and deleting rows stay Django's permissions; the
inlines of a competition (its phases, files, webhooks) and of a team are its organizers' to add, change and delete.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from competitions.selectors import competitions_managed_by


def organizes_any(request: HttpRequest) -> bool:
    """A staff user who organizes at least one competition (whose admin pages are then scoped to them)."""
    user = request.user
    return bool(user.is_active and user.is_staff) and competitions_managed_by(user=user).exists()


class OrganizerScopedAdmin(admin.ModelAdmin):
    competition_path = "competition"  # from this admin's model to its Competition

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or organizes_any(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._organizes(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or self._organizes(request, obj)

    def _organizes(self, request: HttpRequest, obj: Any) -> bool:
        """Its organizer: for a row, of the row's own competition (the list and the pages are scoped already)."""
        if not organizes_any(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.competition_path}__in": competitions_managed_by(user=request.user)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "competition":
            kwargs["queryset"] = competitions_managed_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OrganizerInline:
    """An inline of a competition's or a team's page: its organizers add, change and delete the rows. The page
    itself is scoped (OrganizerScopedAdmin), so `obj`, the parent, is one of theirs."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or organizes_any(request)  # type: ignore[misc]  # a mixin: InlineModelAdmin follows it

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) or organizes_any(request)  # type: ignore[misc]  # a mixin: InlineModelAdmin follows it

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or organizes_any(request)  # type: ignore[misc]  # a mixin: InlineModelAdmin follows it

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) or organizes_any(request)  # type: ignore[misc]  # a mixin: InlineModelAdmin follows it
