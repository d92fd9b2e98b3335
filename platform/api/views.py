"""The HTTP API under /api/v1/ (SPEC section 5). Views parse input, call one service, render."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.ratelimit import AccountPasswordThrottle, PasswordThrottle
from accounts.services import token_issue
from api import serializers as s
from api.pagination import PARAMETERS as PAGE_PARAMETERS
from api.pagination import paginated
from competitions.data_files import data_zip_response, file_description
from competitions.models import Competition, phase_at
from competitions.selectors import competition_files, competition_visible, competitions_visible
from leaderboards.selectors import BOARDS, MAX_PER_PAGE, PER_PAGE, PRIVATE, board_page, requested_phase
from core.errors import PodiumError
from core.users import account_of
from submissions.models import Submission
from submissions.selectors import (
    private_scores_visible,
    queue_places,
    quota_for_team,
    submission_visible_to,
    submissions_for_team,
)
from submissions.intake import submission_create
from submissions.services import submission_select
from teams.selectors import membership_get, membership_has_access
from teams.services import membership_join

ERRORS = {400: s.ErrorSerializer, 401: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer,
          415: s.ErrorSerializer}


def _competition(slug: str, request: Request) -> Competition:
    competition = competition_visible(slug=slug, user=request.user)
    if competition is None:
        raise PodiumError(PodiumError.NOT_FOUND, f"No competition {slug!r}; GET /api/v1/competitions/ lists them.", status=404)
    return competition


def _require_access(competition: Competition, request: Request) -> Any:
    membership = membership_get(competition=competition, user=request.user)
    if not membership_has_access(competition=competition, membership=membership):
        raise PodiumError(
            PodiumError.NOT_JOINED,
            f"Join the competition and accept its rules first: POST /api/v1/competitions/{competition.slug}/join/ "
            'with {"accept_rules": true}.',
            status=403,
        )
    return membership


class TokenView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PasswordThrottle, AccountPasswordThrottle]

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer, 429: s.ErrorSerializer, **ERRORS}, auth=[])
    def post(self, request: Request) -> Response:
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            raise PodiumError(PodiumError.BAD_CREDENTIALS, "Wrong username or password.", status=401)
        _, key = token_issue(user=user, name=data.validated_data.get("name") or "api login")
        return Response({"token": key})


class CompetitionListView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: s.CompetitionSerializer(many=True), 400: s.ErrorSerializer})
    def get(self, request: Request) -> Response:
        return paginated(request, competitions_visible(user=request.user), lambda page: s.CompetitionSerializer(page, many=True).data)


class CompetitionDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: s.CompetitionDetailSerializer, 404: s.ErrorSerializer})
    def get(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        membership = membership_get(competition=competition, user=request.user)
        quota = (quota_for_team(competition=competition, team=membership.team, phase=phase_at(competition))
                 if membership else None)
        context = {"quota": quota, "membership": membership}
        return Response(s.CompetitionDetailSerializer(competition, context=context).data)


class JoinView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=s.JoinSerializer, responses={200: s.JoinResultSerializer, **ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        data = s.JoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_join(
            competition=competition, user=account_of(request), accept_rules=data.validated_data["accept_rules"]
        )
        return Response(
            {"competition": competition.slug, "team": membership.team.name,
             "rules_accepted": bool(membership.rules_accepted_at)}
        )


class FileListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: s.CompetitionFileSerializer(many=True), **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        _require_access(competition, request)
        files = [
            {"name": f.name, "size": f.size, "description": file_description(f),
             "url": request.build_absolute_uri(f"/api/v1/competitions/{slug}/files/{f.name}")}
            for f in competition_files(competition=competition)
        ]
        return Response(s.CompetitionFileSerializer(files, many=True).data)


class FileDownloadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): bytes, **ERRORS})
    def get(self, request: Request, slug: str, name: str) -> FileResponse:
        competition = _competition(slug, request)
        _require_access(competition, request)
        public_file = get_object_or_404(competition.files, name=name)
        return FileResponse(public_file.file.open("rb"), as_attachment=True, filename=public_file.name)


class FileArchiveView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={(200, "application/zip"): bytes, **ERRORS})
    def get(self, request: Request, slug: str) -> Any:
        """Every public file in one zip, streamed as it is written."""
        competition = _competition(slug, request)
        _require_access(competition, request)
        return data_zip_response(competition)


class SubmissionListView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: s.SubmissionSerializer(many=True), **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        membership = membership_get(competition=competition, user=request.user)
        submissions = (
            submissions_for_team(competition=competition, team=membership.team).select_related("team", "competition")
            if membership else Submission.objects.none()
        )
        context = {"private_visible": private_scores_visible(competition=competition, user=request.user)}
        return paginated(request, submissions, lambda page: s.SubmissionSerializer(
            page, many=True, context={**context, "queue_places": queue_places(submissions=list(page))}).data)

    @extend_schema(
        request={"multipart/form-data": s.SubmissionCreateSerializer},
        responses={201: s.SubmissionSerializer, 413: s.ErrorSerializer, 429: s.ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        data = s.SubmissionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = submission_create(user=account_of(request), competition=competition, **data.validated_data)
        return Response(s.SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


def _visible_submission(request: Request, submission_id: int) -> Submission:
    submission = get_object_or_404(Submission.objects.select_related("competition", "team"), pk=submission_id)
    if not submission_visible_to(submission=submission, user=request.user):
        # Another team's submission: say nothing about whether it exists.
        raise PodiumError(PodiumError.NOT_FOUND, f"No submission {submission_id} of yours.", status=404)
    return submission


class SubmissionDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: s.SubmissionSerializer, **ERRORS})
    def get(self, request: Request, submission_id: int) -> Response:
        submission = _visible_submission(request, submission_id)
        context = {"private_visible": private_scores_visible(competition=submission.competition, user=request.user)}
        return Response(s.SubmissionSerializer(submission, context=context).data)


class SubmissionSelectView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=s.SelectSerializer, responses={200: s.SubmissionSerializer, **ERRORS})
    def post(self, request: Request, submission_id: int) -> Response:
        submission = _visible_submission(request, submission_id)
        data = s.SelectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = submission_select(submission=submission, selected=data.validated_data["selected"])
        context = {"private_visible": private_scores_visible(competition=submission.competition, user=request.user)}
        return Response(s.SubmissionSerializer(submission, context=context).data)


class LeaderboardView(APIView):
    """One page of a board (100 teams by default), the caller's team always included as `mine`."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("board", str, enum=list(BOARDS), default="public"),
            OpenApiParameter("page", int, default=1),
            OpenApiParameter("page_size", int, default=PER_PAGE, description=f"at most {MAX_PER_PAGE}"),
            OpenApiParameter("q", str, description="teams whose name contains this (their ranks are the board's)"),
            OpenApiParameter("phase", str, description="a phase's slug (default: the running phase); "
                                                       "competitions without phases ignore it"),
        ],
        responses={200: s.LeaderboardSerializer, **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        competition = _competition(slug, request)
        board = request.query_params.get("board", "public")
        if board not in BOARDS:
            raise PodiumError(PodiumError.INVALID, "board must be 'public' or 'private'.")
        if board == PRIVATE and not private_scores_visible(competition=competition, user=request.user):
            raise PodiumError(
                PodiumError.NOT_REVEALED,
                f"The private leaderboard is revealed at {competition.reveal_time:%Y-%m-%d %H:%M} UTC.",
                status=403,
            )
        page_number = _positive_int(request.query_params.get("page"), "page", default=1)
        page_size = min(_positive_int(request.query_params.get("page_size"), "page_size", default=PER_PAGE), MAX_PER_PAGE)
        team_id = None
        if request.user.is_authenticated:
            team_id = competition.memberships.filter(user=request.user).values_list("team_id", flat=True).first()
        wanted = request.query_params.get("phase")
        phase = requested_phase(competition, wanted)
        if wanted and (phase is None or phase.slug != wanted):
            known = ", ".join(competition.phases.values_list("slug", flat=True)) or "none"
            raise PodiumError(PodiumError.INVALID, f"No phase {wanted[:40]!r} here; its phases: {known}.")
        page = board_page(competition=competition, board=board, page=page_number, per_page=page_size,
                          query=request.query_params.get("q", ""), team_id=team_id, phase=phase)

        def link(number: int) -> str:
            params = request.query_params.copy()
            params["page"] = str(number)
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

        payload = {
            "metric": competition.ranking_metric, "board": board, "higher_is_better": competition.higher_is_better,
            "phase": phase.slug if phase else None,
            "count": page.count, "page": page.page, "pages": page.pages, "page_size": page.per_page,
            "next": link(page.page + 1) if page.has_next else None,
            "previous": link(page.page - 1) if page.has_previous else None,
            "entries": [e.__dict__ for e in page.entries],
            "mine": page.mine.__dict__ if page.mine else None,
        }
        return Response(s.LeaderboardSerializer(payload).data)


def _positive_int(value: str | None, name: str, *, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise PodiumError(PodiumError.INVALID, f"{name} must be a positive whole number.")
    return number
