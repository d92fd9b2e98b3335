"""A bundle's zip made a folder, within bounds: read by the same bounded reader as model uploads, so nothing it
declares is trusted before it is read; too large, a bomb, or an entry outside the bundle is refused before
anything is extracted."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from competitions.bundles.spec import BundleError
from workers.runtime.archive import ArchiveError, Member, SafeZip, extract_all, looks_like_zip

MAX_BUNDLE_BYTES = 2 * 1024**3
MAX_BUNDLE_ENTRIES, MAX_BUNDLE_DIRECTORY = 110_000, 16 * 1024**2


# Real data (CSV, JSON, PNG) compresses a few-fold, at most ~100-fold for very repetitive CSV.
BOMB_RATIO, BOMB_MIN_BYTES = 200, 16 * 1024**2


@contextmanager
def bundle_folder(path: Path) -> Iterator[Path]:
    """The bundle as a folder: `path` itself, or a .zip extracted to a temporary folder within bounds.

    The zip is read by the same bounded reader as model uploads: nothing it declares is trusted before it
    is read, members are inflated in bounded steps and never past their declared size.
    """
    path = Path(path)
    if path.is_dir():
        yield path
        return
    if not path.is_file() or not looks_like_zip(path):
        raise BundleError([f"{path.name} is neither a folder nor a .zip file"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        try:
            with SafeZip(path, max_entries=MAX_BUNDLE_ENTRIES, max_directory_bytes=MAX_BUNDLE_DIRECTORY) as archive:
                _check_zip_entries(archive.members, root)
                extract_all(archive, root)
        except ArchiveError as exc:
            raise BundleError([f"the zip cannot be read: {exc}"]) from None
        except OSError as exc:
            raise BundleError([f"the zip cannot be read: {exc.strerror or exc}"]) from None
        entries = [p for p in root.iterdir() if not p.name.startswith("__MACOSX")]
        # A zip of the folder itself holds one top-level directory.
        yield entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def _check_zip_entries(members: list[Member], root: Path) -> None:
    """Refuse, before extracting anything, a zip that is too large, a zip bomb, or entries outside the bundle."""
    total = sum(member.size for member in members)
    if total > MAX_BUNDLE_BYTES:
        raise BundleError([f"the zip expands to {total / 1e9:.1f} GB; the limit is {MAX_BUNDLE_BYTES / 1e9:.0f} GB"])
    for member in members:
        if member.size > BOMB_MIN_BYTES and member.size > BOMB_RATIO * max(member.compressed_size, 1):
            raise BundleError([f"the zip entry {member.name[:80]!r} expands {member.size // max(member.compressed_size, 1)}-fold; "
                               "that is a zip bomb, not data"])
        target = (root / member.name).resolve()
        if not target.is_relative_to(root) or "\\" in member.name:
            raise BundleError([f"the zip entry {member.name[:80]!r} points outside the bundle"])
