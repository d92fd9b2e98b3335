"""Only TorchScript archives are loaded; pickles, torch.save checkpoints and .pt2 files are refused unopened."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from workers.model_format import model_format_problem


class Plus(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1


class Bomb:
    """Unpickling this would create a file: the check must never unpickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.marker), "w"))


def test_a_torchscript_archive_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.jit.save(torch.jit.script(Plus()), str(path))
    assert model_format_problem(path) is None


def test_a_model_defined_in_a_scripts_main_is_accepted(tmp_path: Path) -> None:
    import runpy

    script = tmp_path / "train.py"
    script.write_text("import torch\nclass Plus(torch.nn.Module):\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
                      "        return x + 1\ntorch.jit.save(torch.jit.script(Plus()), 'model.pt')\n")
    import os

    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        os.chdir(previous)
    assert model_format_problem(tmp_path / "model.pt") is None


def test_a_pickle_bomb_is_refused_without_being_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "exploded"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Bomb(marker)))
    problem = model_format_problem(path)
    assert problem is not None and "pickle" in problem
    assert not marker.exists()


def test_a_torch_save_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(Plus(), path)
    assert "torch.save" in (model_format_problem(path) or "")


def test_a_torch_export_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt2"
    exported = torch.export.export(Plus(), (torch.zeros(2),))
    torch.export.save(exported, str(path))
    assert ".pt2" in (model_format_problem(path) or "")


@pytest.mark.parametrize("content", [b"", b"hello", b"PK\x03\x04broken"])
def test_other_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    assert model_format_problem(path) is not None
