"""Sign-up and the profile page (API tokens); login and logout are Django's own views."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke


def signup(request: HttpRequest) -> HttpResponse:
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(request.GET.get("next") or "competition-list")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """API tokens: create one (its key is shown this once), see when each was last used, revoke."""
    new_key = None
    if request.method == "POST" and request.POST.get("action") == "create":
        _, new_key = token_issue(user=request.user, name=request.POST.get("name", "").strip() or "token")
    elif request.method == "POST" and request.POST.get("action") == "revoke":
        if token_revoke(user=request.user, token_id=int(request.POST.get("token", "0") or 0)):
            messages.success(request, "Token revoked. Scripts using it now get 401.")
        return redirect("profile")
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "registration/profile.html", {"tokens": tokens, "new_key": new_key})
