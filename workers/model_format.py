"""Recognize a TorchScript archive without loading it.

`torch.jit.save` writes a zip whose entries include `<name>/code/__torch__/…`
(the compiled TorchScript) and `<name>/constants.pkl`. A `torch.export` `.pt2`
archive, a `torch.save` checkpoint (a zip of pickles, or a bare pickle) and a
plain pickle are refused: loading them could run arbitrary code.

The worker runs this outside the sandbox, so it is bounded: it reads only the
zip's end records and central directory, and refuses a directory of more than
`MAX_ENTRIES` entries or `MAX_DIRECTORY_BYTES` before parsing it. Nothing is
decompressed here; loading (and any decompression) happens in the sandbox.
"""
from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

UNSUPPORTED = "unsupported-model-format"
HOW_TO = "Export your model with torch.jit.script (or torch.jit.trace) and save it with torch.jit.save."
MAX_ENTRIES = 20_000
MAX_DIRECTORY_BYTES = 8 * 1024 * 1024
END_RECORD, END_RECORD64, LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"


def model_format_problem(path: Path) -> str | None:
    """None for a TorchScript archive, else a message saying what the file is instead."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not zipfile.is_zipfile(path):
        if head[:1] == b"\x80":
            return f"The file is a Python pickle, which Podium never loads. {HOW_TO}"
        return f"The file is not a TorchScript archive (not a zip file). {HOW_TO}"
    too_big = _directory_problem(path)
    if too_big:
        return f"{too_big} {HOW_TO}"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, struct.error):
        return f"The file is a damaged zip archive. {HOW_TO}"
    if any(name.endswith(("serialized_exported_program.json", "archive_format")) or "/models/" in name for name in names):
        return f"The file is a torch.export .pt2 archive, which is not accepted. {HOW_TO}"
    # code/__torch__/<module>.py, or code/__torch__.py for a class defined in a script's __main__.
    has_code = any(re.search(r"(^|/)code/__torch__(/|\.py$)", name) for name in names)
    has_constants = any(name.endswith("constants.pkl") for name in names)
    if has_code and has_constants:
        return None
    if any(name.endswith("data.pkl") for name in names):
        return f"The file is a torch.save checkpoint (pickled Python objects), which Podium never loads. {HOW_TO}"
    return f"The zip archive holds no TorchScript code. {HOW_TO}"


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
