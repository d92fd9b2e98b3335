"""The one zip reader for everything participants and organizers send: model zips, TorchScript archives, bundles.

It trusts no count or size it has not read itself. CPython's `zipfile` does: it
follows a ZIP64 record other than the one the locator names, lists however many
entries the directory holds into objects of ~500 bytes each, and inflates LZMA
and bzip2 members in one unbounded step. Here:
- the end records must agree with each other and with where the directory lies;
- the directory (at most `max_directory_bytes`) is read once and parsed entry by
  entry, stopping at the first entry past `max_entries` or past its declared count;
- only stored and deflate members are accepted (anything else is refused, named);
- a member is inflated in steps of at most `CHUNK` bytes of output, and reading
  stops with an error as soon as it would pass the size the directory declares.
Memory is bounded by the directory cap plus a few chunks, whatever the bytes say.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
STORED, DEFLATED = 0, 8
METHODS = {1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "xz", 98: "PPMd"}
END, END64, LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
CENTRAL, LOCAL = b"PK\x01\x02", b"PK\x03\x04"
END_SIZE, END64_SIZE, LOCATOR_SIZE, CENTRAL_SIZE, LOCAL_SIZE = 22, 56, 20, 46, 30
MAX_COMMENT = 65_535
ZIP64_EXTRA = 0x0001
ENCRYPTED = 0x1


class ArchiveError(ValueError):
    """The archive is damaged, lies about itself, or uses what Podium does not read; the message says which."""


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    method: int
    compressed_size: int
    size: int  # as the directory declares it: reading never yields more
    crc: int
    header_offset: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


def looks_like_zip(path: Path) -> bool:
    """A zip starts with a local header (or, empty, with its end record); nothing else is taken for one."""
    with open(path, "rb") as handle:
        return handle.read(4) in (LOCAL, END)


class SafeZip:
    """A zip's directory, listed within caps, and its members read with bounded memory."""

    def __init__(self, path: Path, *, max_entries: int, max_directory_bytes: int) -> None:
        self.path = Path(path)
        self._handle: BinaryIO = open(self.path, "rb")  # noqa: SIM115 - closed by close() / the context manager
        try:
            self.size = self.path.stat().st_size
            offset, length, count = self._end_records(max_entries, max_directory_bytes)
            self.directory_offset = offset
            self.members = self._directory(offset, length, count, max_entries)
        except BaseException:
            self._handle.close()
            raise

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    def names(self) -> list[str]:
        return [member.name for member in self.members]

    # ------------------------------------------------------------ end records

    def _end_records(self, max_entries: int, max_directory_bytes: int) -> tuple[int, int, int]:
        """(offset, length, entries) of the central directory, from end records that agree."""
        start = max(0, self.size - END_SIZE - MAX_COMMENT)
        tail = self._read_at(start, self.size - start)
        at = self._find_end(tail)
        end_at = start + at
        _, _, _, entries, length, offset, _ = struct.unpack("<HHHHIIH", tail[at + 4:at + END_SIZE])
        records_at = end_at
        if end_at >= LOCATOR_SIZE and self._read_at(end_at - LOCATOR_SIZE, 4) == LOCATOR64:
            offset, length, entries, records_at = self._zip64_records(end_at, (entries, length, offset))
        if entries > max_entries or length > max_directory_bytes:
            raise ArchiveError(f"the zip archive lists {entries} entries in a {length}-byte directory; "
                               f"at most {max_entries} entries in {max_directory_bytes // (1024 * 1024)} MB are read")
        if offset + length != records_at:
            raise ArchiveError("the zip archive is damaged (its directory is not where its end record says)")
        return offset, length, entries

    @staticmethod
    def _find_end(tail: bytes) -> int:
        """The last end record whose comment runs exactly to the end of the file."""
        at = len(tail)
        while (at := tail.rfind(END, 0, at)) >= 0:
            if at + END_SIZE <= len(tail):
                (comment,) = struct.unpack("<H", tail[at + 20:at + 22])
                if at + END_SIZE + comment == len(tail):
                    return at
        raise ArchiveError("the file is a damaged zip archive (no end of central directory)")

    def _zip64_records(self, end_at: int, small: tuple[int, int, int]) -> tuple[int, int, int, int]:
        """The ZIP64 record: where the locator says, and also just before the locator, or the archive is refused."""
        locator = self._read_at(end_at - LOCATOR_SIZE, LOCATOR_SIZE)
        disk, record_at, disks = struct.unpack("<IQI", locator[4:])
        record = self._read_at(record_at, END64_SIZE) if record_at <= self.size - END64_SIZE else b""
        if disk != 0 or disks > 1 or not record.startswith(END64):
            raise ArchiveError("the zip archive is damaged (bad ZIP64 end record)")
        (record_size,) = struct.unpack("<Q", record[4:12])
        if record_at + 12 + record_size != end_at - LOCATOR_SIZE:
            raise ArchiveError("the zip archive is damaged (its two ZIP64 end records disagree)")
        entries_here, entries, length, offset = struct.unpack("<QQQQ", record[24:56])
        if entries_here != entries:
            raise ArchiveError("the zip archive spans several disks, which Podium does not read")
        for ours, theirs, full in zip(small, (entries, length, offset), (0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)):
            if ours != full and ours != theirs:
                raise ArchiveError("the zip archive is damaged (its end records disagree)")
        return offset, length, entries, record_at

    # ------------------------------------------------------------ directory

    def _directory(self, offset: int, length: int, count: int, max_entries: int) -> list[Member]:
        data = self._read_at(offset, length)
        if len(data) != length:
            raise ArchiveError("the zip archive is damaged (its directory is cut short)")
        members: list[Member] = []
        at = 0
        while at < length:
            if len(members) >= min(count, max_entries):
                raise ArchiveError(f"the zip archive's directory holds more entries than the {count} it declares")
            member, at = self._entry(data, at, offset)
            members.append(member)
        if len(members) != count:
            raise ArchiveError(f"the zip archive's directory holds {len(members)} entries, not the {count} it declares")
        return members

    @staticmethod
    def _entry(data: bytes, at: int, directory_offset: int) -> tuple[Member, int]:
        if data[at:at + 4] != CENTRAL or at + CENTRAL_SIZE > len(data):
            raise ArchiveError("the zip archive is damaged (a bad directory entry)")
        (flags, method, _, _, crc, compressed, size, name_len, extra_len, comment_len, _, _, _,
         header_offset) = struct.unpack("<8xHHHHIIIHHHHHII", data[at:at + CENTRAL_SIZE])
        end = at + CENTRAL_SIZE + name_len + extra_len + comment_len
        if end > len(data):
            raise ArchiveError("the zip archive is damaged (a directory entry runs past the directory)")
        raw_name = data[at + CENTRAL_SIZE:at + CENTRAL_SIZE + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        extra = data[at + CENTRAL_SIZE + name_len:at + CENTRAL_SIZE + name_len + extra_len]
        size, compressed, header_offset = _zip64_sizes(extra, size, compressed, header_offset)
        if flags & ENCRYPTED:
            raise ArchiveError(f"the zip entry {name[:80]!r} is encrypted")
        if method not in (STORED, DEFLATED):
            kind = METHODS.get(method, f"method {method}")
            raise ArchiveError(f"the zip entry {name[:80]!r} is compressed with {kind}; only stored and deflate are accepted")
        if method == STORED and compressed != size:
            raise ArchiveError(f"the zip entry {name[:80]!r} is damaged (stored, yet its two sizes differ)")
        if header_offset + LOCAL_SIZE + compressed > directory_offset:
            raise ArchiveError(f"the zip entry {name[:80]!r} runs past the end of the data")
        return Member(name, method, compressed, size, crc, header_offset), end

    # ------------------------------------------------------------ members

    def open(self, member: Member) -> Iterator[bytes]:
        """The member's bytes in chunks of at most CHUNK; ArchiveError past its declared size or on a bad CRC."""
        header = self._read_at(member.header_offset, LOCAL_SIZE)
        if len(header) != LOCAL_SIZE or not header.startswith(LOCAL):
            raise ArchiveError(f"the zip entry {member.name[:80]!r} is damaged (no local header)")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = member.header_offset + LOCAL_SIZE + name_len + extra_len
        if start + member.compressed_size > self.directory_offset:
            raise ArchiveError(f"the zip entry {member.name[:80]!r} runs past the end of the data")
        return self._inflate(member, start)

    def _inflate(self, member: Member, start: int) -> Iterator[bytes]:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.method == DEFLATED else None
        remaining, written, crc, pending = member.compressed_size, 0, 0, b""
        position = start
        while True:
            if not pending and remaining:
                self._handle.seek(position)
                pending = self._handle.read(min(CHUNK, remaining))
                if not pending:
                    raise ArchiveError(f"the zip entry {member.name[:80]!r} is cut short")
                position += len(pending)
                remaining -= len(pending)
            chunk, pending = self._step(inflater, pending, member)
            if not chunk:
                if not pending and (not remaining or (inflater is not None and inflater.eof)):
                    break
                continue
            written += len(chunk)
            if written > member.size:
                raise ArchiveError(f"the zip entry {member.name[:80]!r} is larger than its header says")
            crc = zlib.crc32(chunk, crc)
            yield chunk
        if written != member.size or crc != member.crc:
            raise ArchiveError(f"the zip entry {member.name[:80]!r} is damaged (its size or checksum is wrong)")

    @staticmethod
    def _step(inflater: zlib._Decompress | None, pending: bytes, member: Member) -> tuple[bytes, bytes]:
        """(output, input left): stored bytes pass as they are; deflate gives at most CHUNK bytes per step."""
        if inflater is None:
            return pending, b""
        if inflater.eof:
            return b"", b""
        try:
            # Called with no input, it gives what the last step held back (output capped, input all taken).
            chunk = inflater.decompress(pending, CHUNK)
        except zlib.error:
            raise ArchiveError(f"the zip entry {member.name[:80]!r} is damaged (bad deflate data)") from None
        return chunk, inflater.unconsumed_tail

    def _read_at(self, offset: int, length: int) -> bytes:
        self._handle.seek(offset)
        return self._handle.read(length)


def _zip64_sizes(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """The ZIP64 extra field replaces, in this order, each of these that reads 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[at:at + 4])
        if kind == ZIP64_EXTRA:
            values = extra[at + 4:at + 4 + length]
            fields = [size, compressed, offset]
            cursor = 0
            for index, value in enumerate(fields):
                if value == 0xFFFFFFFF:
                    if cursor + 8 > len(values):
                        raise ArchiveError("the zip archive is damaged (a short ZIP64 extra field)")
                    (fields[index],) = struct.unpack("<Q", values[cursor:cursor + 8])
                    cursor += 8
            return fields[0], fields[1], fields[2]
        at += 4 + length
    return size, compressed, offset


def extract_all(archive: SafeZip, root: Path) -> None:
    """Write every member of `archive` under `root`, inflated by the bounded reader; the caller has checked that
    each name stays inside `root` and that the sizes are within its bounds."""
    for member in archive.members:
        target = (root / member.name).resolve()
        if member.is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as sink:
            for chunk in archive.open(member):
                sink.write(chunk)
