"""Reads about competitions."""
from __future__ import annotations

from django.db.models import QuerySet

from competitions.models import Competition, CompetitionFile


def competitions_visible() -> QuerySet[Competition]:
    return Competition.objects.all()


def competition_files(*, competition: Competition) -> QuerySet[CompetitionFile]:
    return competition.files.all()
