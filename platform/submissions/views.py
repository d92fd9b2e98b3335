"""Submission pages: the submit form, "my submissions" (live), and one submission."""
from __future__ import annotations

from collections.abc import AsyncIterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render

from competitions.images import IMAGE_TASKS, overlay_png
from competitions.models import Competition
from competitions.selectors import competition_model_contract, competition_or_404
from competitions.views import competition_context
from leaderboards.charts import Series, best_so_far, chart_svg
from core import events
from core.errors import PodiumError
from core.fragments import fragment_response
from core.users import SignedInRequest
from submissions import states
from submissions.disclosure import overlay_shown
from submissions.models import Submission
from submissions.selectors import (private_scores_visible, queue_places, submission_visible_to, submissions_for_team,
                                   upload_quota_for_team)
from submissions.intake import submission_create
from submissions.services import submission_select
from teams.selectors import membership_get


@login_required
def submission_new(request: SignedInRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "submit")
    if "model" in (competition.submission_kinds or []):
        context["contract"] = competition_model_contract(competition=competition)
    if context["membership"] is not None:
        context["upload_quota"] = upload_quota_for_team(competition=competition, team=context["membership"].team)
    if request.method == "POST" and context["has_access"]:
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to upload.")
        else:
            try:
                submission_create(
                    user=request.user,
                    competition=competition,
                    file=upload,
                    kind=request.POST.get("kind", "predictions"),
                    description=request.POST.get("description", ""),
                )
            except PodiumError as exc:
                messages.error(request, exc.message)
                return render(request, "submissions/new.html", context, status=exc.status)
            messages.success(request, "Submission received. It is being scored; this page updates by itself.")
            return redirect("my-submissions", slug=slug)
    return render(request, "submissions/new.html", context)


def _my_submissions(request: HttpRequest, competition: Competition) -> list[Submission]:
    membership = membership_get(competition=competition, user=request.user)
    if membership is None:
        return []
    return list(submissions_for_team(competition=competition, team=membership.team))


@login_required
def my_submissions(request: SignedInRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "submissions")
    context.update(_submissions_table(request, competition))
    context["history_chart"] = _history_chart(competition, context["submissions"])
    return render(request, "submissions/list.html", context)


def _history_chart(competition: Competition, submissions: list[Submission]) -> str:
    """This team's public scores over time, with the best-so-far line."""
    points = [(s.created_at, s.public_score) for s in submissions if s.status == states.SCORED and s.public_score is not None]
    higher = competition.higher_is_better
    metric = competition.ranking_metric
    return chart_svg([Series("best so far", best_so_far(points, higher)), Series("submissions", points, dots=True, step=False)],
                     title=f"Your public {metric} over time",
                     bounds=competition.task_type.metric(metric).bounds)


@login_required
def my_submissions_fragment(request: SignedInRequest, slug: str) -> HttpResponse:
    """The table alone, for live polling; answers 304 when nothing changed."""
    competition = competition_or_404(slug=slug, user=request.user)
    table = _submissions_table(request, competition)
    return fragment_response(request, "submissions/_table.html", {"competition": competition, **table}, table["fingerprint"])


def _submissions_table(request: HttpRequest, competition: Competition) -> dict[str, object]:
    submissions = _my_submissions(request, competition)
    places = queue_places(submissions=submissions)
    for submission in submissions:
        submission.queue_place = places.get(submission.pk)  # type: ignore[attr-defined]  # for the template's row
    return {
        "submissions": submissions,
        "private_visible": private_scores_visible(competition=competition, user=request.user),
        "pending": any(not s.is_final for s in submissions),
        "fingerprint": [(s.pk, s.status, s.stage, s.progress, s.selected) for s in submissions]
                       + [(pk, place.position, place.eta_seconds) for pk, place in places.items()],
    }


