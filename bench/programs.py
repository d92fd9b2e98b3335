"""What the sandbox adds to an organizer's scoring program: the same program run through `run_program` and directly;
then the whole upload-to-score path of a competition scored by that program, beside a built-in one's.

    python bench/run.py programs

A 20-line pandas program scores a 10,000-row CSV (accuracy per subset). The reference, in the same run, is
`python score.py` as a plain subprocess reading the same files from a folder laid out as the sandbox shows them.
Runs alternate, and the table gives the median of each. Goal (SPEC 9, issue "scoring programs"): under 0.3 s added.

The second table uploads 10,000-row files through the real stack (uvicorn, Redis, a `programs` worker and a
`scoring` worker) to a `custom` competition scored by the same program and, alternately, to a built-in
text-classification competition, polling each until scored. Goal: under 2 s at p50 for the program.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import ROOT, print_table

sys.path.insert(0, str(ROOT))

ROUNDS = 7
ROWS = 10_000
PROGRAM = """
import json
import pandas as pd

root = {root!r}
truth = pd.read_csv(root + "/input/truth/labels.csv")
submission = pd.read_csv(root + "/input/submission/submission.csv")
if list(submission.columns) != ["id", "label"]:
    json.dump({{"code": "bad-header", "message": "The header must be id,label."}}, open(root + "/output/error.json", "w"))
    raise SystemExit(0)
merged = truth.merge(submission, on="id", suffixes=("", "_predicted"))
if len(merged) != len(truth):
    json.dump({{"code": "missing-ids", "message": "Every id needs a label."}}, open(root + "/output/error.json", "w"))
    raise SystemExit(0)
scores = {{}}
for subset, rows in merged.groupby("usage"):
    scores[subset.lower()] = {{"accuracy": float((rows["label"] == rows["label_predicted"]).mean())}}
