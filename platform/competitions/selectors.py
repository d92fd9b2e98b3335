"""Reads about competitions."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from competitions.models import Competition, CompetitionFile
from core.users import Viewer, signed_in
from workers.runtime.formats import model_formats


def competitions_visible(*, user: Viewer | None = None) -> QuerySet[Competition]:
    """Published competitions, and the drafts this user organizes (every draft for a superuser)."""
    published = Competition.objects.filter(published_at__isnull=False)
    if not signed_in(user):
        return published
    return Competition.objects.filter(Q(published_at__isnull=False) | Q(pk__in=competitions_managed_by(user=user).values("pk")))


@dataclass(frozen=True)
class CompetitionList:
    """The competitions page: drafts (for their organizers), active, upcoming and ended apart, after the filters."""

    drafts: Sequence[Competition]
    active: Sequence[Competition]
    upcoming: Sequence[Competition]
    ended: Sequence[Competition]
    task: str
    query: str

    @property
    def count(self) -> int:
        return len(self.drafts) + len(self.active) + len(self.upcoming) + len(self.ended)


def competition_list(*, user: Viewer | None, task: str = "", query: str = "",
                     now: datetime | None = None) -> CompetitionList:
    """What the competitions page lists, with each one's teams and submissions counted in the same query."""
    now = now or timezone.now()
    competitions = competitions_visible(user=user)
    if task:
        competitions = competitions.filter(task=task)
    query = query.strip()[:100]
    if query:
        competitions = competitions.filter(Q(title__icontains=query) | Q(subtitle__icontains=query)
                                           | Q(slug__icontains=query))
    counted = competitions.annotate(team_count=_count("teams", "competition"),
                                    submission_count=_count("submissions", "competition"))
    drafts, active, upcoming, ended = [], [], [], []
    for competition in counted.order_by("end_at", "slug"):
        if competition.is_draft:
            drafts.append(competition)
        elif competition.start_at > now:
            upcoming.append(competition)
        elif competition.end_at > now:
            active.append(competition)  # soonest to end first
        else:
            ended.append(competition)
    upcoming.sort(key=lambda c: c.start_at)
    ended.reverse()  # the most recently ended first
    return CompetitionList(drafts=drafts, active=active, upcoming=upcoming, ended=ended, task=task, query=query)


def _count(relation: str, back: str) -> Coalesce:
    """How many rows of a reverse relation a competition has, as a subquery (no join that multiplies rows)."""
    model = Competition._meta.get_field(relation).related_model
    assert model is not None and not isinstance(model, str)  # a reverse relation names its model
    rows = model._default_manager.filter(**{back: OuterRef("pk")}).order_by().values(back)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


def competition_visible(*, slug: str, user: Viewer | None) -> Competition | None:
    """The competition at `slug` if this user may see it: published, or a draft they organize."""
    competition = Competition.objects.filter(slug=slug).first()
    if competition is None or (competition.is_draft and not competition_managed_by(competition=competition, user=user)):
        return None
    return competition


def competition_or_404(*, slug: str, user: Viewer | None) -> Competition:
    competition = competition_visible(slug=slug, user=user)
    if competition is None:
        raise Http404("No such competition")  # a draft answers as if it did not exist
    return competition


def competition_files(*, competition: Competition) -> QuerySet[CompetitionFile]:
    return competition.files.all()


def competitions_managed_by(*, user: Viewer | None) -> QuerySet[Competition]:
    """Every competition for a superuser; for anyone else, the ones they organize (being staff is not enough)."""
    if not signed_in(user):
        return Competition.objects.none()
    if user.is_superuser:
        return Competition.objects.all()
    return Competition.objects.filter(organizers=user)


def competition_managed_by(*, competition: Competition, user: Viewer | None) -> bool:
    return competitions_managed_by(user=user).filter(pk=competition.pk).exists()


MAX_TEST_JSON_BYTES = 5 * 1024 * 1024


def competition_model_contract(*, competition: Competition) -> dict[str, object]:
    """What the Submit page tells a participant about models here: formats, contract, order, limits."""
    settings = competition.model_settings()
    return {
        "task": competition.task,
        "text": competition.task_type.model_contract,  # the task type's own words, for task types without a section here
        "formats": model_formats(),  # each format's label, as its module declares it
        "classes": list(competition.classes or []),
        "categories": _test_categories(competition) if competition.task == "detection" else [],
        "limit_mb": competition.model_upload_mb(),
        "wall_seconds": competition.model_limit("wall_seconds"),
        "memory_mb": competition.model_limit("memory_mb"),
        "max_length": settings.get("max_length", 512),
        "confidence": settings.get("confidence", 0.001),
        "iou": settings.get("iou", 0.7),
        "max_detections": settings.get("max_detections", 100),
    }


def _test_categories(competition: Competition) -> list[dict[str, object]]:
    """`categories` of the public test.json, in order: YOLO class index k is the k-th of them."""
    import json

    item = CompetitionFile.objects.filter(competition=competition, name="test.json").first()
    if item is None or item.size > MAX_TEST_JSON_BYTES:
        return []
    try:
        with item.file.open("rb") as handle:
            categories = json.loads(handle.read(MAX_TEST_JSON_BYTES)).get("categories", [])
        return [{"index": k, "id": int(c["id"]), "name": str(c.get("name", ""))[:80]} for k, c in enumerate(categories[:500])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []
