"""Organizers' scoring programs in the sandbox (workers/programs.py, SPEC section 9).

The contract: what a program reads and writes, and what each ending means. Then the attacks of an organizer of
one competition, each run twice: through the sandbox, where it must fail, and as a plain subprocess of the worker
(what EvalAI and Hugging Face competitions do with an organizer's metric), where it must succeed; so each test
fails if the containment is removed.
"""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from workers.programs import PROGRAM_ERROR, ProgramLimits, ProgramResult, program_problem, program_version, run_program
from workers.sandbox.uids import POOLS, UID_COUNT, processes_of, uid_base

METRICS = ["accuracy", "macro_f1"]
ACCURACY = """
import json
import pandas as pd

truth = pd.read_csv("/input/truth/labels.csv")
submission = pd.read_csv("/input/submission/submission.csv")
if list(submission.columns) != ["id", "label"]:
    json.dump({"code": "bad-header", "message": "The header must be id,label."}, open("/output/error.json", "w"))
    raise SystemExit(0)
merged = truth.merge(submission, on="id", suffixes=("", "_predicted"))
scores = {}
for subset, rows in merged.groupby("usage"):
    right = (rows["label"] == rows["label_predicted"]).mean()
    labels = sorted(set(rows["label"]) | set(rows["label_predicted"]))
    f1s = [((rows["label"] == k) & (rows["label_predicted"] == k)).sum() * 2
           / max(((rows["label"] == k).sum() + (rows["label_predicted"] == k).sum()), 1) for k in labels]
    scores[subset.lower()] = {"accuracy": float(right), "macro_f1": float(sum(f1s) / len(f1s))}
json.dump(scores, open("/output/scores.json", "w"))
"""


