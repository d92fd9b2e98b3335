"""Seed the demo: generated competitions, baseline teams with scored submissions, and logins."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand

from competitions.bundles import competition_import_bundle
from competitions.demo_data import ADMIN, PARTICIPANT, all_bundles
from competitions.models import Competition
from submissions.models import Submission
from submissions.results import submission_score
from teams.services import membership_join



class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        admin = self._user(*ADMIN, staff=True)
        self._user(*PARTICIPANT, staff=False)
        demo_dir = Path(settings.VAR_DIR) / "demo"
        for bundle in all_bundles(demo_dir):
            competition, _ = competition_import_bundle(path=bundle.path)
            competition.organizers.add(admin)
            for team_name, predictions in bundle.baselines.items():
                self._baseline(competition, team_name, predictions)
            self.stdout.write(f"Seeded {competition.slug}: {competition.title}")
        self.stdout.write(self.style.SUCCESS(
            f"Admin login: {ADMIN[0]} / {ADMIN[1]}   Participant login: {PARTICIPANT[0]} / {PARTICIPANT[1]}"
        ))

    def _user(self, username: str, password: str, *, staff: bool) -> Any:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
        return user

    def _baseline(self, competition: Competition, team_name: str, predictions: Path) -> None:
        username = team_name.lower().replace(" ", "-")
        # Nobody logs in as a baseline team: a random password, never printed (a guessable one would be a
        # way into any demo left reachable).
        user = self._user(username, secrets.token_urlsafe(24), staff=False)
        membership = membership_join(competition=competition, user=user, accept_rules=True)
        if membership.team.name != team_name:
            membership.team.name = team_name
            membership.team.save(update_fields=["name"])
        if Submission.objects.filter(team=membership.team).exists():
            return
        with open(predictions, "rb") as handle:
            submission = Submission(
                competition=competition, team=membership.team, submitted_by=user,
                original_name=predictions.name, description="Baseline",
            )
            submission.file.save(predictions.name, File(handle), save=True)
        # Scored here, synchronously: the demo starts with a populated leaderboard.
        submission_score(submission_id=submission.pk, task_id=f"seed-{submission.pk}")
