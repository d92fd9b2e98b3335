"""Webhooks in the admin: set on a competition's page; each delivery's attempts and outcome listed."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from competitions.admin_scope import OrganizerInline, OrganizerScopedAdmin
from notifications.models import ORGANIZER_KINDS, Webhook, WebhookDelivery


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="https://… that accepts a JSON POST.")
    events = forms.MultipleChoiceField(choices=list(ORGANIZER_KINDS.items()), widget=forms.CheckboxSelectMultiple,
                                       required=False, help_text="None ticked: every event.")

    class Meta:
        model = Webhook
        fields = ["url", "events", "active", "secret"]


class WebhookInline(OrganizerInline, admin.StackedInline):
    model = Webhook
    form = WebhookForm
    extra = 0
    readonly_fields = ["secret"]
    fields = ["url", "events", "active", "secret"]
    verbose_name_plural = "webhooks (signed JSON POSTs of organizer events, retried with backoff)"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizerScopedAdmin):
    competition_path = "webhook__competition"
    list_display = ["created_at", "event", "webhook", "attempts", "last_status", "delivered_at", "last_error"]
    list_filter = ["event", ("webhook__competition", admin.RelatedOnlyFieldListFilter)]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
