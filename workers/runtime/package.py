"""What a model upload is, decided without loading it, and its files laid out for the sandbox.

An upload is one of:
- a TorchScript archive (`torch.jit.save`): a zip whose top folder holds `code/__torch__…` and
  `constants.pkl`;
- an ONNX file: a protobuf `ModelProto`, whose first field is its `ir_version` (byte 0x08);
- a zip holding `model.pt` or `model.onnx` (with the ONNX model's external-data files), and
  optionally `tokenizer.json` and `podium.yaml`, at its top level or inside one folder.
Pickles, `torch.save` checkpoints and `torch.export` `.pt2` archives are refused: loading them
unpickles.

The worker runs this outside the sandbox, so it parses no model: it reads zip end records and
central directories (bounded), looks only at an archive's top level, and copies a bundle's few
members out with a byte cap. The model itself is parsed inside the sandbox.
"""
from __future__ import annotations

import re
import shutil
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from workers.runtime.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES, ManifestError, parse_manifest

UNSUPPORTED = "unsupported-model-format"
HOW_TO = ("Submit a TorchScript file (torch.jit.save), an ONNX file (torch.onnx.export), or a zip holding "
          "model.onnx or model.pt with, optionally, tokenizer.json and podium.yaml.")
TORCHSCRIPT, ONNX, TOKENIZER = "model.pt", "model.onnx", "tokenizer.json"
MAX_ENTRIES = 20_000
MAX_DIRECTORY_BYTES = 8 * 1024 * 1024
MAX_BUNDLE_FILES = 64
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
END_RECORD, END_RECORD64, LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
# torch.export's .pt2 archive: these sit directly in its top folder.
EXPORT_MARKERS = {"archive_format", "archive_version", "models", "serialized_exported_program.json"}


class PackageError(ValueError):
    """The upload is not a model Podium runs; the message says what it is and what to do."""


@dataclass(frozen=True)
class ModelPackage:
    folder: Path  # holds model.pt or model.onnx and the bundle's other files, read-only in the sandbox
    model_file: str
    manifest: dict[str, Any] = field(default_factory=dict)
    tokenizer: bool = False


def unpack_model(upload: Path, folder: Path, *, max_bytes: int) -> ModelPackage:
    """Lay the upload out in `folder` (created here; a single model file is moved there), or raise PackageError."""
    upload, folder = Path(upload), Path(folder)
    folder.mkdir(mode=0o755)
    kind = upload_kind(upload)
    if kind in (TORCHSCRIPT, ONNX):
        shutil.move(upload, folder / kind)  # a rename where both are on one filesystem: no copy of a 2 GB model
        (folder / kind).chmod(0o644)
        return ModelPackage(folder, kind)
    return _unpack_bundle(upload, folder, max_bytes)


