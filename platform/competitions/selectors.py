"""Reads about competitions."""
from __future__ import annotations

from django.db.models import QuerySet

from competitions.models import Competition, CompetitionFile


def competitions_visible() -> QuerySet[Competition]:
    return Competition.objects.all()


def competition_files(*, competition: Competition) -> QuerySet[CompetitionFile]:
    return competition.files.all()


def competitions_managed_by(*, user: object) -> QuerySet[Competition]:
    """Every competition for a superuser; for anyone else, the ones they organize (being staff is not enough)."""
    if not getattr(user, "is_authenticated", False):
        return Competition.objects.none()
    if getattr(user, "is_superuser", False):
        return Competition.objects.all()
    return Competition.objects.filter(organizers=user)


def competition_managed_by(*, competition: Competition, user: object) -> bool:
    return competitions_managed_by(user=user).filter(pk=competition.pk).exists()
