"""The Data tab: each public file described, a preview of each CSV, folders summed up, and one streamed zip of all.

A preview reads at most PREVIEW_BYTES of a file and quotes at most PREVIEW_COLUMNS columns of
PREVIEW_CELL characters: an organizer's 2 GB CSV with one 50 MB line costs the page no more than a small one.
The zip is written as it is sent (zip64, sizes after each entry), so neither memory nor a temporary file
grows with the data.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.http import StreamingHttpResponse

from competitions.models import Competition, CompetitionFile

PREVIEW_BYTES = 64 * 1024
PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 12
PREVIEW_CELL = 60
MAX_PREVIEWS = 20
FOLDER_LISTED = 50
CHUNK_BYTES = 1024 * 1024
# Already compressed: stored as they are, deflating them again costs CPU for nothing.
STORED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".gz", ".bz2", ".xz", ".zst",
                             ".pt", ".pth", ".onnx", ".npz", ".parquet", ".mp4", ".tif", ".tiff"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"})

# What a file usually holds, by its name without the suffix (Kaggle's conventional names).
KNOWN_STEMS = {
    "train": "Training data, with the labels.",
    "training": "Training data, with the labels.",
    "train_labels": "The training data's labels.",
    "valid": "Validation data, with the labels.",
    "validation": "Validation data, with the labels.",
    "test": "The test inputs: predict these.",
    "sample_submission": "A valid submission in the expected format (baseline predictions): start from it.",
    "readme": "Notes from the organizers about the data.",
    "classes": "The class names, in the order the models' outputs use.",
    "categories": "The categories and their ids.",
}


@dataclass
class Preview:
    header: list[str]
    rows: list[list[str]]
    more_columns: int = 0


@dataclass
class DataEntry:
    """One row of the Data tab: a file, or a folder standing for the files inside it."""

    name: str
    size: int
    description: str
    file: CompetitionFile | None = None
    preview: Preview | None = None
    files: list[CompetitionFile] = field(default_factory=list)
    count: int = 0

    @property
    def is_folder(self) -> bool:
        return self.file is None


def file_description(item: CompetitionFile) -> str:
    """The organizer's description, else what a file of that name and kind usually holds."""
    if item.description.strip():
        return item.description.strip()
    path = PurePosixPath(item.name)
    known = KNOWN_STEMS.get(path.stem.lower())
    if known:
        return known
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "An image." if len(path.parts) == 1 else f"An image of {path.parts[0]}/."
    return {".csv": "A CSV table.", ".json": "A JSON document.", ".md": "Notes from the organizers.",
            ".txt": "A text file."}.get(suffix, "A data file.")


def folder_description(folder: str, files: list[CompetitionFile]) -> str:
    images = sum(PurePosixPath(f.name).suffix.lower() in IMAGE_SUFFIXES for f in files)
    if images == len(files):
        noun = "image" if images == 1 else "images"
        return f"{images} {noun}, named as the test and training files refer to them."
    return f"{len(files)} files."


def csv_preview(item: CompetitionFile) -> Preview | None:
    """The header and first rows of a CSV, read from its first PREVIEW_BYTES; None if it does not parse."""
    try:
        with item.file.open("rb") as stored:
            head = stored.read(PREVIEW_BYTES + 1)
    except OSError:
        return None
    text = head[:PREVIEW_BYTES].decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    if len(head) > PREVIEW_BYTES and lines:
        lines = lines[:-1]  # the last line was cut by the byte cap
    try:
        parsed = list(csv.reader(io.StringIO("\n".join(lines[: PREVIEW_ROWS + 1]))))
    except csv.Error:
        return None
    if not parsed:
        return None
    width = max(len(row) for row in parsed)
    clip = [[_cell(value) for value in row[:PREVIEW_COLUMNS]] for row in parsed]
    return Preview(header=clip[0], rows=clip[1:], more_columns=max(0, width - PREVIEW_COLUMNS))


def _cell(value: str) -> str:
    return value if len(value) <= PREVIEW_CELL else value[: PREVIEW_CELL - 1] + "…"


def data_entries(*, files: Iterable[CompetitionFile], previews: bool) -> list[DataEntry]:
    """Top-level files one by one (CSV previews for the first MAX_PREVIEWS), each folder as one entry."""
    entries: list[DataEntry] = []
    folders: dict[str, list[CompetitionFile]] = {}
    shown = 0
    for item in files:
        parts = PurePosixPath(item.name).parts
        if len(parts) > 1:
            folders.setdefault(parts[0], []).append(item)
            continue
        preview = None
        if previews and shown < MAX_PREVIEWS and item.name.lower().endswith(".csv"):
            preview = csv_preview(item)
            shown += 1
        entries.append(DataEntry(name=item.name, size=item.size, description=file_description(item),
                                 file=item, preview=preview))
    for folder, inside in folders.items():
        entries.append(DataEntry(name=f"{folder}/", size=sum(f.size for f in inside),
                                 description=folder_description(folder, inside), files=inside[:FOLDER_LISTED],
                                 count=len(inside)))
    return sorted(entries, key=lambda entry: (entry.is_folder, entry.name))


class _Pipe(io.RawIOBase):
    """A write-only, unseekable buffer: zipfile then writes sizes after each entry, and we hand on what it wrote."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]  # RawIOBase's takes any buffer; zipfile writes bytes
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def data_zip_name(competition: Competition) -> str:
    return f"{competition.slug}-data.zip"


def data_zip_stream(*, files: Iterable[CompetitionFile], root: str) -> Iterator[bytes]:
    """A zip of `files` under the folder `root`, yielded as it is written, at most about CHUNK_BYTES at a time."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w") as archive:
        for item in files:
            info = zipfile.ZipInfo(f"{root}/{item.name}", date_time=item.uploaded_at.timetuple()[:6])
            stored = PurePosixPath(item.name).suffix.lower() in STORED_SUFFIXES
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with item.file.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK_BYTES):
                    target.write(chunk)
                    if out := pipe.take():
                        yield out
            if out := pipe.take():
                yield out
    yield pipe.take()


def data_zip_response(competition: Competition) -> StreamingHttpResponse:
    """The competition's public files as one zip download (callers check access first)."""
    files = competition.files.order_by("name").iterator()
    response = StreamingHttpResponse(data_zip_stream(files=files, root=competition.slug), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{data_zip_name(competition)}"'
    response["Cache-Control"] = "private, no-store"
    return response
