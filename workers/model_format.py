"""Recognize a TorchScript archive without loading it.

`torch.jit.save` writes a zip whose entries include `<name>/code/__torch__/…`
(the compiled TorchScript) and `<name>/constants.pkl`. A `torch.export` `.pt2`
archive, a `torch.save` checkpoint (a zip of pickles, or a bare pickle) and a
plain pickle are refused: loading them could run arbitrary code.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

UNSUPPORTED = "unsupported-model-format"
HOW_TO = "Export your model with torch.jit.script (or torch.jit.trace) and save it with torch.jit.save."


def model_format_problem(path: Path) -> str | None:
    """None for a TorchScript archive, else a message saying what the file is instead."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not zipfile.is_zipfile(path):
        if head[:1] == b"\x80":
            return f"The file is a Python pickle, which Podium never loads. {HOW_TO}"
        return f"The file is not a TorchScript archive (not a zip file). {HOW_TO}"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
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
