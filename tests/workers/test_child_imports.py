"""The sandboxed model runner loads no framework: no Django, no Celery, no database driver."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_inference_child_imports_no_django_or_celery() -> None:
    code = (
        "import sys, workers.inference_child\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'kombu', 'psycopg', 'redis')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
