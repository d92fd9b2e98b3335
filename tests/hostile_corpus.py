"""A corpus of malformed and malicious submission files for all three task types.

Each case is built from the competition's own ids (so that only the intended
fault is wrong) and names the error codes a correct platform may answer with.
Truncated files, gigantic lines, deeply nested and huge JSON, CSV injection,
NUL bytes, wrong encodings, binary garbage and broken RLE.
"""
from __future__ import annotations

import codecs
import gzip
import json
from dataclasses import dataclass


SCORED = "scored"  # the case is odd but valid: it must be scored, not refused


@dataclass(frozen=True)
class Case:
    task: str
    name: str
    data: bytes
    codes: frozenset[str]

    def __repr__(self) -> str:  # shown by pytest as the parameter id
        return f"{self.task}:{self.name}"


def _case(task: str, name: str, data: bytes | str, *codes: str) -> Case:
    return Case(task, name, data.encode() if isinstance(data, str) else data, frozenset(codes))


def text_cases(ids: list[str], classes: list[str]) -> list[Case]:
    label = classes[0]
    good = "id,label\n" + "".join(f"{i},{label}\n" for i in ids)
    rows = good.splitlines(keepends=True)
    t = "text-classification"
    return [
        _case(t, "empty", b"", "empty-file"),
        _case(t, "whitespace only", "   \n\n  \n", "empty-file", "bad-header"),
        _case(t, "header only", "id,label\n", "missing-ids"),
        _case(t, "wrong header", good.replace("id,label", "identifier,prediction", 1), "bad-header"),
        _case(t, "missing label column", "id\n" + "".join(f"{i}\n" for i in ids), "bad-header"),
        _case(t, "extra column", "id,label,extra\n" + "".join(f"{i},{label},x\n" for i in ids), "bad-header"),
        _case(t, "truncated mid-row", good[: len(good) // 2].rstrip("\n")[:-2], "missing-ids", "unknown-label", "bad-row"),
        _case(t, "truncated to half", "".join(rows[: len(rows) // 2]), "missing-ids"),
        _case(t, "gigantic line", "id,label\n" + "x" * (8 * 1024 * 1024), "bad-row"),
        _case(t, "gigantic label", good.replace(f"{ids[0]},{label}", f"{ids[0]},{'y' * 1024 * 1024}", 1), "unknown-label"),
        _case(t, "NUL bytes", good.replace(f"{ids[1]},", f"{ids[1]}\x00,", 1), "bad-row", "unknown-ids", "missing-ids"),
        _case(t, "latin-1", good.replace(label, "caf\xe9", 1).encode("latin-1"), "not-utf8"),
        _case(t, "utf-16", codecs.BOM_UTF16_LE + good.encode("utf-16-le"), "not-utf8"),
        _case(t, "binary garbage", bytes(range(256)) * 64, "not-utf8"),
        _case(t, "gzip renamed .csv", gzip.compress(good.encode()), "not-utf8"),
        _case(t, "json instead of csv", json.dumps([{"id": i, "label": label} for i in ids]), "bad-header"),
        _case(t, "formula in label", good.replace(f"{ids[0]},{label}", f"{ids[0]},=cmd|' /C calc'!A0", 1), "unknown-label"),
        _case(t, "formula in id", good + "=HYPERLINK(\"http://evil\"),food\n", "unknown-ids", "unknown-label"),
        _case(t, "duplicate id", good + f"{ids[0]},{label}\n", "duplicate-id"),
        _case(t, "unknown id", good + f"../../etc/passwd,{label}\n", "unknown-ids"),
        _case(t, "empty label", good.replace(f"{ids[0]},{label}", f"{ids[0]},", 1), "empty-value"),
        _case(t, "unbalanced quote", good.replace(f"{ids[0]},{label}", f'"{ids[0]},{label}', 1), "bad-row", "missing-ids", "unknown-ids"),
        _case(t, "quoted newline", good.replace(f"{ids[0]},{label}", f'{ids[0]},"{label}\n{label}"', 1), "unknown-label"),
        _case(t, "unknown class name", good.replace(f"{ids[0]},{label}", f"{ids[0]},<script>alert(1)</script>", 1), "unknown-label"),
    ]


def detection_cases(image_ids: list[int], category_ids: list[int]) -> list[Case]:
    t = "detection"
    one = {"image_id": image_ids[0], "category_id": category_ids[0], "bbox": [1, 2, 10, 12], "score": 0.9}

    def with_(**changes: object) -> str:
        return json.dumps([{**one, **changes}])

    return [
        _case(t, "empty", b"", "empty-file"),
        _case(t, "truncated", json.dumps([one] * 20)[:-7], "bad-json"),
        _case(t, "deeply nested", "[" * 200_000 + "]" * 200_000, "bad-json"),
        # Extra keys are ignored (COCO results often carry "segmentation" or "area"): scored, whatever their size.
        _case(t, "huge string", json.dumps([{**one, "note": "z" * (16 * 1024 * 1024)}]), SCORED),
        _case(t, "object not list", json.dumps({"detections": [one]}), "bad-json"),
        _case(t, "list of numbers", "[1, 2, 3]", "bad-json"),
        _case(t, "missing bbox", json.dumps([{k: v for k, v in one.items() if k != "bbox"}]), "missing-field", "bad-json"),
        _case(t, "missing score", json.dumps([{k: v for k, v in one.items() if k != "score"}]), "missing-field", "bad-json"),
        _case(t, "bbox of three", with_(bbox=[1, 2, 3]), "bad-bbox", "bad-json"),
        _case(t, "negative width", with_(bbox=[1, 2, -10, 12]), "bad-bbox"),
        _case(t, "bbox NaN", json.dumps([one]).replace("10,", "NaN,", 1), "bad-json", "bad-bbox"),
        _case(t, "bbox strings", with_(bbox=["1", "2", "3", "4"]), "bad-bbox", "bad-json"),
        _case(t, "score string", with_(score="high"), "bad-score", "bad-json"),
        _case(t, "score infinite", json.dumps([one]).replace("0.9", "1e999"), "bad-score", "bad-json"),
        _case(t, "unknown image", with_(image_id=max(image_ids) + 10_000), "unknown-image"),
        _case(t, "unknown category", with_(category_id=max(category_ids) + 1_000), "unknown-category"),
        _case(t, "image id as text", with_(image_id="../../truth.json"), "bad-json", "unknown-image"),
        _case(t, "NUL bytes", b"[\x00" + json.dumps(one).encode() + b"]", "bad-json"),
        _case(t, "utf-16", codecs.BOM_UTF16_LE + json.dumps([one]).encode("utf-16-le"), "bad-json", "not-utf8"),
        _case(t, "csv instead of json", "image_id,category_id,bbox,score\n1,1,1 2 3 4,0.5\n", "bad-json"),
        _case(t, "binary garbage", bytes(range(256)) * 64, "bad-json", "not-utf8"),
        _case(t, "many keys", json.dumps([{**one, **{f"k{i}": i for i in range(50_000)}}]), SCORED),
    ]


def segmentation_cases(ids: list[str]) -> list[Case]:
    t = "segmentation"
    good = "id,rle\n" + "".join(f"{i},1 3\n" for i in ids)

    def first(rle: str) -> str:
        return good.replace(f"{ids[0]},1 3", f"{ids[0]},{rle}", 1)

    return [
        _case(t, "empty", b"", "empty-file"),
        _case(t, "wrong header", good.replace("id,rle", "id,mask", 1), "bad-header"),
        _case(t, "odd number of values", first("1 2 3"), "bad-rle"),
        _case(t, "negative start", first("-5 3"), "bad-rle"),
        _case(t, "zero length", first("5 0"), "bad-rle"),
        _case(t, "beyond the image", first("999999999 5"), "bad-rle"),
        _case(t, "overlapping runs", first("10 5 12 5"), "bad-rle"),
        _case(t, "unsorted runs", first("50 5 10 5"), "bad-rle"),
        _case(t, "not numbers", first("abc def"), "bad-rle"),
        _case(t, "huge numbers", first("1" + "0" * 40 + " 5"), "bad-rle"),
        _case(t, "int64 overflow", first("9000000000000000000 9000000000000000000"), "bad-rle"),
        _case(t, "gigantic rle", first(" ".join(f"{2 * k + 1} 1" for k in range(400_000))), "bad-rle"),
        _case(t, "missing ids", "".join(good.splitlines(keepends=True)[:-3]), "missing-ids"),
        _case(t, "duplicate id", good + f"{ids[0]},1 3\n", "duplicate-id"),
        _case(t, "formula id", good + "=1+1,1 3\n", "unknown-ids"),
        _case(t, "NUL bytes", good.replace("1 3", "1\x003", 1), "bad-rle", "bad-row"),
        _case(t, "latin-1", (good + "caf\xe9,1 3\n").encode("latin-1"), "not-utf8"),
        _case(t, "truncated", good[: len(good) // 2], "missing-ids", "bad-rle"),
    ]