json.dump(scores, open(root + "/output/scores.json", "w"))
"""


def main() -> None:
    from workers.programs import run_program

    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        for name in ("program", "direct/input/truth", "direct/input/submission", "direct/output"):
            (base / name).mkdir(parents=True)
        (base / "program" / "score.py").write_text(PROGRAM.format(root=""))
        (base / "direct" / "score.py").write_text(PROGRAM.format(root=str(base / "direct")))
        labels = rng.integers(0, 5, ROWS)
        guesses = np.where(rng.random(ROWS) < 0.8, labels, rng.integers(0, 5, ROWS))
        truth = "id,label,usage\n" + "".join(f"{i},{a},{'Public' if i % 3 else 'Private'}\n" for i, a in enumerate(labels))
        submission = "id,label\n" + "".join(f"{i},{g}\n" for i, g in enumerate(guesses))
        for where in (base / "program-truth", base / "direct" / "input" / "truth"):
            where.mkdir(exist_ok=True)
            (where / "labels.csv").write_text(truth)
        (base / "submission.csv").write_text(submission)
        (base / "direct" / "input" / "submission" / "submission.csv").write_text(submission)
        times: dict[str, list[float]] = {"direct": [], "sandbox": []}
        for _ in range(ROUNDS):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "score.py"], cwd=base / "direct", capture_output=True, text=True)
            times["direct"].append(time.perf_counter() - started)
            assert done.returncode == 0 and (base / "direct" / "output" / "scores.json").exists(), done.stderr
            started = time.perf_counter()
            result = run_program(program=base / "program", truth=base / "program-truth", submission=base / "submission.csv",
                                 suffix=".csv", metrics=["accuracy"])
            times["sandbox"].append(time.perf_counter() - started)
            assert result.scored, (result.fault, result.log)
    direct, boxed = statistics.median(times["direct"]), statistics.median(times["sandbox"])
    print_table(
        f"Scoring program: a pandas program on a {ROWS:,}-row CSV ({ROUNDS} runs each, median)",
        ["run", "seconds", "goal"],
        [["python score.py, a plain subprocess (reference, same run)", f"{direct:.3f}", ""],
         ["run_program: bubblewrap, its own uid, outputs judged", f"{boxed:.3f}", ""],
         ["added by the sandbox", f"{boxed - direct:+.3f}", "< 0.3 s"]],
    )

    upload_to_score()


UPLOADS = 20
GOAL_UPLOAD_P50 = 2.0


def upload_to_score() -> dict[str, float]:
    import os

    import latency
    from common import percentile

    var = Path(tempfile.mkdtemp(prefix="podium-bench-programs-"))
    os.environ.update(PODIUM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="podium.settings")
    os.environ.pop("DATABASE_URL", None)
    from podium.devstack import EmbeddedRedis, start_web, start_worker, stop_process

    redis_server = EmbeddedRedis(var / "redis.sock").start()
    os.environ["REDIS_URL"] = redis_server.url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    token, files = latency._world(var)  # the built-in competition "bench", its files and a participant's token
    program_files = _program_competition(var)
    env = {"PODIUM_VAR_DIR": str(var), "REDIS_URL": redis_server.url}
    port = latency._free_port()
    workers = [start_worker(queues="scoring", concurrency=1, env=env, log_path=var / "scoring.log"),
               start_worker(queues="programs", concurrency=1, env=env, log_path=var / "programs.log")]
    web = start_web(bind=f"127.0.0.1:{port}", workers=2, env=env, log_path=var / "web.log")
    times: dict[str, list[float]] = {"program": [], "built-in": []}
    try:
        base = f"http://127.0.0.1:{port}"
        latency._wait_ready(base, var / "programs.log")
        latency._run(base, token, program_files, slug="bench-program", count=1)  # the program unpacked once
        for _ in range(UPLOADS):
            times["program"] += latency._run(base, token, program_files, slug="bench-program", count=1)
            times["built-in"] += latency._run(base, token, files, slug="bench", count=1)
    finally:
        stop_process(web)
        for worker in workers:
            stop_process(worker)
        redis_server.stop()
    p50 = {name: percentile(values, 50) for name, values in times.items()}
    print_table(
        f"Upload to scored through uvicorn, Redis and the workers: {UPLOADS} sequential {ROWS:,}-row files each",
        ["competition", "p50 seconds", "p95 seconds", "goal"],
        [["scored by its own program (programs worker, the sandbox)", f"{p50['program']:.3f}",
          f"{percentile(times['program'], 95):.3f}", f"p50 < {GOAL_UPLOAD_P50} s"],
         ["built-in text classification (reference, same run)", f"{p50['built-in']:.3f}",
          f"{percentile(times['built-in'], 95):.3f}", ""]],
    )
    return p50


def _program_competition(var: Path) -> list[Path]:
    """The `custom` competition "bench-program", scored by PROGRAM, the bench's participant joined; its files."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from competitions.models import Competition
    from competitions.programs import program_save, zipped_folder
    from teams.services import membership_join

    rng = np.random.default_rng(5)
    labels = rng.integers(0, 5, ROWS)
    (var / "program").mkdir()
    (var / "program" / "score.py").write_text(PROGRAM.format(root=""))
    (var / "truth").mkdir()
    (var / "truth" / "labels.csv").write_text(
        "id,label,usage\n" + "".join(f"{i},{a},{'Public' if i % 3 else 'Private'}\n" for i, a in enumerate(labels)))
    competition = Competition.objects.create(
        slug="bench-program", title="Bench program", task="custom", submission_suffix=".csv",
        metrics=[{"name": "accuracy", "label": "Accuracy", "higher_is_better": True}],
        start_at=timezone.now() - timedelta(days=1), end_at=timezone.now() + timedelta(days=1),
        daily_submission_limit=UPLOADS * 2 + 10, published_at=timezone.now())
    competition.truth_file.save("truth.zip", zipped_folder(var / "truth"), save=True)
    program_save(competition=competition, folder=var / "program")
    membership_join(competition=competition, user=get_user_model().objects.get(username="bencher"), accept_rules=True)
    files = []
    for k in range(3):
        guesses = np.where(rng.random(ROWS) < 0.6 + k / 10, labels, rng.integers(0, 5, ROWS))
        path = var / f"program-submission{k}.csv"
        path.write_text("id,label\n" + "".join(f"{i},{g}\n" for i, g in enumerate(guesses)))
        files.append(path)
    return files


if __name__ == "__main__":
    main()