def upload_kind(path: Path) -> str:
    """"model.pt", "model.onnx" or "bundle"; PackageError for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not zipfile.is_zipfile(path):
        if head[:1] == b"\x80":
            raise PackageError(f"The file is a Python pickle (torch.save), which Podium never loads. {HOW_TO}")
        if head[:1] == b"\x08":
            return ONNX
        raise PackageError(f"The file is neither a TorchScript archive, an ONNX model nor a zip. {HOW_TO}")
    names = _zip_names(path)
    tops = _top_level(names)
    if TORCHSCRIPT in tops or ONNX in tops:
        return "bundle"
    problem = torchscript_problem(names)
    if problem:
        raise PackageError(f"{problem} {HOW_TO}")
    return TORCHSCRIPT


def torchscript_problem(names: list[str]) -> str | None:
    """None for a TorchScript archive's entries, else what the archive is instead.

    Only the top folder's own entries count: code paths such as
    `code/__torch__/transformers/models/bert/…` say nothing about the format.
    """
    tops = {PurePosixPath(name).parts[1] for name in names if len(PurePosixPath(name).parts) > 1}
    if tops & EXPORT_MARKERS:
        return "The file is a torch.export .pt2 archive, whose loader unpickles; it is not accepted."
    roots = {PurePosixPath(name).parts[0] for name in names if PurePosixPath(name).parts}
    has_code = any(re.match(r"^[^/]+/code/__torch__(/|\.py$)", name) for name in names)
    if len(roots) == 1 and has_code and "constants.pkl" in tops:
        return None
    if "data.pkl" in tops:
        return "The file is a torch.save checkpoint (pickled Python objects), which Podium never loads."
    return "The zip archive holds no TorchScript code and no model.pt or model.onnx."


def _zip_names(path: Path) -> list[str]:
    problem = _directory_problem(path)
    if problem:
        raise PackageError(f"{problem} {HOW_TO}")
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, struct.error):
        raise PackageError(f"The file is a damaged zip archive. {HOW_TO}") from None


def _top_level(names: list[str]) -> dict[str, str]:
    """A bundle's top-level file names → their entries: at the zip's root, or inside its one folder."""
    parts = [PurePosixPath(name).parts for name in names if not name.endswith("/")]
    parts = [p for p in parts if p and p[0] != "__MACOSX" and p[-1] != ".DS_Store"]
    roots = {p[0] for p in parts if len(p) > 1}
    flat = all(len(p) == 1 for p in parts)
    if flat:
        return {p[0]: "/".join(p) for p in parts}
    if len(roots) == 1 and all(len(p) >= 2 for p in parts):
        return {p[1]: "/".join(p) for p in parts if len(p) == 2}
    return {}


def _unpack_bundle(upload: Path, folder: Path, max_bytes: int) -> ModelPackage:
    with zipfile.ZipFile(upload) as archive:
        members = _top_level(archive.namelist())
        models = [name for name in (TORCHSCRIPT, ONNX) if name in members]
        if len(models) != 1:
            raise PackageError(f"The zip holds both model.pt and model.onnx; keep one. {HOW_TO}")
        unsafe = sorted(name for name in members if not SAFE_NAME.match(name))
        if unsafe:
            raise PackageError(f"The zip holds a file named {unsafe[0][:60]!r}; names may use letters, digits, '.', '_' and '-'.")
        if len(members) > MAX_BUNDLE_FILES:
            raise PackageError(f"The zip holds {len(members)} files; a model bundle may hold at most {MAX_BUNDLE_FILES}.")
        infos = {name: archive.getinfo(entry) for name, entry in members.items()}
        declared = sum(info.file_size for info in infos.values())
        if declared > max_bytes:
            raise PackageError(f"The zip unpacks to {declared / 1e6:.0f} MB; a model may be at most {max_bytes / 1e6:.0f} MB.")
        for name, info in infos.items():
            _copy_member(archive, info, folder / name)
    manifest = _manifest(folder)
    if models[0] == TORCHSCRIPT:
        inner = folder / TORCHSCRIPT
        problem = torchscript_problem(_zip_names(inner)) if zipfile.is_zipfile(inner) else "model.pt is not a zip archive."
        if problem:
            raise PackageError(f"model.pt in the zip: {problem} {HOW_TO}")
    return ModelPackage(folder, models[0], manifest, (folder / TOKENIZER).is_file())


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one member, never writing more than it declares (a lying header cannot fill the disk)."""
    written = 0
    try:
        with archive.open(info) as source, open(target, "xb") as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise PackageError(f"The zip entry {target.name!r} is larger than its header says.")
                sink.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise PackageError(f"The zip entry {target.name!r} could not be read ({str(exc)[:80]}).") from None
    target.chmod(0o644)


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    with open(path, "rb") as handle:
        data = handle.read(MAX_MANIFEST_BYTES + 1)
    try:
        return parse_manifest(data)
    except ManifestError as exc:
        raise PackageError(str(exc) + ".") from None


def _directory_problem(path: Path) -> str | None:
    """Refuse a zip whose central directory is too large to list, from its end records alone."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 65_557))  # the end record (22 bytes) and at most a 64 KB comment
        tail = handle.read()
        at = tail.rfind(END_RECORD)
        if at < 0 or len(tail) - at < 22:
            return "The file is a damaged zip archive (no end of central directory)."
        entries, directory_bytes = struct.unpack("<xxxxxxxxxxHI", tail[at:at + 16])
        locator = tail[at - 20:at] if at >= 20 else b""
        if locator.startswith(LOCATOR64):
            (offset,) = struct.unpack("<Q", locator[8:16])
            if offset > size - 56:
                return "The file is a damaged zip archive (bad ZIP64 record)."
            handle.seek(offset)
            record = handle.read(56)
            if not record.startswith(END_RECORD64):
                return "The file is a damaged zip archive (bad ZIP64 record)."
            entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    if entries > MAX_ENTRIES or directory_bytes > MAX_DIRECTORY_BYTES:
        return (f"The zip archive lists {entries} entries in a {directory_bytes}-byte directory; "
                f"a model may have at most {MAX_ENTRIES} entries.")
    return None