@login_required
def submission_detail(request: SignedInRequest, submission_id: int) -> HttpResponse:
    submission = get_object_or_404(Submission.objects.select_related("competition", "team"), pk=submission_id)
    if not submission_visible_to(submission=submission, user=request.user):
        raise Http404("No such submission")
    competition = submission.competition
    if request.method == "POST":
        try:
            submission_select(submission=submission, selected=request.POST.get("selected") == "1")
        except PodiumError as exc:
            messages.error(request, exc.message)
        return redirect("submission-detail", submission_id=submission.pk)
    context = competition_context(request, competition, "submissions")
    context.update(
        submission=submission,
        queue_place=queue_places(submissions=[submission]).get(submission.pk),
        has_overlay=overlay_shown(submission, IMAGE_TASKS),
        private_visible=private_scores_visible(competition=competition, user=request.user),
        metrics=competition.task_type.metrics,
        submission_state=submission_state(submission),  # the competition's `state` stays the badge's
        per_class=sorted((submission.public_details or {}).items()),
        per_class_columns=list(next(iter((submission.public_details or {}).values()), {})),
    )
    return render(request, "submissions/detail.html", context)


@login_required
def submission_overlay(request: SignedInRequest, submission_id: int) -> HttpResponse:
    """One public test image with this submission's predictions drawn on it (PNG)."""
    submission = get_object_or_404(Submission.objects.select_related("competition", "team"), pk=submission_id)
    if not submission_visible_to(submission=submission, user=request.user) or not overlay_shown(submission, IMAGE_TASKS):
        raise Http404("No such submission")
    png = overlay_png(submission=submission)
    if png is None:
        raise Http404("No image to show")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _stream_team(request: HttpRequest, *, slug: str | None = None, submission_id: int | None = None) -> int:
    """The team whose changes this stream carries: the viewer's own (or, for one submission, its team)."""
    if not request.user.is_authenticated:
        raise Http404
    if submission_id is not None:
        submission = Submission.objects.select_related("competition", "team").filter(pk=submission_id).first()
        if submission is None or not submission_visible_to(submission=submission, user=request.user):
            raise Http404("No such submission")
        return submission.team_id
    competition = competition_or_404(slug=slug or "", user=request.user)
    membership = membership_get(competition=competition, user=request.user)
    if membership is None:
        raise Http404
    return membership.team_id


async def _changes(team_id: int) -> AsyncIterator[bytes]:
    """A `changed` event each time a submission of the team moves; the page then fetches what it shows."""
    channel = events.team_channel(team_id)
    mark = events.hub.mark(channel)
    yield events.sse_frame("", event="changed")  # whatever moved between the page and this stream
    while True:
        if await events.hub.wait(channel, mark, events.KEEPALIVE_SECONDS):
            mark = events.hub.mark(channel)
            yield events.sse_frame("", event="changed")
        else:
            yield b": keepalive\n\n"


async def my_submissions_events(request: HttpRequest, slug: str) -> HttpResponseBase:
    if not events.streams_served(request):
        return events.no_stream()
    team_id = await events.database_call(_stream_team)(request, slug=slug)
    return events.sse_response(_changes(team_id))


def submission_state(submission: Submission) -> str:
    """What the submission page shows of a pending submission; the page reloads when it moves."""
    progress = "" if submission.progress is None else f"{submission.progress:.2f}"
    return f"{submission.status}:{submission.stage}:{progress}"


def _state_of(submission_id: int) -> str:
    submission = Submission.objects.filter(pk=submission_id).only("status", "stage", "progress").first()
    return submission_state(submission) if submission else "gone"


async def submission_events(request: HttpRequest, submission_id: int) -> HttpResponseBase:
    """A `state` event with the submission's state, now and each time it moves."""
    if not events.streams_served(request):
        return events.no_stream()
    team_id = await events.database_call(_stream_team)(request, submission_id=submission_id)

    async def states_of() -> AsyncIterator[bytes]:
        channel = events.team_channel(team_id)
        sent = None
        while True:
            mark = events.hub.mark(channel)
            state = await events.database_call(_state_of)(submission_id)
            if state != sent:
                sent = state
                yield events.sse_frame(state, event="state")
            if not await events.hub.wait(channel, mark, events.KEEPALIVE_SECONDS):
                yield b": keepalive\n\n"

    return events.sse_response(states_of())
