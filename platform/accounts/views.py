"""Sign-up and the profile page (API tokens); login and logout are Django's own views."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke
from podium.redirects import safe_next


def signup(request: HttpRequest) -> HttpResponse:
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(safe_next(request, request.GET.get("next"), reverse("competition-list")))
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """API tokens: create one (its key is shown this once), see when each was last used, revoke."""
    new_key = None
    if request.method == "POST" and request.POST.get("action") == "create":
        _, new_key = token_issue(user=request.user, name=request.POST.get("name", "").strip() or "token")
    elif request.method == "POST" and request.POST.get("action") == "revoke":
        raw = request.POST.get("token", "")
        token_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0
        if token_revoke(user=request.user, token_id=token_id):
            messages.success(request, "Token revoked. Scripts using it now get 401.")
        return redirect("profile")
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "registration/profile.html", {"tokens": tokens, "new_key": new_key})
