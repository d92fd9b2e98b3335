"""What a model upload is, decided without loading it, and its files laid out for the sandbox.

An upload is one of:
- a model file of a registered format (`workers/runtime/formats/`), each recognised as it declares:
  a TorchScript archive (`torch.jit.save`) by the names in its zip, an ONNX file by its first byte;
- a zip holding one format's file (`model.pt`, `model.onnx`, with the ONNX model's external-data
  files), and optionally `tokenizer.json` and `podium.yaml`, at its top level or inside one folder.
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

from workers.runtime import ModelFailure
from workers.runtime.archive import ArchiveError, Member, SafeZip, looks_like_zip
from workers.runtime.formats import ModelFormat, format_named, model_file_names, model_formats
from workers.runtime.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES, ManifestError, parse_manifest

UNSUPPORTED = ModelFailure.UNSUPPORTED
TOKENIZER = "tokenizer.json"
BUNDLE = "bundle"
MAX_ENTRIES = 20_000
MAX_DIRECTORY_BYTES = 8 * 1024 * 1024
MAX_BUNDLE_FILES = 64
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
PICKLE_MAGIC = b"\x80"


def how_to() -> str:
    """What to submit instead, from the registered formats."""
    formats = [fmt.how for fmt in model_formats()]
    listed = formats[0] if len(formats) == 1 else f"{', '.join(formats[:-1])} or {formats[-1]}"
    return (f"Submit {listed}, or a zip holding {' or '.join(model_file_names())} with, optionally, tokenizer.json "
            "and podium.yaml.")


HOW_TO = how_to()


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
    if kind != BUNDLE:
        shutil.move(upload, folder / kind)  # a rename where both are on one filesystem: no copy of a 2 GB model
        (folder / kind).chmod(0o644)
        return ModelPackage(folder, kind)
    return _unpack_bundle(upload, folder, max_bytes)


HEAD_BYTES = 4


def head_problem(head: bytes) -> str | None:
    """From an upload's first bytes alone: None if it may be a model, else why it is not (checked before storing)."""
    if head[:4] in ZIP_MAGIC or any(fmt.magic(head) for fmt in model_formats()):
        return None
    if head[:1] == PICKLE_MAGIC:
        return f"The file is a Python pickle (torch.save), which Podium never loads. {HOW_TO}"
    return f"The file is neither {_format_names()} nor a zip. {HOW_TO}"


def upload_kind(path: Path) -> str:
    """A format's file name ("model.pt", "model.onnx") or "bundle"; PackageError for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not looks_like_zip(path):
        if head[:1] == PICKLE_MAGIC:
            raise PackageError(f"The file is a Python pickle (torch.save), which Podium never loads. {HOW_TO}")
        for fmt in model_formats():
            if fmt.zip_problem is None and fmt.magic(head):
                return fmt.file_name
        raise PackageError(f"The file is neither {_format_names()} nor a zip. {HOW_TO}")
    names = _zip_names(path)
    if set(_top_level(names)) & set(model_file_names()):
        return BUNDLE
    problems = []
    for fmt in model_formats():
        if fmt.zip_problem is not None:
            problem = fmt.zip_problem(names)
            if problem is None:
                return fmt.file_name
            problems.append(problem)
    raise PackageError(f"{problems[0] if problems else 'The zip holds no model.'} {HOW_TO}")


def _format_names() -> str:
    """"a TorchScript model, an ONNX model": every registered format, for a refusal."""
    return ", ".join(f"a{'n' if fmt.name[0] in 'AEIOU' else ''} {fmt.name} model" for fmt in model_formats())


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
        models = [name for name in model_file_names() if name in members]
        if len(models) != 1:
            held = f"both {' and '.join(models)}" if len(models) == 2 else " and ".join(models)
            raise PackageError(f"The zip holds {held}; keep one. {HOW_TO}")
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
    _check_model_file(folder / models[0], format_named(models[0]))
    return ModelPackage(folder, models[0], manifest, (folder / TOKENIZER).is_file())


def _check_model_file(path: Path, fmt: ModelFormat | None) -> None:
    """A bundle's model file of a zip format holds that format's entries (any other is parsed in the sandbox)."""
    if fmt is None or fmt.zip_problem is None:
        return
    problem = fmt.zip_problem(_zip_names(path)) if looks_like_zip(path) else f"{path.name} is not a zip archive."
    if problem:
        raise PackageError(f"{path.name} in the zip: {problem} {HOW_TO}")


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
