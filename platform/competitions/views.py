"""Competition pages: list, overview, data, evaluation, rules and joining."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from PIL import UnidentifiedImageError

from competitions.data_files import data_entries, data_zip_response
from competitions.evaluation import default_evaluation
from competitions.services import competition_readiness
from competitions.images import IMAGE_TASKS, test_image_files, thumbnail_png
from competitions.models import ACTIVE, ENDED, Competition, phase_at, task_choices
from teams.models import DISQUALIFIED
from competitions.selectors import competition_files, competition_or_404
from competitions.selectors import competition_list as competition_list_of
from core.errors import PodiumError
from core.redirects import safe_next
from core.users import SignedInRequest
from scoring import TASKS
from submissions.selectors import quota_for_team
from teams.selectors import membership_get, membership_has_access
from teams.services import membership_join


def competition_context(request: HttpRequest, competition: Competition, tab: str) -> dict[str, Any]:
    """What every tab of a competition page shows in its header."""
    membership = membership_get(competition=competition, user=request.user)
    state = competition.state()
    phase = phase_at(competition)
    return {
        "phase_now": phase,
        "competition": competition,
        "task": competition.task_type,
        "state": state,
        "tab": tab,
        "membership": membership,
        "has_access": membership_has_access(competition=competition, membership=membership),
        "can_submit": (state == ACTIVE or (state == ENDED and competition.late_submissions))
        and not (membership and membership.team.moderation == DISQUALIFIED),
        "disqualified": bool(membership and membership.team.moderation == DISQUALIFIED),
        "quota": quota_for_team(competition=competition, team=membership.team, phase=phase) if membership else None,
        # Only organizers reach a draft's pages: they see what publishing still needs.
        "readiness": competition_readiness(competition=competition) if competition.is_draft else [],
    }


def competition_list(request: HttpRequest) -> HttpResponse:
    task = request.GET.get("task", "")
    listing = competition_list_of(user=request.user, task=task if task in TASKS else "", query=request.GET.get("q", ""))
    return render(request, "competitions/list.html", {"listing": listing, "tasks": task_choices(),
                                                      "sections": [("Your drafts", listing.drafts),
                                                                   ("Active", listing.active),
                                                                   ("Upcoming", listing.upcoming),
                                                                   ("Ended", listing.ended)]})


def competition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "overview")
    context["phases"] = list(competition.phases.all())  # the schedule, where it has phases
    return render(request, "competitions/overview.html", context)


def competition_data(request: HttpRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "data")
    files = list(competition_files(competition=competition))
    context["entries"] = data_entries(files=files, previews=context["has_access"])
    context["total_size"] = sum(item.size for item in files)
    context["file_count"] = len(files)
    context["thumbnails"] = test_image_files(competition=competition) if context["has_access"] else []
    context["image_task"] = competition.task in IMAGE_TASKS
    return render(request, "competitions/data.html", context)


def competition_thumbnail(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """A small PNG of one public image, for members who accepted the rules."""
    competition = competition_or_404(slug=slug, user=request.user)
    membership = membership_get(competition=competition, user=request.user)
    if not membership_has_access(competition=competition, membership=membership):
        raise Http404("Join the competition to see its images")
    item = get_object_or_404(competition.files, name=name)
    try:
        thumbnail = thumbnail_png(item)
    except (UnidentifiedImageError, OSError):
        raise Http404("Not an image") from None
    response = HttpResponse(thumbnail, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def competition_data_zip(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Every public file in one zip, streamed as it is written, for members who accepted the rules."""
    competition = competition_or_404(slug=slug, user=request.user)
    membership = membership_get(competition=competition, user=request.user)
    if not membership_has_access(competition=competition, membership=membership):
        raise Http404("Join the competition to download its data")
    return data_zip_response(competition)


def competition_evaluation(request: HttpRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "evaluation")
    context["evaluation"] = competition.evaluation or default_evaluation(competition)
    return render(request, "competitions/evaluation.html", context)


def competition_rules(request: HttpRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    return render(request, "competitions/rules.html", competition_context(request, competition, "rules"))


@login_required
@require_POST
def competition_join(request: SignedInRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    try:
        membership_join(competition=competition, user=request.user, accept_rules=request.POST.get("accept_rules") == "on")
    except PodiumError as exc:
        messages.error(request, exc.message)
        return redirect("competition-rules", slug=slug)
    messages.success(request, f"You have joined {competition.title}. Good luck!")
    return redirect(safe_next(request, request.POST.get("next"), competition.get_absolute_url()))
