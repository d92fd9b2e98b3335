"""Scoring speed and memory against the reference implementations, on the same files, in one run.

Each contender runs in a fresh Python process, so peak memory (max RSS) is
comparable; times are wall-clock from files on disk to both subsets' metrics.
"""
from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

import orjson

from common import measure_in_child, print_table

DETECTION = {"n_images": 5000, "n_categories": 80, "n_boxes": 35000, "n_detections": 500_000}
SEGMENTATION = {"n_masks": 1000, "height": 512, "width": 512}
TEXT_ROWS = 1_000_000

OURS = """
import time
from scoring import get_task, ScoringOptions
task = get_task({task!r})
start = time.perf_counter()
truth = task.load_truth({truth!r}, ScoringOptions())
loaded = time.perf_counter()
scores = task.score(truth, {submission!r}, ScoringOptions())
done = time.perf_counter()
print('SECONDS=%f' % (done - start))
print('SUBMISSION_SECONDS=%f' % (done - loaded))
print('PRIMARY=%r' % scores['public'][task.primary_metric])
"""

PYCOCOTOOLS = """
import contextlib, io, time
from {module} import COCO
from {module2} import {evaluator} as COCOeval
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO({truth!r})
    dt = gt.loadRes({submission!r})
    for usage in ('Public', 'Private'):
        e = COCOeval(gt, dt, 'bbox')
        e.params.imgIds = [im['id'] for im in gt.dataset['images'] if im['usage'] == usage]
        e.evaluate(); e.accumulate(); e.summarize()
        if usage == 'Public':
            primary = e.stats[0]
print('SECONDS=%f' % (time.perf_counter() - start))
print('PRIMARY=%r' % float(primary))
"""

SEGMENTATION_REFERENCE = """
import csv, time
import numpy as np
def decode(rle, h, w):
    flat = np.zeros(h * w, dtype=bool)
    runs = np.array(rle.split(), dtype=np.int64)
    for s, n in zip(runs[0::2], runs[1::2]):
        flat[s - 1:s - 1 + n] = True
    return flat.reshape((w, h)).T
start = time.perf_counter()
truth = {{r['id']: r for r in csv.DictReader(open({truth!r}))}}
dice = {{'Public': [], 'Private': []}}
for row in csv.DictReader(open({submission!r})):
    t = truth[row['id']]
    h, w = int(t['height']), int(t['width'])
    x, y = decode(t['rle'], h, w), decode(row['rle'], h, w)
    total = x.sum() + y.sum()
    dice[t['Usage']].append(1.0 if total == 0 else 2 * (x & y).sum() / total)
print('SECONDS=%f' % (time.perf_counter() - start))
print('PRIMARY=%r' % float(np.mean(dice['Public'])))
"""

TEXT_REFERENCE = """
import time
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
start = time.perf_counter()
t = pd.read_csv({truth!r}, dtype=str, keep_default_na=False)
s = pd.read_csv({submission!r}, dtype=str, keep_default_na=False)
m = t.merge(s, on='id', suffixes=('_true', '_pred'))
out = {{}}
for usage in ('Public', 'Private'):
    part = m[m.Usage == usage]
    out[usage] = accuracy_score(part.label_true, part.label_pred)
    f1_score(part.label_true, part.label_pred, average='macro', zero_division=0)
print('SECONDS=%f' % (time.perf_counter() - start))
print('PRIMARY=%r' % float(out['Public']))
"""


def _primary(stdout: str) -> float:
    return float(next(line.split("=", 1)[1] for line in stdout.splitlines() if line.startswith("PRIMARY=")))


def detection(folder: Path) -> list[list[object]]:
    from scoring.synthetic import coco_detections, coco_truth

    truth = coco_truth(n_images=DETECTION["n_images"], n_categories=DETECTION["n_categories"], n_boxes=DETECTION["n_boxes"])
    detections = coco_detections(truth, n_detections=DETECTION["n_detections"])
    truth_path, results_path = folder / "truth.json", folder / "results.json"
    truth_path.write_bytes(orjson.dumps(truth))
    results_path.write_bytes(orjson.dumps(detections))
    files = {"truth": str(truth_path), "submission": str(results_path)}
    ours = measure_in_child(OURS.format(task="detection", **files))
    reference = measure_in_child(
        PYCOCOTOOLS.format(module="pycocotools.coco", module2="pycocotools.cocoeval", evaluator="COCOeval", **files)
    )
    faster = measure_in_child(
        PYCOCOTOOLS.format(module="faster_coco_eval", module2="faster_coco_eval", evaluator="COCOeval_faster", **files)
    )
    size = results_path.stat().st_size / 1e6
    label = (f"detection: {DETECTION['n_images']} images, {DETECTION['n_boxes']:,} boxes, "
             f"{DETECTION['n_detections']:,} detections ({size:.0f} MB)")
    return [
        [label, "podium", ours[0], ours[1], f"{reference[0] / ours[0]:.1f}x", _primary(ours[2])],
        ["", "pycocotools (reference)", reference[0], reference[1], "1.0x", _primary(reference[2])],
        ["", "faster-coco-eval", faster[0], faster[1], f"{reference[0] / faster[0]:.1f}x", _primary(faster[2])],
    ]


