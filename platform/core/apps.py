from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor every app builds on: errors, storage, cache, events, fragments, logs, outbound HTTP.

    An app so that its template tags and static files are found; it has no models and imports no other app.
    """

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
