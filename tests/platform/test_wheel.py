"""The wheel Podium's Dockerfile installs holds every app: built here, installed in a fresh virtualenv (its
dependencies from this one, the source tree nowhere on the path), it passes `manage.py check` and scores a file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from competitions.demo_data import Bundle
from tests.test_layout import APPS as PLATFORM_APPS

ROOT = Path(__file__).resolve().parents[2]
APPS = tuple(sorted(PLATFORM_APPS | {"podium"}))
pytestmark = pytest.mark.defaults_only  # the installed wheel runs on its defaults, whatever DATABASE_URL says


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fresh virtualenv's python, with the built wheel installed in it."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                    str(root / "dist"), str(ROOT)], check=True, cwd=root, timeout=300)
    wheel = next((root / "dist").glob("podium-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies, from this virtualenv: a plain path entry, so its editable-install hook is not run.
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    return python


def _run(python: Path, tmp_path: Path, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="podium.settings", PODIUM_VAR_DIR=str(tmp_path / "var"))
    done = subprocess.run([str(python), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_installed_wheel_holds_every_app_and_passes_the_checks(installed: Path, tmp_path: Path) -> None:
    where = json.loads(_run(installed, tmp_path, "-c", "import importlib, json; print(json.dumps({name: "
                            f"importlib.import_module(name).__file__ for name in {list(APPS)!r}}}))"))
    assert all(str(ROOT) not in path and "site-packages" in path for path in where.values()), where
    assert "System check identified no issues" in _run(installed, tmp_path, "-m", "django", "check")


def test_the_installed_wheel_scores_a_file(installed: Path, tmp_path: Path, text_bundle: Bundle) -> None:
    out = _run(installed, tmp_path, "-m", "scoring", "score", "--task", "text-classification",
               "--truth", str(text_bundle.path / "truth.csv"), "--submission", str(text_bundle.baselines["Keyword Voters"]))
    assert '"accuracy"' in out
