"""Sign-up and the profile page (email, notification emails, API tokens); login, logout, password change and reset are Django's own views
(podium/urls.py), with sign-in's rate limits."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke
from notifications.models import KINDS
from notifications.services import email_kinds_of, notification_settings_update
from core.redirects import safe_next
from core.users import SignedInRequest


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
        messages.success(request, f"Welcome to Podium, {user.get_username()}: your account is ready.")
        return redirect(safe_next(request, request.GET.get("next"), reverse("competition-list")))
    # Where the visitor was going (a competition's page, an invitation): kept through sign-up and the log-in link.
    next_url = safe_next(request, request.GET.get("next"), "")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


class EmailForm(forms.Form):
    """A new address (or none), confirmed with the password: the address is what resets the password."""

    email = forms.EmailField(required=False, label="Email address")
    password = forms.CharField(widget=forms.PasswordInput, label="Your password", strip=False)

    def __init__(self, user: User, data: QueryDict | None = None, *, initial: dict[str, str]) -> None:
        super().__init__(data, initial=initial)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

    def clean_email(self) -> str:
        email = self.cleaned_data.get("email", "").strip()
        taken = get_user_model().objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists()
        if email and taken:
            raise forms.ValidationError("Another account uses this email address.")
        return email


@login_required
def profile(request: SignedInRequest) -> HttpResponse:
    """Email, notification emails and API tokens (a token's key is shown once, when it is created)."""
    new_key = None
    action = request.POST.get("action") if request.method == "POST" else None
    email_form = EmailForm(request.user, request.POST if action == "email" else None,
                           initial={"email": request.user.email})
    if action == "email" and email_form.is_valid():
        request.user.email = email_form.cleaned_data["email"]
        request.user.save(update_fields=["email"])
        messages.success(request, "Email address saved." if request.user.email else "Email address removed.")
        return redirect("profile")
    if action == "notifications":
        notification_settings_update(user=request.user, email_kinds=request.POST.getlist("email_kinds"))
        messages.success(request, "Notification emails saved.")
        return redirect(reverse("profile") + "#notifications")
    if request.method == "POST" and request.POST.get("action") == "create":
        _, new_key = token_issue(user=request.user, name=request.POST.get("name", "").strip() or "token")
    elif request.method == "POST" and request.POST.get("action") == "revoke":
        raw = request.POST.get("token", "")
        token_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0
        if token_revoke(user=request.user, token_id=token_id):
            messages.success(request, "Token revoked. Scripts using it now get 401.")
        return redirect("profile")
    tokens = ApiToken.objects.filter(user=request.user)
    chosen = email_kinds_of(user_id=request.user.pk)
    kinds = [{"value": kind, "label": label, "checked": kind in chosen} for kind, label in KINDS.items()]
    return render(request, "registration/profile.html",
                  {"tokens": tokens, "new_key": new_key, "email_form": email_form, "email_kinds": kinds})
