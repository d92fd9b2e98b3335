"""The inbox page: notifications newest first, invitations answered in place."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from notifications.selectors import INBOX_PAGE, inbox_notifications
from notifications.services import notifications_mark_read
from core.errors import PodiumError
from core.users import SignedInRequest
from teams.models import Invite
from teams.services import invite_accept, invite_decline


@login_required
def inbox(request: SignedInRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            elsewhere = _act(request)
        except PodiumError as exc:
            messages.error(request, exc.message)
            elsewhere = None
        return elsewhere or redirect("inbox")
    page = Paginator(inbox_notifications(user=request.user), INBOX_PAGE).get_page(request.GET.get("page"))
    unread = [item.pk for item in page if item.read_at is None]
    response = render(request, "notifications/inbox.html", {"page": page, "unread": set(unread)})
    notifications_mark_read(user=request.user, ids=unread)  # seen now: shown as new this once
    return response


def _act(request: SignedInRequest) -> HttpResponse | None:
    """What the inbox's buttons do; a page to go to instead of the inbox, where there is one."""
    action = request.POST.get("action")
    raw = request.POST.get("invite", "")
    invite_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0
    if action == "accept":
        invite = Invite.objects.filter(pk=invite_id, invited_user=request.user).select_related("team__competition").first()
        if invite is None:
            raise PodiumError(PodiumError.INVALID_INVITE, "This invitation is not valid (any more) for you.", status=404)
        try:
            invite_accept(token=invite.token, user=request.user)
        except PodiumError as exc:
            if exc.code != PodiumError.RULES_NOT_ACCEPTED:
                raise
            messages.info(request, f"{invite.team.competition.title} has rules: read them, then accept the invitation.")
            return redirect("invite", token=invite.token)
        messages.success(request, f"You are now on team {invite.team.name}.")
    elif action == "decline":
        invite = invite_decline(invite_id=invite_id, user=request.user)
        messages.success(request, f"You declined the invitation to team {invite.team.name}.")
    elif action == "read-all":
        notifications_mark_read(user=request.user)
    return None
