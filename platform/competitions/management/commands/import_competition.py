"""Create or update a competition from a bundle folder or .zip (SPEC section 4)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from competitions.bundles import BundleError, competition_import_bundle


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        try:
            competition, created = competition_import_bundle(path=path)
        except BundleError as exc:
            raise CommandError(
                "The bundle was not imported; nothing changed. Problems:\n" + "\n".join(f"  - {p}" for p in exc.problems)
            ) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} competition {competition.slug!r}: {competition.title}"))
