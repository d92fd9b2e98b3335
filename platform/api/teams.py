"""The team API: a participant's team in a competition (members, renaming, invitations, leaving) and the
invitations they received, accepted with the competition's rules where they have not accepted them yet.

The same services as the Team tab and the inbox.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import ErrorSerializer, validated
from api.views import ERRORS, _competition
from competitions.models import Competition
from core.errors import PodiumError
from core.users import account_of
from teams.models import Invite, Membership, Team
from teams.selectors import membership_get
from teams.services import invite_accept, invite_create, invite_decline, team_leave, team_rename

WRITE_ERRORS = {**ERRORS, 409: ErrorSerializer}


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    joined_at = serializers.DateTimeField()
    rules_accepted = serializers.SerializerMethodField()

    def get_rules_accepted(self, membership: Membership) -> bool:
        return membership.rules_accepted_at is not None


class SentInviteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="invited_user.username", default=None,
                                     help_text="Null: a link anyone may open (`url`).")
    url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_url(self, invite: Invite) -> str:
        return self.context["request"].build_absolute_uri(f"/invites/{invite.token}/")


class TeamSerializer(serializers.Serializer):
    competition = serializers.CharField(source="competition.slug")
    name = serializers.CharField()
    members = MemberSerializer(source="memberships", many=True)
    invitations = serializers.SerializerMethodField(help_text="The team's open invitations.")
    max_team_size = serializers.IntegerField(source="competition.max_team_size")

    def get_invitations(self, team: Team) -> list[dict[str, Any]]:
        open_ones = team.invites.filter(closed_at__isnull=True).select_related("invited_user").order_by("pk")
        return list(SentInviteSerializer(open_ones, many=True, context=self.context).data)


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class InviteSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                     help_text="Whom to invite; left out: a link anyone may open.")


class ReceivedInviteSerializer(serializers.Serializer):
    token = serializers.CharField()
    competition = serializers.CharField(source="team.competition.slug")
    team = serializers.CharField(source="team.name")
    invited_by = serializers.CharField(source="created_by.username", default=None)
    created_at = serializers.DateTimeField()
    rules = serializers.SerializerMethodField(help_text="The competition's rules where accepting also accepts them; "
                                                        "else null.")

    def get_rules(self, invite: Invite) -> str | None:
        competition = invite.team.competition
        mine = Membership.objects.filter(competition=competition, user=self.context["request"].user).first()
        return competition.rules if competition.rules.strip() and not (mine and mine.rules_accepted_at) else None


class AcceptSerializer(serializers.Serializer):
    accept_rules = serializers.BooleanField(default=False, help_text="Required where the invitation's `rules` is set.")


def _membership(competition: Competition, request: Request) -> Membership:
    membership = membership_get(competition=competition, user=request.user)
    if membership is None:
        raise PodiumError(PodiumError.NOT_JOINED, f"You have not joined {competition.slug!r}: `podium competitions join "
                          f"{competition.slug}` (or POST /api/v1/competitions/{competition.slug}/join/).", status=403)
    return membership


def _team(membership: Membership, request: Request) -> Response:
    team = Team.objects.select_related("competition").prefetch_related("memberships__user").get(pk=membership.team_id)
    return Response(TeamSerializer(team, context={"request": request}).data)


class TeamView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: TeamSerializer, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        return _team(_membership(_competition(slug, request), request), request)

    @extend_schema(request=RenameSerializer, responses={200: TeamSerializer, **WRITE_ERRORS})
    def patch(self, request: Request, slug: str) -> Response:
        membership = _membership(_competition(slug, request), request)
        team_rename(membership=membership, name=validated(RenameSerializer, request)["name"])
        return _team(membership, request)


class TeamInviteView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=InviteSerializer, responses={201: SentInviteSerializer, **WRITE_ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        membership = _membership(_competition(slug, request), request)
        invite = invite_create(membership=membership, username=validated(InviteSerializer, request).get("username") or None)
        return Response(SentInviteSerializer(invite, context={"request": request}).data, status=status.HTTP_201_CREATED)


class TeamLeaveView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: TeamSerializer, **WRITE_ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        membership = team_leave(membership=_membership(_competition(slug, request), request))
        return _team(membership, request)


class InvitationListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: ReceivedInviteSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        invites = (Invite.objects.filter(invited_user=account_of(request), closed_at__isnull=True)
                   .select_related("team__competition", "created_by").order_by("pk"))
        return Response(ReceivedInviteSerializer(invites, many=True, context={"request": request}).data)


class InvitationAcceptView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=AcceptSerializer, responses={200: TeamSerializer, **WRITE_ERRORS})
    def post(self, request: Request, token: str) -> Response:
        membership = invite_accept(token=token[:64], user=account_of(request),
                                   accept_rules=validated(AcceptSerializer, request)["accept_rules"])
        return _team(membership, request)


class InvitationDeclineView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **ERRORS})
    def post(self, request: Request, token: str) -> Response:
        invite = Invite.objects.filter(token=token[:64], invited_user=account_of(request)).first()
        invite_decline(invite_id=invite.pk if invite else 0, user=account_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