@pytest.fixture
def competition(tmp_path: Path) -> dict[str, Path]:
    """One competition's program and truth, a participant's file, and a worker host's other files."""
    rng = np.random.default_rng(7)
    program, truth, host = tmp_path / "program", tmp_path / "truth", tmp_path / "host"
    for folder in (program, truth, host):
        folder.mkdir()
    (program / "score.py").write_text(ACCURACY)
    labels = rng.choice(["cat", "dog", "eel"], size=200)
    guesses = np.where(rng.random(200) < 0.7, labels, rng.choice(["cat", "dog", "eel"], size=200))
    usage = np.where(np.arange(200) % 4 == 0, "Private", "Public")
    (truth / "labels.csv").write_text("id,label,usage\n" + "".join(f"{i},{a},{u}\n" for i, (a, u) in
                                                                 enumerate(zip(labels, usage))))
    (tmp_path / "submission.csv").write_text("id,label\n" + "".join(f"{i},{g}\n" for i, g in enumerate(guesses)))
    (host / "other-truth.csv").write_text("id,label\n0,OTHER-COMPETITIONS-TRUTH\n")
    (host / "secret_key").write_text("SECRET-KEY-0123456789")
    (host / "podium.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (host / "other-team.csv").write_text("id,label\n0,ANOTHER-TEAMS-SUBMISSION\n")
    np.save(tmp_path / "labels.npy", np.array([labels, guesses, usage]))
    return {"program": program, "truth": truth, "submission": tmp_path / "submission.csv", "host": host,
            "arrays": tmp_path / "labels.npy"}


def score(world: dict[str, Path], code: str | None = None, **limits: float) -> ProgramResult:
    if code is not None:
        (world["program"] / "score.py").write_text(textwrap.dedent(code))
    return run_program(program=world["program"], truth=world["truth"], submission=world["submission"], suffix=".csv",
                       metrics=METRICS, limits=ProgramLimits(**limits) if limits else None, hidden=[world["host"]])


def test_a_pandas_program_scores_as_scikit_learn_does(competition: dict[str, Path]) -> None:
    result = score(competition)
    labels, guesses, usage = np.load(competition["arrays"])
    assert result.scored, (result.fault, result.log)
    for subset, name in (("public", "Public"), ("private", "Private")):
        rows = usage == name
        assert math.isclose(result.scores[subset]["accuracy"], accuracy_score(labels[rows], guesses[rows]), abs_tol=1e-12)
        assert math.isclose(result.scores[subset]["macro_f1"], f1_score(labels[rows], guesses[rows], average="macro"),
                            abs_tol=1e-12)


def test_an_error_json_is_the_participants_mistake_in_the_programs_words(competition: dict[str, Path]) -> None:
    competition["submission"].write_text("row,guess\n0,cat\n")
    result = score(competition)
    assert (result.scores, result.error_code, result.error_message) == (None, "bad-header", "The header must be id,label.")
    long = score(competition, """
        import json
        json.dump({"code": "too-long", "message": "x" * 5000}, open("/output/error.json", "w"))
    """)
    assert long.error_code == "too-long" and long.error_message == "x" * 300


@pytest.mark.parametrize(("code", "fault"), [
    ("raise SystemExit(3)", "exited with status 3"),
    ("print('nothing written')", "wrote neither"),
    ("import json; json.dump({'public': {'accuracy': 1}, 'private': {'accuracy': 1}}, open('/output/scores.json', 'w'))",
     "exactly the metrics"),
    ("import json; m = {'accuracy': 1, 'macro_f1': 1, 'bonus': 1}; json.dump({'public': m, 'private': m}, "
     "open('/output/scores.json', 'w'))", "exactly the metrics"),
    ("open('/output/scores.json', 'w').write('{\"public\": {\"accuracy\": NaN, \"macro_f1\": 1}, \"private\": {}}')",
     "not JSON"),
    ("import json; m = {'accuracy': 1e400 * 0, 'macro_f1': 1}; open('/output/scores.json', 'w').write("
     "json.dumps({'public': m, 'private': m}, allow_nan=True))", "not JSON"),
    ("import json; m = {'accuracy': True, 'macro_f1': 1}; json.dump({'public': m, 'private': m}, "
     "open('/output/scores.json', 'w'))", "finite numbers"),
    ("open('/output/scores.json', 'w').write('{\"public\": \"' + 'x' * (50 * 1024 * 1024) + '\"}')", "at most 1 MB"),
    ("import json; json.dump({'code': 'Not Kebab', 'message': 'm'}, open('/output/error.json', 'w'))", "lower-kebab"),
    (f"import json; json.dump({{'code': '{PROGRAM_ERROR}', 'message': 'm'}}, open('/output/error.json', 'w'))",
     "lower-kebab"),
])
def test_anything_but_valid_scores_or_a_participant_error_is_the_programs_fault(
        competition: dict[str, Path], code: str, fault: str) -> None:
    result = score(competition, code)
    assert result.scores is None and result.error_code == PROGRAM_ERROR and fault in result.fault, result.fault
    assert "not a fault of your submission" in result.error_message


def test_a_program_that_runs_forever_or_eats_memory_is_stopped_at_its_limits(competition: dict[str, Path]) -> None:
    forever = score(competition, "while True:\n    pass\n", wall_seconds=5)
    assert forever.error_code == PROGRAM_ERROR and "wall-clock" in forever.fault and forever.seconds < 15
    hog = score(competition, "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n",
                wall_seconds=60, memory_mb=256)
    assert hog.error_code == PROGRAM_ERROR and "memory" in hog.fault


def test_a_fork_bomb_is_contained_and_leaves_nothing_running(competition: dict[str, Path]) -> None:
    result = score(competition, """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """, wall_seconds=10)
    assert result.error_code == PROGRAM_ERROR
    pool = range(uid_base("programs"), uid_base("programs") + UID_COUNT)
    assert [pid for uid in pool for pid in processes_of(uid)] == []  # live ones: a zombie holds nothing


def test_a_program_printing_100_mb_costs_64_kb_of_log(competition: dict[str, Path]) -> None:
    result = score(competition, ACCURACY.replace("import json\n", "import json, sys\nsys.stdout.write('y' * 100_000_000)\n"))
    assert result.scored and len(result.log) < 70_000 and "earlier bytes not kept" in result.log


def test_items_csv_is_collected_and_the_version_is_a_hash_of_the_files(competition: dict[str, Path]) -> None:
    result = score(competition, ACCURACY + "\nopen('/output/items.csv', 'w').write('id,subset,accuracy\\n0,Public,1\\n')\n")
    assert result.scored and result.items is not None and result.items.read_text().startswith("id,subset,accuracy")
    result.items.unlink()
    before = program_version(competition["program"])
    (competition["program"] / "helper.py").write_text("X = 1\n")
    assert program_version(competition["program"]) != before
    assert program_problem(competition["program"]) is None
    (competition["program"] / "score.py").unlink()
    assert "score.py" in (program_problem(competition["program"]) or "")


def test_a_program_can_reuse_podiums_scoring_package(competition: dict[str, Path]) -> None:
    result = score(competition, """
        import json
        from scoring.registry import TASKS
        m = {"accuracy": float(len(TASKS)), "macro_f1": 0.0}
        json.dump({"public": m, "private": m}, open("/output/scores.json", "w"))
    """)
    assert result.scored and result.scores["public"]["accuracy"] >= 5


def test_programs_run_as_uids_of_their_own_pool_never_a_models(competition: dict[str, Path]) -> None:
    result = score(competition, """
        import json, os
        m = {"accuracy": float(os.getuid()), "macro_f1": float(os.getgid())}
        json.dump({"public": m, "private": m}, open("/output/scores.json", "w"))
    """)
    uid = int(result.scores["public"]["accuracy"]) if result.scores else -1
    assert uid_base("programs") <= uid < uid_base("programs") + UID_COUNT
    assert not uid_base("models") <= uid < uid_base("models") + UID_COUNT
    assert POOLS["programs"].locks != POOLS["models"].locks


def test_overlapping_uid_pools_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.sandbox import SandboxUnavailable

    monkeypatch.setenv("PODIUM_SCORING_UID_BASE", str(uid_base("models") + 10))
    with pytest.raises(SandboxUnavailable, match="never share a uid"):
        uid_base("programs")


# ------------------------------------------------------------------------------------------------- the attacks

ATTACK = """
import json, os, socket, sys
hits = []
def attempt(name, action):
    try:
        if action():
            hits.append(name)
    except Exception:
        pass
host = {host!r}
attempt("another competition's truth", lambda: "OTHER-COMPETITIONS-TRUTH" in open(host + "/other-truth.csv").read())
attempt("the secret key", lambda: "SECRET-KEY" in open(host + "/secret_key").read())
attempt("the database", lambda: open(host + "/podium.sqlite3", "rb").read(16).startswith(b"SQLite format 3"))
attempt("another team's submission", lambda: "ANOTHER-TEAMS" in open(host + "/other-team.csv").read())
attempt("the network", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3) is not None)
attempt("the worker's /proc", lambda: b"pytest" in open("/proc/{pid}/cmdline", "rb").read())
attempt("the worker's settings", lambda: "postgres://" in os.environ.get("DATABASE_URL", ""))
attempt("a write outside /output", lambda: open(host + "/written-by-the-program", "w").write("x") > 0)
attempt("a write to its own folder", lambda: open("score.py", "a").write("# changed") > 0)
print("HITS=" + json.dumps(hits))
"""
ALL_HITS = ["another competition's truth", "the secret key", "the database", "another team's submission", "the network",
            "the worker's /proc", "the worker's settings", "a write outside /output", "a write to its own folder"]


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("sandboxed", [pytest.param(True, id="sandboxed"), pytest.param(False, id="plain-subprocess-control")])
def test_an_organizers_program_reaches_nothing_but_its_own_inputs(
        competition: dict[str, Path], listener: int, sandboxed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://podium:password@db/podium")
    code = ATTACK.format(host=str(competition["host"]), port=listener, pid=os.getpid())
    if sandboxed:
        log = score(competition, code).log
    else:  # the worker running the organizer's code itself, with its own environment
        (competition["program"] / "score.py").write_text(code)
        done = subprocess.run([sys.executable, "score.py"], cwd=competition["program"], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ))
        log = done.stdout + done.stderr
    hits = json.loads(log.split("HITS=")[1].splitlines()[0])
    written = (competition["host"] / "written-by-the-program").exists()
    if sandboxed:
        assert hits == [] and not written, hits
    else:
        assert hits == ALL_HITS and written, hits
