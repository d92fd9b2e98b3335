from __future__ import annotations

from django import forms
from django.contrib import admin

from competitions.admin_fields import UsernameField
from competitions.admin_scope import OrganizerScopedAdmin
from teams.models import Membership, Team


class MembershipForm(forms.ModelForm):
    user = UsernameField()

    class Meta:
        model = Membership
        fields = ["user", "rules_accepted_at"]


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    fields = ["user", "rules_accepted_at", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Team)
class TeamAdmin(OrganizerScopedAdmin):
    list_display = ["name", "competition", "created_at"]
    list_filter = [("competition", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        for membership in formset.save(commit=False):
            membership.competition_id = form.instance.competition_id
            membership.save()
        formset.save_m2m()
        for obj in formset.deleted_objects:
            obj.delete()
