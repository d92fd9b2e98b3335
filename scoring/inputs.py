"""Test inputs: the files participants predict for, and the checks a bundle's copy of them must pass.

Each check compares a folder (`public/`, or `test_inputs/` where models read other files) with the
parsed truth and appends what is wrong to `problems`, each problem naming its file; a task type
names its check in its declaration (`TaskType.check_inputs`).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path, PurePosixPath
from typing import Any


def csv_rows(path: Path, problems: list[str]) -> list[dict[str, str]] | None:
    if not path.is_file():
        problems.append(f"{path.parent.name}/{path.name} is missing: the test inputs are needed")
        return None
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def compare_ids(name: str, found: set[Any], expected: set[Any], problems: list[str]) -> None:
    if found != expected:
        problems.append(
            f"{name} ids differ from the truth's ({len(found - expected)} only in {name}, "
            f"{len(expected - found)} only in the truth)"
        )


def check_text_inputs(truth: Any, public_dir: Path, problems: list[str], rewrites: dict[Path, bytes]) -> None:
    rows = csv_rows(public_dir / "test.csv", problems)
    if rows is not None:
        compare_ids(f"{public_dir.name}/test.csv", {row.get("id") for row in rows}, set(truth.ids), problems)


def check_detection_inputs(truth: Any, public_dir: Path, problems: list[str], rewrites: dict[Path, bytes]) -> None:
    test_json = public_dir / "test.json"
    if not test_json.is_file():
        problems.append(f"{public_dir.name}/test.json is missing: the test images' list is needed")
        return
    try:
        images = json.loads(test_json.read_text(encoding="utf-8")).get("images", [])
    except (ValueError, AttributeError):
        problems.append(f"{public_dir.name}/test.json is not a JSON object with an 'images' list")
        return
    compare_ids(f"{public_dir.name}/test.json", {image.get("id") for image in images}, set(truth.image_ids.tolist()), problems)
    missing = [image.get("file_name") for image in images if not (public_dir / "images" / str(image.get("file_name"))).is_file()]
    if missing:
        problems.append(f"{public_dir.name}/images/ lacks {len(missing)} test images, e.g. {missing[0]!r}")


def check_segmentation_inputs(truth: Any, public_dir: Path, problems: list[str], rewrites: dict[Path, bytes]) -> None:
    rows = csv_rows(public_dir / "test.csv", problems)
    if rows is None:
        return
    compare_ids(f"{public_dir.name}/test.csv", {row.get("id") for row in rows}, set(truth.ids), problems)
    sizes = {row_id: int(size) for row_id, size in zip(truth.ids, truth.sizes)}
    wrong = [r["id"] for r in rows if r.get("id") in sizes and _pixels(r) != sizes[r["id"]]]
    if wrong:
        problems.append(
            f"{public_dir.name}/test.csv gives a height x width that differs from the truth for {len(wrong)} ids, e.g. {wrong[0]!r}"
        )
    names = [str(r.get("image") or "") for r in rows]
    unsafe = [name for name in names if not name or name.startswith("/") or ".." in PurePosixPath(name).parts]
    if unsafe:
        problems.append(f"{public_dir.name}/test.csv: image names must be relative paths inside the bundle, not {unsafe[0][:80]!r}")
        return
    # As COCO's file_name is relative to images/, a test.csv may name images relative to public/ or to public/images/.
    missing = {prefix: [n for n in names if not (public_dir / f"{prefix}{n}").is_file()] for prefix in ("", "images/")}
    if not missing[""]:
        return
    if not missing["images/"]:
        rewrites[public_dir / "test.csv"] = _prefixed_images(rows, "images/")
        return
    problems.append(
        f"{public_dir.name}/test.csv names {len(missing[''])} images found neither in {public_dir.name}/ nor in "
        f"{public_dir.name}/images/, e.g. {missing[''][0][:80]!r}"
    )


def _prefixed_images(rows: list[dict[str, str]], prefix: str) -> bytes:
    """test.csv again, each image name relative to the folder test.csv lies in."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "image": prefix + row["image"]} for row in rows)
    return out.getvalue().encode("utf-8")


def _pixels(row: dict[str, str]) -> int:
    try:
        return int(row.get("height", "")) * int(row.get("width", ""))
    except ValueError:
        return -1
