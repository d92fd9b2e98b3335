"""Writes this example's data (public/, truth/): 16 test images of flat shapes and their boxes, deterministic.

    python examples/scoring_programs/coco_iou30/make_data.py
"""
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
CATEGORIES = [{"id": 1, "name": "circle"}, {"id": 2, "name": "square"}]


def main() -> None:
    rng = random.Random(30)
    images, annotations = [], []
    for index in range(1, 17):
        image = Image.new("L", (96, 96), 20)
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(1, 3)):
            size = rng.randint(14, 36)
            x, y = rng.randint(0, 96 - size), rng.randint(0, 96 - size)
            category = rng.choice(CATEGORIES)["id"]
            (draw.ellipse if category == 1 else draw.rectangle)([x, y, x + size - 1, y + size - 1], fill=230)
            annotations.append({"id": len(annotations) + 1, "image_id": index, "category_id": category,
                                "bbox": [x, y, size, size], "area": size * size, "iscrowd": 0})
        name = f"test_{index:04d}.png"
        image.save(HERE / "public" / "images" / name, optimize=True)
        images.append({"id": index, "file_name": name, "width": 96, "height": 96,
                       "usage": "Public" if index % 2 else "Private"})
    public_images = [{k: v for k, v in image.items() if k != "usage"} for image in images]
    (HERE / "public" / "test.json").write_text(json.dumps({"images": public_images, "categories": CATEGORIES}))
    (HERE / "truth" / "instances.json").write_text(json.dumps({"images": images, "annotations": annotations,
                                                               "categories": CATEGORIES}))
    sample = [{"image_id": image["id"], "category_id": 1, "bbox": [0, 0, 16, 16], "score": 0.5} for image in images]
    (HERE / "public" / "sample_submission.json").write_text(json.dumps(sample))


if __name__ == "__main__":
    main()
