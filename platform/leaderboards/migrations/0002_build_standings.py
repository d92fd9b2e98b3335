"""Build the kept standings of every existing competition (from its scored submissions)."""
from __future__ import annotations

from django.db import migrations


def build(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    # The rules are written once (leaderboards/standings.py), so this uses the live code, and only
    # where there is something to build: a new database never imports it.
    ids = list(apps.get_model("competitions", "Competition").objects.values_list("pk", flat=True))
    if not ids:
        return
    from competitions.models import Competition
    from leaderboards.standings import standings_rebuild

    for competition in Competition.objects.filter(pk__in=ids):
        standings_rebuild(competition=competition)


class Migration(migrations.Migration):
    dependencies = [("leaderboards", "0001_initial")]
    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
