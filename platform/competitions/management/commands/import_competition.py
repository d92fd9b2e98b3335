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
        parser.add_argument("--publish", action="store_true",
                            help="Publish it after the readiness check (else a new competition is a draft).")

    def handle(self, *args: Any, path: Path, publish: bool = False, **options: Any) -> None:
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        try:
            competition, created = competition_import_bundle(path=path, publish=publish)
        except BundleError as exc:
            raise CommandError(
                "The bundle was not imported; nothing changed. Problems:\n" + "\n".join(f"  - {p}" for p in exc.problems)
            ) from None
        verb = "Created" if created else "Updated"
        state = "a draft: only its organizers see it; publish it in the admin or import again with --publish" \
            if competition.is_draft else "published"
        self.stdout.write(self.style.SUCCESS(f"{verb} competition {competition.slug!r}: {competition.title} ({state})"))
