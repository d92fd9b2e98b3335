"""What the sandbox adds to a model run: the same job run under bubblewrap and as a plain subprocess.

    python bench/run.py sandbox

Both run the example text classifier over the demo's test texts through `run_job` (fetch, format check,
the child process, predictions collected and stored); the only difference is `unsandboxed`. Runs alternate,
and the table gives the median of each. Goal: the sandbox adds under 0.5 s per submission.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import ROOT, print_table

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "platform"))

ROUNDS = 7
CLASSES = ["food", "sports", "technology", "travel"]


def main() -> None:
    from competitions.demo_data import text_classification_bundle
    from examples import text_classification
    from workers.inference import InferenceJob, run_job
    from workers.storage import LocalFiles

    with tempfile.TemporaryDirectory() as folder:
        media = Path(folder) / "media"
        bundle = text_classification_bundle(Path(folder) / "bundle")
        shutil.copytree(bundle.path / "public", media / "public")
        (media / "submissions").mkdir()
        model = text_classification.build(bundle.path / "public", {"classes": CLASSES})
        torch.jit.save(model, str(media / "submissions" / "model.pt"))
        job = InferenceJob(submission_id=1, task="text-classification", model="submissions/model.pt", inputs="public",
                           output="predictions/out.csv", classes=CLASSES, batch_size=64)
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(ROUNDS):
            for unsandboxed in (True, False):
                started = time.perf_counter()
                result = run_job(job, files=LocalFiles(media), hidden=[media], device="cpu", unsandboxed=unsandboxed)
                times[unsandboxed].append(time.perf_counter() - started)
                assert result.error is None, result.error
    plain, boxed = statistics.median(times[True]), statistics.median(times[False])
    print_table(
        f"Sandbox cost: one text-classification model run ({ROUNDS} runs each, median)",
        ["run", "seconds", "goal"],
        [["plain subprocess (reference, same run)", f"{plain:.3f}", ""],
         ["bubblewrap sandbox", f"{boxed:.3f}", ""],
         ["added by the sandbox", f"{boxed - plain:+.3f}", "< 0.5 s"]],
    )


if __name__ == "__main__":
    main()
