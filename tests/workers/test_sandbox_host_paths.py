"""The sandbox gives nothing of its host away: inside, /proc/self/mountinfo, /proc/1/cmdline (bwrap's own
command line), every process's environment and cmdline, and the interpreter's own paths name none of the host's
folders: the checkout, the Python installation, the virtualenv, the staging folders, the run's files."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from workers.inference import private_workdir
from workers.sandbox import Limits, run_contained

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, sys
seen = {"mountinfo": open("/proc/self/mountinfo").read(), "sys": [sys.executable, sys.prefix, *sys.path]}
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("cmdline", "environ"):
        try:
            seen[f"{pid}/{name}"] = open(f"/proc/{pid}/{name}", "rb").read().decode(errors="replace")
        except OSError as exc:
            seen[f"{pid}/{name}"] = f"unreadable: {exc.errno}"
seen["model"] = sorted(os.listdir("model"))
with open("out/seen.json", "w") as handle:  # a file, not the log: unsandboxed, every host process is listed
    json.dump(seen, handle)
"""


def _host_paths(*extra: Path) -> set[str]:
    paths = {str(ROOT), str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve()), sys.prefix,
             sys.base_prefix, str(Path(sys.executable).parent), f"{tempfile.gettempdir()}/podium-sandbox-",
             f"{tempfile.gettempdir()}/podium-model-", *(str(path) for path in extra)}
    return {path for path in paths if path not in ("/", "/usr", "/usr/local")}


def _seen(unsandboxed: bool, model: Path, inputs: Path) -> dict[str, object]:
    workdir = private_workdir()
    try:
        outcome = run_contained([sys.executable, "-c", PROBE], workdir=workdir,
                                read_only={"model": model, "inputs": inputs}, hidden=[], limits=Limits(wall_seconds=60),
                                unsandboxed=unsandboxed, collect=("seen.json",))
        assert "seen.json" in outcome.collected, outcome.log[-3000:]
        return json.loads(outcome.collected["seen.json"].read_text())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def run_files(tmp_path: Path) -> tuple[Path, Path]:
    model, inputs = tmp_path / "a-host-folder" / "model", tmp_path / "a-host-folder" / "inputs"
    model.mkdir(parents=True)
    inputs.mkdir()
    (model / "model.onnx").write_bytes(b"\x08\x07")
    (inputs / "test.csv").write_text("id,text\n1,hello\n")
    return model, inputs


def test_nothing_inside_the_sandbox_names_a_host_folder(run_files: tuple[Path, Path], tmp_path: Path) -> None:
    seen = _seen(False, *run_files)
    assert seen["model"] == ["model.onnx"]
    assert "bwrap --args " in str(seen["1/cmdline"]).replace("\x00", " ")
    text = json.dumps(seen)
    leaked = sorted(path for path in _host_paths(tmp_path, *run_files) if path in text)
    assert not leaked, leaked


def test_the_control_without_the_sandbox_sees_the_host_folders(run_files: tuple[Path, Path], tmp_path: Path) -> None:
    """The same probe, unsandboxed, names them: the test above would see a leak."""
    text = json.dumps(_seen(True, *run_files))
    assert str(ROOT) in text and str(Path(sys.base_prefix).resolve()) in text


@pytest.mark.parametrize("planted", ["a world-writable folder", "a link to another folder"])
def test_a_view_folder_planted_by_someone_else_is_refused(planted: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The view lies in a world-writable folder under a fixed name: whoever made it could swap the runtime."""
    import os

    from workers.sandbox.view import ViewUnsafe, view_root

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    target = tmp_path / f"podium-view-{os.geteuid()}"
    if planted == "a world-writable folder":
        target.mkdir()
        target.chmod(0o777)
    else:
        (tmp_path / "elsewhere").mkdir(mode=0o711)
        target.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ViewUnsafe, match="remove it"):
        view_root()
    target.unlink() if target.is_symlink() else target.rmdir()
    assert view_root() == target and oct(target.stat().st_mode & 0o777) == "0o711"