def segmentation(folder: Path) -> list[list[object]]:
    from scoring.synthetic import segmentation_case

    truth_rows, submission_rows, _, _ = segmentation_case(**SEGMENTATION)
    truth_path, submission_path = folder / "seg_truth.csv", folder / "seg_submission.csv"
    _write(truth_path, ["id", "rle", "height", "width", "Usage"], truth_rows)
    _write(submission_path, ["id", "rle"], submission_rows)
    files = {"truth": str(truth_path), "submission": str(submission_path)}
    ours = measure_in_child(OURS.format(task="segmentation", **files))
    reference = measure_in_child(SEGMENTATION_REFERENCE.format(**files))
    label = f"segmentation: {SEGMENTATION['n_masks']} masks of {SEGMENTATION['height']}x{SEGMENTATION['width']}"
    return [
        [label, "podium", ours[0], ours[1], f"{reference[0] / ours[0]:.1f}x", _primary(ours[2])],
        ["", "numpy decode + Dice (reference)", reference[0], reference[1], "1.0x", _primary(reference[2])],
    ]


def text(folder: Path) -> tuple[list[list[object]], dict[str, float]]:
    import numpy as np

    rng = np.random.default_rng(0)
    classes = [f"class_{k}" for k in range(20)]
    labels = rng.integers(0, len(classes), TEXT_ROWS)
    predicted = np.where(rng.random(TEXT_ROWS) < 0.7, labels, rng.integers(0, len(classes), TEXT_ROWS))
    usage = np.where(rng.random(TEXT_ROWS) < 0.3, "Public", "Private")
    truth_path, submission_path = folder / "text_truth.csv", folder / "text_submission.csv"
    _write(truth_path, ["id", "label", "Usage"], ((f"id{i}", classes[labels[i]], usage[i]) for i in range(TEXT_ROWS)))
    _write(submission_path, ["id", "label"], ((f"id{i}", classes[predicted[i]]) for i in rng.permutation(TEXT_ROWS)))
    files = {"truth": str(truth_path), "submission": str(submission_path)}
    ours = measure_in_child(OURS.format(task="text-classification", **files))
    truth_only = measure_in_child(OURS.split("scores =")[0].format(task="text-classification", **files) + "\nprint('SECONDS=0')")
    reference = measure_in_child(TEXT_REFERENCE.format(**files))
    submission_seconds = float(next(line.split("=")[1] for line in ours[2].splitlines() if line.startswith("SUBMISSION_SECONDS")))
    size = submission_path.stat().st_size / 1e6
    label = f"text-classification: {TEXT_ROWS:,} rows ({size:.0f} MB submission)"
    rows = [
        [label, "podium (truth + submission)", ours[0], ours[1], f"{reference[0] / ours[0]:.1f}x", _primary(ours[2])],
        ["", "podium (submission, truth cached)", submission_seconds, ours[1] - truth_only[1], "", ""],
        ["", "pandas + sklearn (reference)", reference[0], reference[1], "1.0x", _primary(reference[2])],
    ]
    return rows, {"submission_mb": size, "extra_mb": ours[1] - truth_only[1]}


def _write(path: Path, header: list[str], rows: object) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        folder = Path(tmp)
        rows = segmentation(folder)
        text_rows, memory = text(folder)
        rows += text_rows
        rows += detection(folder)
    print_table(
        "Scoring speed (wall seconds from files on disk to both subsets' metrics; peak RSS of a fresh process)",
        ["case", "implementation", "seconds", "peak MB", "speed-up", "public primary"],
        rows,
    )
    print(
        f"  text-classification: scoring the submission adds {memory['extra_mb']:.0f} MB to a process holding the "
        f"truth, for a {memory['submission_mb']:.0f} MB file"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
