"""Streaming CSV reading shared by the CSV-based formats.

Files are read row by row from disk so that memory grows with what is kept,
never with a copy of the whole file. Byte-level problems (not UTF-8, NUL bytes,
an empty file) become `ScoringError`s that name the line.
"""
from __future__ import annotations

import _csv
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from scoring.errors import (BAD_HEADER, BAD_ROW, EMPTY_FILE, NOT_UTF8, ScoringError, SubmissionError, binary_hint,
                            quote)

# Any single field longer than this is not an id, label or RLE we can use.
csv.field_size_limit(64 * 1024 * 1024)


class CsvRows:
    """Iterates the data rows of a CSV file after checking its header.

    `line` says where the row just returned is, for messages.
    """

    def __init__(self, path: Path, expected_header: list[str], *, error: type[ScoringError] = SubmissionError) -> None:
        self.path = Path(path)
        self.expected_header = expected_header
        self.error = error
        self._reader: _csv.Reader | None = None

    @property
    def line(self) -> int:
        """The 1-based line number of the row just returned (the header is line 1)."""
        return self._reader.line_num if self._reader is not None else 1

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
            reader = self._reader = csv.reader(text, strict=True)
            try:
                self._check_header(reader)
                width = len(self.expected_header)
                for row in reader:
                    if len(row) != width:
                        if not row:
                            continue  # a blank line (often the last one) carries nothing
                        raise self._bad_width(row, width)
                    yield row
            except UnicodeDecodeError:
                line, column, byte = locate_bad_utf8(self.path)
                with open(self.path, "rb") as head:
                    hint = binary_hint(head.read(64))
                raise self.error(
                    NOT_UTF8,
                    f"Line {line}, column {column}: byte 0x{byte:02x} is not valid UTF-8. "
                    + (hint.strip() if hint else "Save the file as UTF-8 (a byte-order mark is fine)."),
                ) from None
            except csv.Error as exc:
                raise self.error(
                    BAD_ROW, f"Line {reader.line_num}: the CSV cannot be read ({str(exc)[:120]}). Check quoting on that line."
                ) from None

    def _check_header(self, reader: _csv.Reader) -> None:
        header = next(reader, None)
        if header is None:
            raise self.error(EMPTY_FILE, f"The file is empty. It must start with the header {self._header_text()}.")
        cleaned = [name.strip() for name in header]
        if cleaned != self.expected_header:
            raise self.error(
                BAD_HEADER,
                f"The header is {quote(','.join(header))} but must be exactly {self._header_text()} "
                f"(same names, same order, no extra columns).{self._header_hint(cleaned)}",
            )

    def _header_hint(self, header: list[str]) -> str:
        """The likely cause of the two most common wrong headers."""
        if header[1:] == self.expected_header and header[0].lower() in ("", "unnamed: 0", "index"):
            return (" The first column looks like the row index that pandas writes by default: "
                    "save with df.to_csv(path, index=False).")
        if len(header) == 1 and [name.strip() for name in header[0].split(";")] == self.expected_header:
            return (" The values are separated by ';' (as spreadsheets save CSV in some languages); "
                    "separate them with commas, e.g. df.to_csv(path, index=False) in pandas.")
        return ""

    def _bad_width(self, row: list[str], width: int) -> ScoringError:
        if "\x00" in "".join(row):
            return self.error(BAD_ROW, f"Line {self.line} contains a NUL byte; the file must be plain UTF-8 text.")
        kind = "extra columns" if len(row) > width else "missing columns"
        return self.error(
            BAD_ROW,
            f"Line {self.line} has {len(row)} values ({kind}); every row needs exactly {width}: "
            f"{self._header_text()}.",
        )

    def _header_text(self) -> str:
        return ",".join(self.expected_header)


def locate_bad_utf8(path: Path) -> tuple[int, int, int]:
    """(line, column, byte) of the first invalid UTF-8 byte.

    The decoder reads ahead in large chunks, so the position it fails at says
    nothing about the line; this rescans, on the error path only.
    """
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1, line[exc.start]
    return 0, 0, 0


def write_csv(header: list[str], rows: "Iterator[tuple[str, ...]] | list[tuple[str, ...]]") -> str:
    """CSV text with a header, quoting only where a value needs it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
