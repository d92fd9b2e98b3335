"""Accounts: an email at sign-up (optional), a password change, a reset by email, and their rate limits."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-secret-77"


def _signup(client: Client, username: str, email: str = "") -> object:
    return client.post("/accounts/signup/", {"username": username, "email": email, "password1": "pw-long-enough-42",
                                             "password2": "pw-long-enough-42"})


def test_sign_up_takes_an_optional_email_once_per_address() -> None:
    assert _signup(Client(), "dora", "dora@example.org").status_code == 302
    assert _signup(Client(), "eve").status_code == 302
    users = get_user_model().objects
    assert users.get(username="dora").email == "dora@example.org" and users.get(username="eve").email == ""
    again = _signup(Client(), "dora2", "DORA@example.org")
    assert again.status_code == 200 and "exists already" in again.content.decode()
    page = Client().get("/accounts/signup/").content.decode()
    assert 'name="email"' in page and "reset a forgotten password" in page


def test_a_password_is_changed_with_the_old_one(alice) -> None:
    client = Client()
    client.force_login(alice)
    wrong = client.post("/accounts/password/", {"old_password": "nope", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 200 and "incorrect" in wrong.content.decode()
    done = client.post("/accounts/password/", {"old_password": "alice-pass-1", "new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/done/"
    assert Client().login(username="alice", password=NEW)
    assert Client().get("/accounts/password/").status_code == 302  # logged out: to the login page


def test_a_password_is_reset_through_a_link_sent_by_email(alice, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    alice.email = "alice@example.org"
    alice.save()
    client = Client()
    assert client.post("/accounts/password/reset/", {"email": "nobody@example.org"}).status_code == 302
    assert mail.outbox == []  # the same answer, and no mail, for an unknown address
    assert client.post("/accounts/password/reset/", {"email": "alice@example.org"}).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and Client().login(username="alice", password=NEW)
    assert "does not work" in Client().get(link, follow=True).content.decode()  # used once


def test_resets_and_changes_have_sign_ins_rate_limit(alice, settings) -> None:
    settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE = 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = Client()
    codes = [client.post("/accounts/password/reset/", {"email": f"x{i}@example.org"}).status_code for i in range(5)]
    assert codes[:3] == [302, 302, 302] and codes[3:] == [429, 429]
    other = Client(REMOTE_ADDR="10.9.9.9")
    other.force_login(alice)
    codes = [other.post("/accounts/password/", {"old_password": f"guess{i}", "new_password1": NEW,
                                                 "new_password2": NEW}).status_code for i in range(5)]
    assert codes[3:] == [429, 429]
