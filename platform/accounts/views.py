"""Sign-up and the profile page (API tokens); login, logout, password change and reset are Django's own views
(podium/urls.py), with sign-in's rate limits."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke
from podium.redirects import safe_next


class SignupForm(UserCreationForm):
    """A username and a password, and an email address: optional, but the only way to reset a forgotten password."""

    email = forms.EmailField(required=False, help_text="Optional. Needed to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data.get("email", "").strip()
        if email and get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address exists already; log in, or reset its password.")
        return email


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
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
