"""What a model upload is, decided without loading it, and its files laid out for the sandbox.

An upload is one of:
- a TorchScript archive (`torch.jit.save`): a zip whose top folder holds `code/__torch__…` and
  `constants.pkl`;
- an ONNX file: a protobuf `ModelProto`, whose first field is its `ir_version` (byte 0x08);
- a zip holding `model.pt` or `model.onnx` (with the ONNX model's external-data files), and
  optionally `tokenizer.json` and `podium.yaml`, at its top level or inside one folder.
Pickles, `torch.save` checkpoints and `torch.export` `.pt2` archives are refused: loading them
unpickles.

The worker runs this outside the sandbox, so it parses no model: it lists zips with
`workers/runtime/archive.py` (bounded, trusting no count or size it has not read), looks only at an
archive's top level, and copies a bundle's few members out, inflated in bounded steps, never more
than each declares. The model itself is parsed inside the sandbox.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from workers.runtime.archive import ArchiveError, Member, SafeZip, looks_like_zip
from workers.runtime.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES, ManifestError, parse_manifest

UNSUPPORTED = "unsupported-model-format"
HOW_TO = ("Submit a TorchScript file (torch.jit.save), an ONNX file (torch.onnx.export), or a zip holding "
          "model.onnx or model.pt with, optionally, tokenizer.json and podium.yaml.")
TORCHSCRIPT, ONNX, TOKENIZER = "model.pt", "model.onnx", "tokenizer.json"
MAX_ENTRIES = 20_000
MAX_DIRECTORY_BYTES = 8 * 1024 * 1024
MAX_BUNDLE_FILES = 64
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
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


HEAD_BYTES = 4


def head_problem(head: bytes) -> str | None:
    """From an upload's first bytes alone: None if it may be a model, else why it is not (checked before storing)."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or head[:1] == b"\x08":
        return None
    if head[:1] == b"\x80":
        return f"The file is a Python pickle (torch.save), which Podium never loads. {HOW_TO}"
    return f"The file is neither a TorchScript archive, an ONNX model nor a zip. {HOW_TO}"


def upload_kind(path: Path) -> str:
    """"model.pt", "model.onnx" or "bundle"; PackageError for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not looks_like_zip(path):
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


def _open_zip(path: Path) -> SafeZip:
    try:
        return SafeZip(path, max_entries=MAX_ENTRIES, max_directory_bytes=MAX_DIRECTORY_BYTES)
    except ArchiveError as exc:
        raise PackageError(f"{str(exc)[:1].upper()}{str(exc)[1:]}. {HOW_TO}") from None
    except OSError:
        raise PackageError(f"The file is a damaged zip archive. {HOW_TO}") from None


def _zip_names(path: Path) -> list[str]:
    with _open_zip(path) as archive:
        return archive.names()


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
    with _open_zip(upload) as archive:
        entries = {member.name: member for member in archive.members}
        members = _top_level(list(entries))
        models = [name for name in (TORCHSCRIPT, ONNX) if name in members]
        if len(models) != 1:
            raise PackageError(f"The zip holds both model.pt and model.onnx; keep one. {HOW_TO}")
        unsafe = sorted(name for name in members if not SAFE_NAME.match(name))
        if unsafe:
            raise PackageError(f"The zip holds a file named {unsafe[0][:60]!r}; names may use letters, digits, '.', '_' and '-'.")
        if len(members) > MAX_BUNDLE_FILES:
            raise PackageError(f"The zip holds {len(members)} files; a model bundle may hold at most {MAX_BUNDLE_FILES}.")
        chosen = {name: entries[entry] for name, entry in members.items()}
        declared = sum(member.size for member in chosen.values())
        if declared > max_bytes:
            raise PackageError(f"The zip unpacks to {declared / 1e6:.0f} MB; a model may be at most {max_bytes / 1e6:.0f} MB.")
        for name, member in chosen.items():
            _copy_member(archive, member, folder / name)
    manifest = _manifest(folder)
    if models[0] == TORCHSCRIPT:
        inner = folder / TORCHSCRIPT
        problem = torchscript_problem(_zip_names(inner)) if looks_like_zip(inner) else "model.pt is not a zip archive."
        if problem:
            raise PackageError(f"model.pt in the zip: {problem} {HOW_TO}")
    return ModelPackage(folder, models[0], manifest, (folder / TOKENIZER).is_file())


def _copy_member(archive: SafeZip, member: Member, target: Path) -> None:
    """Copy one member, inflated in bounded steps and never past what it declares (a lying header fills nothing)."""
    try:
        with open(target, "xb") as sink:
            for chunk in archive.open(member):
                sink.write(chunk)
    except ArchiveError as exc:
        raise PackageError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None
    except OSError as exc:
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
