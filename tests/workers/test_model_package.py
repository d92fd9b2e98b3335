"""What a model upload is, decided unopened: TorchScript, ONNX and bundles in; pickles, checkpoints and .pt2 out."""
from __future__ import annotations

import pickle
import re
import struct
from pathlib import Path

import pytest
import torch

from workers.runtime.package import PackageError, unpack_model, upload_kind


def model_format_problem(path: Path) -> str | None:
    try:
        upload_kind(path)
    except PackageError as problem:
        return str(problem)
    return None


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


def _renamed_archive(source: Path, target: Path, old: str, new: str) -> Path:
    """The same TorchScript archive with its code moved under another path, as packages name it."""
    import zipfile

    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            out.writestr(info.filename.replace(old, new), archive.read(info))
    return target


@pytest.mark.parametrize("package", ["models/detector", "transformers/models/bert/modeling_bert",
                                     "torchvision/models/detection/faster_rcnn", "segmentation_models_pytorch/models"])
def test_torchscript_whose_code_lives_under_a_models_package_is_accepted(tmp_path: Path, package: str) -> None:
    plain = tmp_path / "plain.pt"
    torch.jit.save(torch.jit.script(Plus()), str(plain))
    # torch.jit.save names code after the module's package: code/__torch__/<package>/….py
    import zipfile

    names = zipfile.ZipFile(plain).namelist()
    code = next(n for n in names if "/code/__torch__" in n)
    moved = _renamed_archive(plain, tmp_path / "model.pt", code.split("/code/")[0] + "/code/__torch__",
                             code.split("/code/")[0] + f"/code/__torch__/{package}")
    assert any(f"/{package}" in n for n in zipfile.ZipFile(moved).namelist())
    assert model_format_problem(moved) is None
    assert upload_kind(moved) == "model.pt"


def test_a_real_model_in_a_models_package_is_accepted(tmp_path: Path) -> None:
    """A module defined in a participant's own `models` package, scripted and saved."""
    import subprocess
    import sys

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "net.py").write_text(
        "import torch\nclass Net(torch.nn.Module):\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        return x * 2\n")
    code = "import torch\nfrom models.net import Net\ntorch.jit.save(torch.jit.script(Net()), 'model.pt')\n"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, capture_output=True)
    import zipfile

    assert any("/models/" in n for n in zipfile.ZipFile(tmp_path / "model.pt").namelist())
    assert model_format_problem(tmp_path / "model.pt") is None


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


ONNX_BYTES = b"\x08\x09\x12\x04test"  # starts like a ModelProto (ir_version); parsed only in the sandbox


def test_an_onnx_file_is_recognised_by_its_first_field(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(ONNX_BYTES)
    assert upload_kind(path) == "model.onnx"
    package = unpack_model(path, tmp_path / "model", max_bytes=1 << 20)
    assert package.model_file == "model.onnx" and (tmp_path / "model" / "model.onnx").read_bytes() == ONNX_BYTES


@pytest.mark.parametrize("prefix", ["", "bert-export/"])
def test_a_bundle_is_laid_out_flat_with_its_tokenizer_and_manifest(tmp_path: Path, prefix: str) -> None:
    upload = _zip(tmp_path / "upload.zip", {f"{prefix}model.onnx": ONNX_BYTES, f"{prefix}tokenizer.json": b"{}",
                                            f"{prefix}podium.yaml": b"max_length: 64\n", f"{prefix}model.onnx.data": b"w" * 10,
                                            "__MACOSX/._model.onnx": b"junk"})
    package = unpack_model(upload, tmp_path / "model", max_bytes=1 << 20)
    assert package.model_file == "model.onnx" and package.tokenizer
    assert package.manifest == {"max_length": 64}
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["model.onnx", "model.onnx.data", "podium.yaml", "tokenizer.json"]


@pytest.mark.parametrize("files,says", [
    ({"model.onnx": ONNX_BYTES, "model.pt": b"PK"}, "both model.pt and model.onnx"),
    ({"model.onnx": ONNX_BYTES, "podium.yaml": b"input_size: big\n"}, "input_size must be"),
    ({"model.onnx": ONNX_BYTES, "podium.yaml": b"colour: red\n"}, "unknown keys colour"),
    ({"model.onnx": ONNX_BYTES, "podium.yaml": b"mean: [0.5, 0.5, 0.5]\n"}, "give both"),
    ({"model.onnx": ONNX_BYTES, "podium.yaml": b"[unclosed\n"}, "not valid YAML"),
    ({"model.pt": b"not a zip"}, "model.pt is not a zip archive"),
    ({"model.onnx": ONNX_BYTES, "big.bin": b"x" * 5000}, "unpacks to"),
])
def test_a_bad_bundle_is_refused_with_what_is_wrong(tmp_path: Path, files: dict[str, bytes], says: str) -> None:
    upload = _zip(tmp_path / "upload.zip", files)
    with pytest.raises(PackageError, match=re.escape(says)):
        unpack_model(upload, tmp_path / "model", max_bytes=4096)


def test_a_bundle_member_larger_than_its_header_says_is_cut_off(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "upload.zip", {"model.onnx": ONNX_BYTES + b"\x00" * 100_000})
    data = bytearray(upload.read_bytes())
    # Shrink the declared size in both headers: the copy must stop at the declared size.
    declared = struct.pack("<I", len(ONNX_BYTES) + 100_000)
    assert data.count(declared) == 2
    data = data.replace(declared, struct.pack("<I", 10))
    upload.write_bytes(bytes(data))
    with pytest.raises(PackageError):
        unpack_model(upload, tmp_path / "model", max_bytes=1 << 20)
