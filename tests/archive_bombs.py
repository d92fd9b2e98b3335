"""Hostile zip archives, built byte by byte: each lies about itself in a way CPython's `zipfile` believes.

- `lying_zip64`: two ZIP64 end records that disagree; the one the locator names lists one entry, the
  one just before the locator (which `zipfile` reads) lists `entries`.
- `false_count_zip64`: an honest-looking ZIP64 record that declares 5 entries over a directory of many.
- `compressed_bomb`: one member compressed with LZMA or bzip2 that declares 100 bytes and inflates to
  `inflated` bytes (`zipfile` inflates those in one unbounded step).
- `deflate_bomb`: the same with deflate, which is accepted, and must stop at the declared size.
- `nested`: an honest zip that holds another archive (a model zip's `model.pt`, say).
"""
from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from dataclasses import dataclass

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes  # as stored in the archive (compressed)
    method: int = STORED
    size: int | None = None  # declared uncompressed size; the real one when None
    crc: int = 0


def build_zip(entries: list[Entry]) -> bytes:
    """A plain zip (no ZIP64) of these entries, each declaring what it is told to."""
    body, directory = bytearray(), bytearray()
    for entry in entries:
        name = entry.name.encode()
        size = len(entry.data) if entry.size is None else entry.size
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, entry.method, 0, 0x21, entry.crc,
                            len(entry.data), size, len(name), 0) + name + entry.data
        directory += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, entry.method, 0, 0x21, entry.crc,
                                 len(entry.data), size, len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    return bytes(body + directory + end)


def stored(name: str, data: bytes) -> Entry:
    return Entry(name, data, STORED, crc=zlib.crc32(data))


def _directory(entries: int, prefix: str = "") -> bytes:
    """`entries` central records of empty stored files, named by number, all pointing at offset 0."""
    record = struct.Struct("<4sHHHHHHIIIHHHHHII")
    return b"".join(record.pack(b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0) + name
                    for name in (f"{prefix}{i:07d}".encode() for i in range(entries)))


def _zip64_end(entries: int, directory_bytes: int, directory_offset: int) -> bytes:
    return struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, directory_bytes,
                       directory_offset)


def _locator(record_at: int) -> bytes:
    return struct.pack("<4sIQI", b"PK\x06\x07", 0, record_at, 1)


FULL_END = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)


def lying_zip64(entries: int, prefix: str = "") -> bytes:
    """[local header][decoy ZIP64 record: 1 entry][directory][true ZIP64 record][locator → decoy][end]."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, 1, 0) + b"a"
    decoy_at = len(local)
    directory_at = decoy_at + 56
    directory = _directory(entries, prefix)
    decoy = _zip64_end(1, 46, directory_at)  # what the locator names: one entry, a 46-byte directory
    return (local + decoy + directory + _zip64_end(entries, len(directory), directory_at) + _locator(decoy_at)
            + FULL_END)


def false_count_zip64(entries: int, prefix: str = "") -> bytes:
    """One ZIP64 record, where the locator says; it declares 5 entries over a directory of `entries`."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, 1, 0) + b"a"
    directory = _directory(entries, prefix)
    record_at = len(local) + len(directory)
    return local + directory + _zip64_end(5, len(directory), len(local)) + _locator(record_at) + FULL_END


def compressed_bomb(method: int, inflated: int, name: str = "model.onnx") -> bytes:
    """One member declaring 100 bytes that inflates to `inflated` zero bytes, compressed with LZMA or bzip2."""
    zeros = bytes(1 << 20)
    if method == LZMA:
        properties = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1, "preset": 0})  # type: ignore[attr-defined]
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, properties)]  # type: ignore[attr-defined]
        compressor: lzma.LZMACompressor | bz2.BZ2Compressor = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=filters)
        head = struct.pack("<BBH", 9, 4, len(properties)) + properties
    else:
        compressor, head = bz2.BZ2Compressor(9), b""
    payload = bytearray(head)
    for _ in range(inflated // len(zeros)):
        payload += compressor.compress(zeros)
    payload += compressor.flush()
    return build_zip([Entry(name, bytes(payload), method, size=100)])


def deflate_bomb(inflated: int, name: str = "model.onnx") -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    payload = b"".join(compressor.compress(zeros) for _ in range(inflated // len(zeros))) + compressor.flush()
    return build_zip([Entry(name, payload, DEFLATED, size=100)])


def nested(outer_name: str, inner: bytes) -> bytes:
    """An honest zip whose one member is another archive, deflated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    payload = compressor.compress(inner) + compressor.flush()
    return build_zip([Entry(outer_name, payload, DEFLATED, size=len(inner), crc=zlib.crc32(inner))])
