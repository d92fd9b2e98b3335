"""`python -m scoring score` prints scores and exits 0, or prints the error and exits 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scoring", *args], cwd=ROOT, capture_output=True, text=True)


def test_it_prints_public_and_private_scores(tmp_path: Path) -> None:
    (tmp_path / "truth.csv").write_text("id,label,Usage\n1,a,Public\n2,b,Private\n3,b,Public\n")
    (tmp_path / "s.csv").write_text("id,label\n1,a\n2,b\n3,a\n")
    result = run("score", "--task", "text-classification", "--truth", str(tmp_path / "truth.csv"),
                 "--submission", str(tmp_path / "s.csv"))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["public"]["accuracy"] == 0.5 and scores["private"]["accuracy"] == 1.0
    assert set(scores["public"]) == {"accuracy", "macro_f1", "micro_f1", "weighted_f1"}


def test_an_invalid_submission_exits_2_with_the_error(tmp_path: Path) -> None:
    (tmp_path / "truth.csv").write_text("id,label,Usage\n1,a,Public\n2,b,Private\n")
    (tmp_path / "s.csv").write_text("id,lbl\n1,a\n")
    result = run("score", "--task", "text-classification", "--truth", str(tmp_path / "truth.csv"),
                 "--submission", str(tmp_path / "s.csv"))
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["code"] == "bad-header"
