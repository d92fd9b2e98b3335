"""Drafts: a competition is seen only by its organizers until one publishes it, after the readiness check."""
from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from competitions.bundles import BundleError, competition_import_bundle
from competitions.demo_data import text_classification_bundle
from competitions.models import Competition
from competitions.services import competition_publish, competition_readiness
from core.errors import PodiumError

pytestmark = pytest.mark.django_db

PAGES = ["/c/topic/", "/c/topic/data/", "/c/topic/data/all.zip", "/c/topic/evaluation/", "/c/topic/rules/",
         "/c/topic/leaderboard/", "/c/topic/leaderboard/table/", "/c/topic/submit/", "/c/topic/team/",
         "/c/topic/submissions/"]
API = ["/api/v1/competitions/topic/", "/api/v1/competitions/topic/files/", "/api/v1/competitions/topic/files/test.csv",
       "/api/v1/competitions/topic/files.zip", "/api/v1/competitions/topic/leaderboard/",
       "/api/v1/competitions/topic/submissions/"]


@pytest.fixture
def draft(competition) -> Competition:
    competition.published_at = None
    competition.overview = "Sort short texts by topic."
    competition.save()
    return competition


def test_a_draft_is_invisible_to_everyone_but_its_organizers(client, draft, alice, organizer) -> None:
    for who in (None, alice):
        if who:
            client.force_login(who)
        assert "Topic" not in client.get("/").content.decode()
        for path in PAGES:
            assert client.get(path).status_code in (302, 404), (who, path)
        api = APIClient()
        if who:
            api.force_authenticate(who)
        assert [c["slug"] for c in api.get("/api/v1/competitions/").json()] == []
        for path in API:
            assert api.get(path).status_code in (401, 404), (who, path)
        assert api.post("/api/v1/competitions/topic/join/", {"accept_rules": True}, format="json").status_code in (401, 404)
    client.force_login(organizer)
    listing = client.get("/").content.decode()
    assert "Topic" in listing and "badge draft" in listing
    page = client.get("/c/topic/data/").content.decode()
    assert "Only its organizers see this competition" in page and "It is ready to publish." in page
    api = APIClient()
    api.force_authenticate(organizer)
    assert [c["slug"] for c in api.get("/api/v1/competitions/").json()] == ["topic"]


def test_publishing_lists_what_is_missing_and_then_shows_it_to_all(client, draft, alice, organizer) -> None:
    draft.rules = ""
    draft.overview = "  "
    draft.end_at = draft.start_at
    draft.save()
    missing = competition_readiness(competition=draft)
    assert missing == ["an overview (Pages)", "rules (Pages)", "dates in order: the start must come before the end"]
    with pytest.raises(PodiumError) as caught:
        competition_publish(competition=draft)
    assert caught.value.code == "not-ready" and "rules (Pages)" in caught.value.message
    client.force_login(organizer)
    assert "Before publishing it needs: an overview (Pages); rules (Pages)" in client.get("/c/topic/").content.decode()
    draft.truth_file.delete(save=True)
    assert competition_readiness(competition=draft)[0] == "a ground-truth file (Ground truth)"


def test_the_admin_action_publishes_a_ready_competition(client, draft, alice, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
    client.force_login(root)
    change = client.get(f"/admin/competitions/competition/{draft.pk}/change/").content.decode()
    assert "A draft, seen only by its organizers." in change and "Preview its pages" in change
    client.post("/admin/competitions/competition/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_draft
    client.force_login(alice)
    assert client.get("/c/topic/").status_code == 200 and "Topic" in client.get("/").content.decode()


def test_a_bundle_makes_a_draft_unless_it_asks_to_be_published(tmp_path) -> None:
    bundle = text_classification_bundle(tmp_path / "topic", n_train=20, n_test=30)
    meta_path = bundle.path / "competition.yaml"
    meta = yaml.safe_load(meta_path.read_text())
    meta.pop("published")
    meta_path.write_text(yaml.safe_dump(meta))
    call_command("import_competition", str(bundle.path))
    assert Competition.objects.get(slug=meta["slug"]).is_draft
    call_command("import_competition", str(bundle.path), "--publish")
    assert not Competition.objects.get(slug=meta["slug"]).is_draft
    Competition.objects.all().delete()
    (bundle.path / "rules.md").unlink()
    meta_path.write_text(yaml.safe_dump({**meta, "published": True}))
    with pytest.raises(BundleError, match="rules"):
        competition_import_bundle(path=bundle.path)
    assert not Competition.objects.exists()  # not ready: nothing imported
