"""A competition scored by its own program, set up in the admin (SPEC section 9): metrics, suffix, truth/ and the
program as uploads; each save a version whose dry runs run in the real sandbox and show on the page; a trial on any
file without a submission; refusals that say what to fix."""
from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from competitions import programs
from competitions.models import Competition, ScoringProgram
from competitions.services import competition_readiness
from tests.platform.test_admin_and_bundles import competition_form

pytestmark = pytest.mark.django_db

SCORE_PY = b'''import json, sys
truth = json.load(open("/input/truth/answers.json"))
try:
    given = json.load(open("/input/submission/submission.json"))
except ValueError:
    json.dump({"code": "bad-json", "message": "Submit a JSON object of id: answer."}, open("/output/error.json", "w"))
    sys.exit(0)
right = {s: [given.get(k) == v for k, v in truth[s].items()] for s in ("public", "private")}
print("scored", len(given), "answers")
json.dump({s: {"exact": sum(r) / len(r)} for s, r in right.items()}, open("/output/scores.json", "w"))
'''
TRUTH = {"public": {"a": 1, "b": 2}, "private": {"c": 3, "d": 4}}


def zipped(name: str, files: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def custom_form(**changes: Any) -> dict[str, Any]:
    return {**competition_form(b""), "task": "custom", "slug": "exact", "title": "Exact", "overview": "Answer.",
            "rules": "Be kind.", "metrics": json.dumps([{"name": "exact", "label": "Exact match",
                                                          "higher_is_better": True}]),
            "submission_suffix": ".json", "scoring_limits": json.dumps({"wall_seconds": 60}),
            "truth_file": zipped("truth.zip", {"truth/answers.json": json.dumps(TRUTH).encode()}),
            "scoring_program": zipped("program.zip", {"score.py": SCORE_PY}),
            "files-TOTAL_FORMS": 1, "files-0-name": "sample_submission.json",
            "files-0-file": SimpleUploadedFile("sample_submission.json", b'{"a": 1, "b": 0, "c": 3, "d": 0}'),
            "files-0-description": "", **changes}


@pytest.fixture
def run_inline(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A programs worker's part, done here: the dry run or trial runs at once, in the real sandbox."""
    from competitions.tasks import program_dry_run

    sent: list[int] = []

    def send(*, program_id: int, trial: str = "") -> None:
        sent.append(program_id)
        program_dry_run(program_id, trial)

    monkeypatch.setattr(programs, "program_dry_run_later", send)
    monkeypatch.setattr("competitions.admin_programs.program_dry_run_later", send)
    return sent


def test_an_organizer_sets_up_a_program_scored_competition_and_sees_its_dry_runs(
        admin_client: Client, run_inline: list[int], django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/competitions/competition/add/", custom_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    competition = Competition.objects.get(slug="exact")
    program = competition.current_program()
    assert program is not None and run_inline == [program.pk]
    assert program.dry_runs["sample"]["status"] == "scored", program.dry_runs
    assert program.dry_runs["sample"]["scores"] == {"public": {"exact": 0.5}, "private": {"exact": 0.5}}
    assert "scored 4 answers" in program.dry_runs["sample"]["log"]
    assert (program.dry_runs["empty"]["status"], program.dry_runs["empty"]["error_code"]) == ("failed", "bad-json"), \
        program.dry_runs["empty"]
    assert competition_readiness(competition=competition) == []
    assert competition.task_type.metric("exact").title == "Exact match"
    page = admin_client.get(f"/admin/competitions/competition/{competition.pk}/change/").content.decode()
    assert program.version in page and "passed its dry runs" in page and "scored 4 answers" in page
    assert 'value="exact"' in page  # the declared metric may be chosen to rank

    # Saving the same files again makes no version; a change makes one, and the old one stays listed.
    form = custom_form(scoring_program=zipped("p.zip", {"score.py": SCORE_PY}), truth_file="", **{
        "files-TOTAL_FORMS": 0})
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"/admin/competitions/competition/{competition.pk}/change/", form).status_code == 302
    assert competition.programs.count() == 1
    changed = SCORE_PY.replace(b'print("scored"', b'print("version two scored"')
    form["scoring_program"] = zipped("p.zip", {"program/score.py": changed})  # a zip of the folder itself
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"/admin/competitions/competition/{competition.pk}/change/", form).status_code == 302
    newest = competition.current_program()
    assert competition.programs.count() == 2 and newest.version != program.version
    assert "version two scored" in newest.dry_runs["sample"]["log"]

    # A trial on any file of the organizers': its result kept on the version, no submission made.
    trial = admin_client.post(f"/admin/competitions/competition/{competition.pk}/program-trial/",
                              {"file": SimpleUploadedFile("mine.json", b'{"a": 1, "b": 2, "c": 3, "d": 4}')})
    assert trial.status_code == 302
    newest.refresh_from_db()
    assert newest.dry_runs["trials"][-1]["scores"] == {"public": {"exact": 1.0}, "private": {"exact": 1.0}}
    assert newest.dry_runs["trials"][-1]["file"].endswith(".json") and not competition.submissions.exists()
    assert newest.file.storage.listdir("competitions/exact/scoring/trials")[1] == []  # the trial file is gone


def test_what_is_wrong_with_a_program_upload_is_said_before_anything_is_saved(admin_client: Client) -> None:
    cases = {
        "scoring_program": (zipped("p.zip", {"main.py": b"print(1)"}), "needs score.py"),
        "metrics": (json.dumps([{"name": "Exact Match", "higher_is_better": True}]), "lower-case letters"),
        "scoring_limits": (json.dumps({"wall_seconds": 10**6}), "wall_seconds must be a whole number from 1 to"),
        "truth_file": (SimpleUploadedFile("truth.csv", b"id,label\n"), "a .zip of the truth/ folder"),
    }
    for field, (value, said) in cases.items():
        response = admin_client.post("/admin/competitions/competition/add/", custom_form(**{field: value}))
        assert response.status_code == 200 and said in response.content.decode(), field
    missing = custom_form()
    del missing["scoring_program"]
    assert "Upload the scoring program" in admin_client.post("/admin/competitions/competition/add/",
                                                             missing).content.decode()
    assert not Competition.objects.filter(slug="exact").exists() and not ScoringProgram.objects.exists()


def test_without_its_dry_runs_a_program_scored_competition_is_not_ready(admin_client: Client, monkeypatch) -> None:
    monkeypatch.setattr(programs, "program_dry_run_later", lambda **kwargs: None)  # no programs worker
    assert admin_client.post("/admin/competitions/competition/add/", custom_form()).status_code == 302
    competition = Competition.objects.get(slug="exact")
    assert any("waiting for a programs worker" in need for need in competition_readiness(competition=competition))


def test_a_program_scored_competition_exports_to_a_bundle_that_imports_back(tmp_path, monkeypatch) -> None:
    from competitions.bundles import competition_export_bundle, competition_import_bundle
    from tests.integration.test_scoring_programs import WER_BUNDLE

    monkeypatch.setattr(programs, "program_dry_run_later", lambda **kwargs: None)
    competition, _ = competition_import_bundle(path=WER_BUNDLE)
    version = competition.current_program().version
    folder = competition_export_bundle(competition=competition, path=tmp_path / "out")
    assert (folder / "scoring" / "score.py").read_bytes() == (WER_BUNDLE / "scoring" / "score.py").read_bytes()
    assert (folder / "truth" / "transcripts.csv").read_bytes() == (WER_BUNDLE / "truth" / "transcripts.csv").read_bytes()
    again, created = competition_import_bundle(path=folder)
    assert not created and again.pk == competition.pk
    assert again.current_program().version == version and again.programs.count() == 1  # the same files: no version
    assert again.metrics == competition.metrics and again.task_type.submission_suffix == ".json"
