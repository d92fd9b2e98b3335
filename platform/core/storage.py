"""Files in storage, whichever backend holds them (a local folder or S3-compatible object storage).

Scoring reads files with numpy and C parsers that want a path; object storage
has none. `local_path` gives a path either way: the file itself on a local
backend, a temporary copy otherwise. The folder helpers work on prefixes,
which both backends understand through `listdir`.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile


def stored_name(file: FieldFile) -> str:
    """The storage name of a file field that holds a file; one that holds none is the caller's mistake."""
    if not file.name:
        raise ValueError("the field holds no file")
    return file.name


def has_local_paths(storage: Storage) -> bool:
    try:
        storage.path("probe")
    except NotImplementedError:
        return False
    return True


@contextmanager
def local_path(storage: Storage, name: str) -> Iterator[Path]:
    """A filesystem path holding the stored file `name`, valid inside the block."""
    if has_local_paths(storage):
        yield Path(storage.path(name))
        return
    with tempfile.TemporaryDirectory(prefix="podium-file-") as folder:
        copy = Path(folder) / PurePosixPath(name).name
        with storage.open(name, "rb") as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, length=1024 * 1024)
        yield copy


def stored_names(storage: Storage, prefix: str) -> Iterator[str]:
    """Every file name under the folder `prefix`, recursively."""
    folders, files = storage.listdir(prefix)
    for name in files:
        yield f"{prefix}/{name}"
    for folder in folders:
        yield from stored_names(storage, f"{prefix}/{folder}")


def delete_folder(storage: Storage, prefix: str) -> None:
    if has_local_paths(storage):
        shutil.rmtree(storage.path(prefix), ignore_errors=True)
        return
    for name in list(stored_names(storage, prefix)):
        storage.delete(name)


def copy_folder_out(storage: Storage, prefix: str, target: Path) -> None:
    """Copy every file under `prefix` into the local folder `target`, keeping relative names."""
    for name in stored_names(storage, prefix):
        destination = target / PurePosixPath(name).relative_to(prefix)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, open(destination, "wb") as handle:
            shutil.copyfileobj(source, handle, length=1024 * 1024)
