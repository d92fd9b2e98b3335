"""What the sandbox adds to an organizer's scoring program: the same program run through `run_program` and directly.

    python bench/run.py programs

A 20-line pandas program scores a 10,000-row CSV (accuracy per subset). The reference, in the same run, is
`python score.py` as a plain subprocess reading the same files from a folder laid out as the sandbox shows them.
Runs alternate, and the table gives the median of each. Goal (SPEC 9, issue "scoring programs"): under 0.3 s added.
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


if __name__ == "__main__":
    main()
