"""Write a competition back as a bundle folder (or a .zip when PATH ends in .zip)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from competitions.bundles import competition_export_bundle
from competitions.models import Competition


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug")
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, slug: str, path: Path, **options: Any) -> None:
        competition = Competition.objects.filter(slug=slug).first()
        if competition is None:
            raise CommandError(f"no competition {slug!r}")
        written = competition_export_bundle(competition=competition, path=path)
        self.stdout.write(self.style.SUCCESS(f"Wrote {competition.slug} to {written}"))
