"""A participant's public page (/u/<username>/), linked from every board and every post."""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from profiles.selectors import participant_profile


def participant(request: HttpRequest, username: str) -> HttpResponse:
    profile = participant_profile(username=username[:150], viewer=request.user)
    if profile is None:
        raise Http404("No such participant")
    return render(request, "profiles/profile.html", {"profile": profile})
