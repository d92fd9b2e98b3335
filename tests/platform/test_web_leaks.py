"""Web leaks closed, each with a test that failed before its fix: forwarded-for rate-limit bypass, open
redirects, id lists in truth order, the overlay oracle, formula injection, 500s, exposure."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_a_new_x_forwarded_for_per_guess_does_not_reset_the_password_limit(alice, settings) -> None:
    settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE = 5
    api = APIClient()
    answers = [api.post("/api/v1/auth/token/", {"username": "alice", "password": f"guess-{k}"}, format="json",
                        HTTP_X_FORWARDED_FOR=f"10.0.{k}.1").status_code for k in range(8)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    right = api.post("/api/v1/auth/token/", {"username": "alice", "password": "alice-pass-1"}, format="json",
                     HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert right.status_code == 429


def test_guesses_at_one_account_from_many_addresses_are_limited(alice, settings) -> None:
    settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE = 5
    api, form = APIClient(), Client()
    token = [api.post("/api/v1/auth/token/", {"username": "Alice", "password": "x"}, format="json",
                      REMOTE_ADDR=f"10.1.0.{k}").status_code for k in range(7)]
    assert token[-1] == 429
    login = [form.post("/accounts/login/", {"username": "alice", "password": "x"}, REMOTE_ADDR=f"10.2.0.{k}").status_code
             for k in range(7)]
    assert login[-1] == 429


def test_behind_configured_proxies_the_login_form_counts_per_client(alice, settings) -> None:
    settings.PODIUM_AUTH_ATTEMPTS_PER_MINUTE = 3
    settings.PODIUM_TRUSTED_PROXIES = 1
    form = Client()
    # Everyone arrives from the proxy's address; the proxy appends the real client's.
    for k in range(3):
        form.post("/accounts/login/", {"username": f"nobody{k}", "password": "x"}, REMOTE_ADDR="10.0.0.1",
                  HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert form.post("/accounts/login/", {"username": "nobody9", "password": "x"}, REMOTE_ADDR="10.0.0.1",
                     HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    other = form.post("/accounts/login/", {"username": "alice", "password": "alice-pass-1"}, REMOTE_ADDR="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 302  # another client behind the same proxy is not locked out


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "https:/\\evil.example"])
def test_sign_up_and_join_never_redirect_off_site(competition, alice, target: str) -> None:
    signup = Client().post(f"/accounts/signup/?next={target}", {"username": "newbie", "password1": "a-long-pass-123",
                                                               "password2": "a-long-pass-123"})
    assert signup.status_code == 302 and "evil" not in signup["Location"]
    member = Client()
    member.force_login(alice)
    joined = member.post("/c/topic/join/", {"accept_rules": "on", "next": target})
    assert joined.status_code == 302 and "evil" not in joined["Location"]
    assert member.post("/c/topic/join/", {"accept_rules": "on", "next": "/c/topic/data/"})["Location"] == "/c/topic/data/"


def test_missing_ids_are_named_in_sorted_order_not_the_truths(tmp_path: Path) -> None:
    from scoring import ScoringOptions, SubmissionError, get_task

    truth = tmp_path / "truth.csv"
    # The truth sorted by usage: every public id first. A message in truth order would name public ids.
    rows = [(f"z{k}", "Public") for k in range(5)] + [(f"a{k}", "Private") for k in range(5)]
    truth.write_text("id,label,Usage\n" + "".join(f"{i},x,{u}\n" for i, u in rows))
    submission = tmp_path / "s.csv"
    submission.write_text("id,label\n")
    task, options = get_task("text-classification"), ScoringOptions(classes=("x",))
    with pytest.raises(SubmissionError) as caught:
        task.score(task.load_truth(truth, options), submission, options)
    assert caught.value.code == "missing-ids" and "'a0', 'a1', 'a2', 'a3', 'a4'" in caught.value.message


def test_the_detection_overlay_draws_on_the_same_image_whatever_the_submission(tmp_path: Path, alice, monkeypatch) -> None:
    import json

    from competitions import images
    from competitions.bundles import competition_import_bundle
    from competitions.demo_data import detection_bundle
    from submissions.models import Submission
    from teams.services import membership_join

    bundle = detection_bundle(tmp_path / "det", n_train=2, n_test=8)
    competition, _ = competition_import_bundle(path=bundle.path)
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    truth = json.loads((bundle.path / "truth.json").read_text())
    asked: list[str] = []
    real = images._public_file
    monkeypatch.setattr(images, "_public_file", lambda c, name: asked.append(name) or real(c, name))
    drawn = set()
    for image in truth["images"]:  # one submission per image, each with a box on that image only
        path = tmp_path / f"p{image['id']}.json"
        path.write_text(json.dumps([{"image_id": image["id"], "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.9}]))
        submission = Submission(competition=competition, team=team, status="scored")
        with open(path, "rb") as handle:
            from django.core.files import File

            submission.file.save(path.name, File(handle), save=True)
        asked.clear()
        images.overlay_png(submission=submission)
        drawn.add(next(name for name in asked if name.startswith("images/")))
    assert len(drawn) == 1


def test_exports_neutralize_cells_a_spreadsheet_would_run(competition, alice_joined) -> None:
    from competitions.exports import submissions_csv
    from submissions.models import Submission

    alice_joined.team.name = '=HYPERLINK("https://evil.example","click")'
    alice_joined.team.save()
    Submission.objects.create(competition=competition, team=alice_joined.team, file="x.csv", status="failed",
                              description="+cmd|' /C calc'!A0", error_message="-2+3", error_code="bad-row")
    text = submissions_csv(competitions=[competition])
    assert "'=HYPERLINK" in text and "'+cmd" in text and "'-2+3" in text
    assert ',=HYPERLINK' not in text and ",+cmd" not in text


def test_huge_page_numbers_and_a_malformed_revoke_answer_4xx_not_500(alice) -> None:
    anonymous = Client()
    answer = anonymous.get("/api/v1/competitions/?page=99999999999999999999")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    assert anonymous.get("/api/v1/competitions/?page=9999999").status_code == 200
    member = Client()
    member.force_login(alice)
    assert member.post("/accounts/profile/", {"action": "revoke", "token": "abc"}).status_code == 302


def test_health_shows_anonymous_callers_the_status_alone(client, settings) -> None:
    body = client.get("/health/").json()
    assert set(body) == {"status"}


def test_every_page_sends_a_content_security_policy_and_friends(client, competition) -> None:
    for path in ("/", "/c/topic/", "/accounts/login/", "/api/v1/competitions/"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "img-src 'self' data: https:" in policy and "frame-ancestors 'none'" in policy
        assert response["Referrer-Policy"] == "same-origin" and "camera=()" in response["Permissions-Policy"]


def test_model_limits_are_capped_by_platform_maxima(competition, settings) -> None:
    from competitions.limits import model_limits_problem

    assert "from 1 to 65536" in (model_limits_problem({"memory_mb": 10**9}) or "")
    competition.model_limits = {"memory_mb": 10**9, "wall_seconds": 10**9}
    assert competition.model_limit("memory_mb") == 65_536
    assert competition.model_limit("wall_seconds") == settings.PODIUM_MAX_MODEL_SECONDS


def test_admin_forms_take_exact_usernames_and_list_no_accounts(competition, alice, bob, organizer, django_user_model) -> None:
    from teams.models import Team
    from teams.services import membership_join

    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "root-pass-1"))
    page = admin.get(f"/admin/competitions/competition/{competition.pk}/change/").content.decode()
    assert f'value="{organizer.username}"' in page
    assert f">{alice.username}<" not in page and f">{bob.username}<" not in page  # no <option> per account
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    team_page = admin.get(f"/admin/teams/team/{team.pk}/change/").content.decode()
    assert f">{bob.username}<" not in team_page and 'value="alice"' in team_page
    assert Team.objects.filter(pk=team.pk).exists()


def test_the_organizers_field_refuses_unknown_usernames(competition, organizer, alice) -> None:
    from core.admin_fields import UsernamesField
    from django.core.exceptions import ValidationError

    field = UsernamesField(required=False)
    assert set(field.clean(f"{organizer.username}, alice")) == {organizer, alice}
    with pytest.raises(ValidationError, match="No account is named 'mallory'"):
        field.clean("alice, mallory")


def test_nul_bytes_in_form_values_and_queries_are_a_400_on_every_database(alice, competition, alice_joined) -> None:
    member = Client()
    member.force_login(alice)
    renamed = member.post("/c/topic/team/", {"action": "rename", "name": "bad\x00name"})
    assert renamed.status_code == 400
    assert member.get("/c/topic/leaderboard/?q=\x00").status_code == 400
    api = APIClient()
    assert api.get("/api/v1/competitions/?page=1\x00").json()["error"]["code"] == "invalid"
