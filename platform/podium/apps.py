from __future__ import annotations

from django.apps import AppConfig


class PodiumConfig(AppConfig):
    name = "podium"
    default_auto_field = "django.db.models.BigAutoField"
