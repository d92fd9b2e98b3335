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
        parser.add_argument("--organizer", action="append", default=[], metavar="USERNAME",
                            help="Make this account one of its organizers (repeat for several): they manage it in "
                                 "the admin and hear of it.")

    def handle(self, *args: Any, path: Path, publish: bool = False, organizer: list[str] | None = None,
               **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if not path.exists():
            raise CommandError(f"{path} does not exist")
        accounts = []
        for name in organizer or []:
            account = get_user_model().objects.filter(username=name).first()
            if account is None:
                raise CommandError(f"No account is named {name!r}; nothing was imported.")
            accounts.append(account)
        try:
            warnings: list[str] = []
            competition, created = competition_import_bundle(path=path, publish=publish, warnings=warnings)
            competition.organizers.add(*accounts)
        except BundleError as exc:
            raise CommandError(
                "The bundle was not imported; nothing changed. Problems:\n" + "\n".join(f"  - {p}" for p in exc.problems)
            ) from None
        verb = "Created" if created else "Updated"
        state = "a draft: only its organizers see it; publish it in the admin or import again with --publish" \
            if competition.is_draft else "published"
        self.stdout.write(self.style.SUCCESS(f"{verb} competition {competition.slug!r}: {competition.title} ({state})"))
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
