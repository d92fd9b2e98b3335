"""The segmentation demo: bright blobs in grainy images, masks in Kaggle's run-length encoding."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scoring.demos import Bundle, write_meta, write_rows


def segmentation_bundle(folder: Path, *, slug: str = "blob-tracer", n_train: int = 40, n_test: int = 40, seed: int = 5) -> Bundle:
    from PIL import Image
    from scipy.ndimage import uniform_filter

    from scoring.formats.rle import rle_encode
    from scoring.synthetic import blob_mask

    rng = np.random.default_rng(seed)
    folder = Path(folder)
    public = folder / "public"
    size = 96
    rows: dict[str, list[tuple[object, ...]]] = {"train": [], "test": []}
    masks: dict[str, np.ndarray] = {}
    images: dict[str, np.ndarray] = {}
    for split, count in (("train", n_train), ("test", n_test)):
        image_dir = public / ("images" if split == "test" else "train_images")
        image_dir.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            mask = blob_mask(rng, size, size, int(rng.integers(0, 3)))
            pixels = rng.normal(90, 30, (size, size)) + mask * 70
            pixels = np.clip(pixels, 0, 255).astype(np.uint8)
            image_id = f"{split}_{index:04d}"
            Image.fromarray(np.stack([pixels] * 3, axis=-1), "RGB").save(image_dir / f"{image_id}.png")
            usage = "Public" if index % 2 == 0 else "Private"
            rows[split].append((image_id, rle_encode(mask), size, size, usage))
            masks[image_id], images[image_id] = mask, pixels
    write_rows(public / "train.csv", ["id", "image", "height", "width", "rle"],
           [(i, f"train_images/{i}.png", h, w, rle) for i, rle, h, w, _ in rows["train"]])
    write_rows(public / "test.csv", ["id", "image", "height", "width"],
           [(i, f"images/{i}.png", h, w) for i, _, h, w, _ in rows["test"]])
    write_rows(folder / "truth.csv", ["id", "rle", "height", "width", "Usage"], rows["test"])
    write_rows(public / "sample_submission.csv", ["id", "rle"], [(i, "") for i, *_ in rows["test"]])
    write_meta(folder, slug=slug, title="Blob Tracer", task="segmentation",
                subtitle="Outline the bright blobs hiding in grainy images",
                overview=("## Trace every blob\n\nEach test image holds zero to two bright blobs in grain. Submit one "
                          "mask per id of `test.csv`, run-length encoded as on Kaggle (1-indexed, column-major).\n\n"
                          "`train.csv` has the masks of the training images."))
    baselines = folder / "baselines"
    baselines.mkdir(exist_ok=True)
    test_ids = [row[0] for row in rows["test"]]
    strategies = {
        "Smooth Operators": lambda i: uniform_filter(images[i].astype(float), size=5) > 125,
        "Raw Threshold": lambda i: images[i] > 140,
        "Nothing Here": lambda i: np.zeros_like(masks[i]),
    }
    files = {}
    for team, predict in strategies.items():
        path = baselines / f"{team.lower().replace(' ', '_')}.csv"
        write_rows(path, ["id", "rle"], [(i, rle_encode(predict(i))) for i in test_ids])
        files[team] = path
    return Bundle(path=folder, baselines=files)
