"""The team page (members, name, invitations, leaving) and the page an invitation link opens."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from competitions.selectors import competition_or_404
from competitions.views import competition_context
from core.errors import PodiumError
from core.users import SignedInRequest
from teams.models import Invite, Membership
from teams.selectors import membership_has_access
from teams.services import invite_accept, invite_create, invite_decline, invite_withdraw, team_leave, team_rename


@login_required
def team_page(request: SignedInRequest, slug: str) -> HttpResponse:
    competition = competition_or_404(slug=slug, user=request.user)
    context = competition_context(request, competition, "team")
    membership = context["membership"]
    if membership is None:
        return redirect("competition-rules", slug=slug)
    if request.method == "POST":
        try:
            _act(request, membership)
        except PodiumError as exc:
            messages.error(request, exc.message)
        return redirect("team", slug=slug)
    team = membership.team
    context.update(
        team=team,
        members=team.memberships.select_related("user").order_by("joined_at"),
        open_invites=team.invites.filter(closed_at__isnull=True).select_related("invited_user"),
        invites_for_me=Invite.objects.filter(team__competition=competition, invited_user=request.user, closed_at__isnull=True)
        .exclude(team=team).select_related("team"),
    )
    return render(request, "teams/team.html", context)


def _act(request: SignedInRequest, membership: Membership) -> None:
    action = request.POST.get("action")
    if action == "rename":
        team = team_rename(membership=membership, name=request.POST.get("name", ""))
        messages.success(request, f"Your team is now called {team.name}.")
    elif action == "invite":
        username = request.POST.get("username", "").strip()
        if not username:  # an empty name would make a link invitation: that is the "link" action's
            messages.error(request, "Type the username of the person to invite.")
            return
        invite = invite_create(membership=membership, username=username)
        messages.success(
            request,
            f"Invited {invite.invited_user.username if invite.invited_user else username}; they find the invitation in their inbox.",
        )
    elif action == "link":
        invite = invite_create(membership=membership)
        url = request.build_absolute_uri(reverse("invite", kwargs={"token": invite.token}))
        messages.success(request, f"Share this link to invite anyone: {url}")
    elif action in ("withdraw", "decline"):
        raw = request.POST.get("invite", "")
        invite_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0
        if action == "withdraw":
            invite_withdraw(invite_id=invite_id, user=request.user)
            messages.success(request, "Invitation withdrawn: its link no longer works.")
        else:
            invite_decline(invite_id=invite_id, user=request.user)
            messages.success(request, "Invitation declined.")
    elif action == "leave":
        team_leave(membership=membership)
        messages.success(request, "You left the team; you are now on a team of your own.")


@login_required
def invite_page(request: SignedInRequest, token: str) -> HttpResponse:
    invite = get_object_or_404(Invite.objects.select_related("team__competition"), token=token, closed_at__isnull=True)
    competition = invite.team.competition
    if request.method == "POST":
        try:
            invite_accept(token=token, user=request.user, accept_rules=bool(request.POST.get("accept_rules")))
        except PodiumError as exc:
            messages.error(request, exc.message)
            return redirect("invite", token=token)
        messages.success(request, f"You are now on team {invite.team.name}.")
        return redirect("team", slug=competition.slug)
    membership = Membership.objects.filter(competition=competition, user=request.user).first()
    return render(request, "teams/invite.html", {"invite": invite, "competition": competition,
                                                 "rules_to_accept": not membership_has_access(competition=competition,
                                                                                              membership=membership)})
