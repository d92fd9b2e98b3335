"""Every runtime path, in the real sandbox, with small models built here by the real libraries:
ONNX and traced TorchScript text models with their tokenizer.json, torchvision's and YOLO's
detection layouts, fixed-size and per-class segmenters, and the refusals with their messages."""
from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest
import torch

from competitions.demo_data import Bundle
from tests.workers.model_builders import (
    FixedSizeSegmenter, YoloLayoutDetector, export_onnx, token_ids_example, train_token_classifier,
    wordpiece_tokenizer, zip_package,
)
from tests.workers.test_inference import CLASSES, bundles, media, score  # noqa: F401 - fixtures
from workers.inference import InferenceJob, InferenceResult, run_job
from workers.storage import LocalFiles

TOKENS = ["input_ids", "attention_mask"]
DYNAMIC = {"input_ids": {0: "n", 1: "l"}, "attention_mask": {0: "n", 1: "l"}, "logits": {0: "n"}}


def submit(media: Path, task: str, upload: Path, **job: object) -> InferenceResult:
    target = media / "submissions" / "upload.bin"
    target.write_bytes(upload.read_bytes())
    fields = {"classes": CLASSES if task == "text-classification" else [], "batch_size": 8, "wall_seconds": 120,
              "memory_mb": 2048, **job}
    return run_job(InferenceJob(submission_id=1, task=task, model="submissions/upload.bin", inputs=f"competitions/{task}/public",
                                output="predictions/out", **fields), files=LocalFiles(media), hidden=[media], device="cpu")


@pytest.fixture(scope="module")
def text_model(bundles: dict[str, Bundle], tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, torch.nn.Module]:
    public = bundles["text-classification"].path / "public"
    folder = tmp_path_factory.mktemp("text-model")
    texts = [row["text"] for row in csv.DictReader(open(public / "train.csv", encoding="utf-8"))]
    tokenizer = wordpiece_tokenizer(texts, folder / "tokenizer.json")
    return tokenizer, train_token_classifier(public, tokenizer, CLASSES)


def direct_labels(tokenizer_path: Path, onnx_path: Path, public: Path) -> List[str]:
    """The same model run directly, one text at a time, by onnxruntime and tokenizers."""
    import onnxruntime
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=512)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    labels = []
    for row in csv.DictReader(open(public / "test.csv", encoding="utf-8")):
        encoding = tokenizer.encode(row["text"])
        feeds = {"input_ids": np.array([encoding.ids]), "attention_mask": np.array([encoding.attention_mask])}
        labels.append(CLASSES[int(session.run(None, feeds)[0].argmax())])
    return labels


def predicted_labels(media: Path, result: InferenceResult) -> List[str]:
    assert result.error is None, result.error
    return [row["label"] for row in csv.DictReader(open(media / result.output))]


def test_an_onnx_text_model_with_its_tokenizer_predicts_as_run_directly(
        media: Path, bundles: dict[str, Bundle], text_model: Tuple[Path, torch.nn.Module], tmp_path: Path) -> None:
    tokenizer, model = text_model
    onnx_path = export_onnx(model, token_ids_example(), tmp_path / "model.onnx", TOKENS, ["logits"], DYNAMIC)
    result = submit(
        media, "text-classification", zip_package(tmp_path / "bert.zip", {"model.onnx": onnx_path, "tokenizer.json": tokenizer})
    )
    public = bundles["text-classification"].path / "public"
    got, expected = predicted_labels(media, result), direct_labels(tokenizer, onnx_path, public)
    assert np.mean([a == b for a, b in zip(got, expected)]) > 0.995 and len(got) == len(expected) == result.items > 0
    scores = score("text-classification", bundles["text-classification"], media / result.output)
    assert scores["public"]["accuracy"] > 0.6  # a real, trained model
    assert result.load_seconds is not None and result.run_seconds is not None


def test_a_traced_torchscript_text_model_with_its_tokenizer_is_accepted(
    media: Path, text_model: Tuple[Path, torch.nn.Module], tmp_path: Path
) -> None:
    tokenizer, model = text_model
    traced = torch.jit.trace(model, token_ids_example())
    torch.jit.save(traced, str(tmp_path / "model.pt"))
    onnx_path = export_onnx(model, token_ids_example(), tmp_path / "model.onnx", TOKENS, ["logits"], DYNAMIC)
    result = submit(
        media, "text-classification", zip_package(tmp_path / "traced.zip", {"model.pt": tmp_path / "model.pt", "tokenizer.json": tokenizer})
    )
    onnx_result = submit(
        media, "text-classification", zip_package(tmp_path / "onnx.zip", {"model.onnx": onnx_path, "tokenizer.json": tokenizer})
    )
    traced_labels = predicted_labels(media, result)
    assert np.mean([a == b for a, b in zip(traced_labels, predicted_labels(media, onnx_result))]) > 0.995


def test_token_type_ids_are_fed_where_the_model_declares_them(
    media: Path, bundles: dict[str, Bundle], text_model: Tuple[Path, torch.nn.Module], tmp_path: Path
) -> None:
    from tests.workers.model_builders import TypedTokenClassifier

    tokenizer, model = text_model
    typed = TypedTokenClassifier(model.embedding.num_embeddings, len(CLASSES))
    typed.load_state_dict(model.state_dict())
    ids, mask = token_ids_example()
    onnx_path = export_onnx(
        typed.eval(),
        (ids, mask, torch.zeros_like(ids)),
        tmp_path / "model.onnx",
        TOKENS + ["token_type_ids"],
        ["logits"],
        {**DYNAMIC, "token_type_ids": {0: "n", 1: "l"}},
    )
    result = submit(
        media, "text-classification", zip_package(tmp_path / "typed.zip", {"model.onnx": onnx_path, "tokenizer.json": tokenizer})
    )
    assert score("text-classification", bundles["text-classification"], media / result.output)["public"]["accuracy"] > 0.6


def test_the_manifest_and_the_competition_cap_the_token_length(
    media: Path, text_model: Tuple[Path, torch.nn.Module], tmp_path: Path
) -> None:
    tokenizer, model = text_model
    fixed = export_onnx(
        model,
        (torch.randint(4, 50, (2, 6)), torch.ones(2, 6, dtype=torch.long)),
        tmp_path / "fixed.onnx",
        TOKENS,
        ["logits"],
        {"input_ids": {0: "n"}, "attention_mask": {0: "n"}, "logits": {0: "n"}},
    )
    # A model exported with a fixed length of 6 gets exactly 6 tokens per text, padded or truncated.
    result = submit(media, "text-classification", zip_package(tmp_path / "fixed.zip", {"model.onnx": fixed, "tokenizer.json": tokenizer}))
    assert result.error is None, result.error
    dynamic = export_onnx(model, token_ids_example(), tmp_path / "model.onnx", TOKENS, ["logits"], DYNAMIC)
    package = zip_package(tmp_path / "short.zip", {"model.onnx": dynamic, "tokenizer.json": tokenizer, "podium.yaml": b"max_length: 6\n"})
    assert predicted_labels(media, submit(media, "text-classification", package)) == predicted_labels(media, result)
    capped = submit(
        media,
        "text-classification",
        zip_package(tmp_path / "long.zip", {"model.onnx": dynamic, "tokenizer.json": tokenizer}),
        settings={"max_length": 6},
    )
    assert predicted_labels(media, capped) == predicted_labels(media, result)


def test_a_text_model_without_its_tokenizer_is_told_what_to_send(
    media: Path, text_model: Tuple[Path, torch.nn.Module], tmp_path: Path
) -> None:
    _, model = text_model
    onnx_path = export_onnx(model, token_ids_example(), tmp_path / "model.onnx", TOKENS, ["logits"], DYNAMIC)
    result = submit(media, "text-classification", onnx_path)
    assert result.error["code"] == "model-error" and "tokenizer.json" in result.error["message"]


def _onnx_with(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    import onnx

    path = export_onnx(torch.nn.Conv2d(3, 1, 3, padding=1), (torch.zeros(1, 3, 8, 8),), tmp_path / "model.onnx", ["images"], ["logits"])
    model = onnx.load(str(path))
    edit(model)
    onnx.save(model, str(path))
    return path


def test_custom_operator_domains_are_refused_with_a_clear_message(media: Path, tmp_path: Path) -> None:
    import onnx

    def custom(model) -> None:  # type: ignore[no-untyped-def]
        model.graph.node[0].domain = "com.example.fastops"
        model.opset_import.append(onnx.helper.make_opsetid("com.example.fastops", 1))

    result = submit(media, "segmentation", _onnx_with(tmp_path, custom))
    assert result.error["code"] == "model-error"
    assert "custom domain 'com.example.fastops'" in result.error["message"]


def test_external_data_outside_the_submission_is_refused_and_inside_it_runs(media: Path, tmp_path: Path) -> None:
    import onnx

    path = _onnx_with(tmp_path, lambda model: None)
    model = onnx.load(str(path))
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").stat().st_size > 0
    alone = submit(media, "segmentation", path)
    assert alone.error["code"] == "model-error" and "external file 'weights.bin'" in alone.error["message"]
    bundled = submit(media, "segmentation", zip_package(tmp_path / "m.zip", {"model.onnx": path, "weights.bin": tmp_path / "weights.bin"}))
    assert bundled.error is None, bundled.error  # exported for one 8×8 image: fed one at a time, resized
    # A location that climbs out of the package, to a file the sandbox does show (the test inputs).
    escaping = onnx.load(str(path), load_external_data=False)
    for tensor in escaping.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../inputs/test.csv"
    path.write_bytes(escaping.SerializeToString())
    sneaky = submit(media, "segmentation", zip_package(tmp_path / "s.zip", {"model.onnx": path, "weights.bin": tmp_path / "weights.bin"}))
    assert sneaky.error["code"] == "model-error" and "external file '../inputs/test.csv'" in sneaky.error["message"]


def test_a_fixed_size_segmenter_gets_resized_images_and_its_logits_resized_back(
    media: Path, bundles: dict[str, Bundle], tmp_path: Path
) -> None:
    model = FixedSizeSegmenter().eval()
    fixed = export_onnx(
        model, (torch.zeros(1, 3, 64, 64),), tmp_path / "model.onnx", ["images"], ["logits"], {"images": {0: "n"}, "logits": {0: "n"}}
    )
    result = submit(media, "segmentation", fixed)
    assert result.error is None, result.error
    rows = list(csv.DictReader(open(media / result.output)))
    assert len(rows) == 12
    native = export_onnx(
        model,
        (torch.zeros(1, 3, 96, 96),),
        tmp_path / "native.onnx",
        ["images"],
        ["logits"],
        {"images": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 1: "h", 2: "w"}},
    )
    native_result = submit(media, "segmentation", native)
    bundle = bundles["segmentation"]
    resized_dice = score("segmentation", bundle, media / result.output)["public"]["dice"]
    (tmp_path / "fixed.csv").write_bytes((media / result.output).read_bytes())
    native_dice = score("segmentation", bundle, media / native_result.output)["public"]["dice"]
    assert native_dice > 0.5 and resized_dice > 0.8 * native_dice


def test_per_class_rows_take_their_channel_of_the_scores(media: Path, tmp_path: Path) -> None:
    from PIL import Image

    from scoring.formats.rle import rle_encode

    class TwoChannels(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            bright = images.mean(dim=1) - 0.5
            return torch.stack([bright, -bright], dim=1)

    public = media / "competitions" / "segmentation" / "public"
    rng = np.random.default_rng(3)
    pixels = {name: (rng.random((20, 30)) > 0.5) for name in ("a", "b")}
    with open(public / "test.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "image", "height", "width", "class"])
        for name, mask in pixels.items():
            Image.fromarray(np.stack([mask * 255] * 3, axis=-1).astype(np.uint8)).save(public / f"{name}.png")
            for cls in ("dark", "light"):
                writer.writerow([f"{name}_{cls}", f"{name}.png", 20, 30, cls])
    onnx_path = export_onnx(
        TwoChannels(),
        (torch.zeros(1, 3, 20, 30),),
        tmp_path / "model.onnx",
        ["images"],
        ["scores"],
        {"images": {0: "n"}, "scores": {0: "n"}},
    )
    result = submit(media, "segmentation", onnx_path, classes=["light", "dark"])
    assert result.error is None, result.error
    got = {row["id"]: row["rle"] for row in csv.DictReader(open(media / result.output))}
    for name, mask in pixels.items():
        assert got[f"{name}_light"] == rle_encode(mask) and got[f"{name}_dark"] == rle_encode(~mask)


class TorchvisionStyle(torch.nn.Module):
    """One image in, torchvision's outputs: the box around the bright pixels, category 2."""

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        bright = image.mean(dim=0) > 0.5
        ys = torch.arange(image.shape[1]).unsqueeze(1).expand_as(bright).float()
        xs = torch.arange(image.shape[2]).unsqueeze(0).expand_as(bright).float()
        big = torch.full_like(xs, 1e6)
        box = torch.stack(
            [
                torch.where(bright, xs, big).min(),
                torch.where(bright, ys, big).min(),
                torch.where(bright, xs, -big).max() + 1,
                torch.where(bright, ys, -big).max() + 1,
            ]
        )
        return box.unsqueeze(0), torch.tensor([2]), torch.tensor([0.9])


def _bright_box_image(path: Path, size: Tuple[int, int], box: Tuple[int, int, int, int]) -> None:
    from PIL import Image

    pixels = np.zeros((size[0], size[1], 3), dtype=np.uint8)
    x1, y1, x2, y2 = box
    pixels[y1:y2, x1:x2] = 255
    Image.fromarray(pixels).save(path)


@pytest.fixture
def boxes_inputs(media: Path) -> Dict[int, Tuple[int, int, int, int]]:
    """Three test images of different sizes, each with one bright box."""
    public = media / "competitions" / "detection" / "public"
    boxes = {1: (10, 20, 50, 40), 2: (100, 5, 180, 90), 3: (0, 0, 30, 30)}
    sizes = {1: (64, 96), 2: (120, 200), 3: (100, 100)}
    images = []
    for image_id, box in boxes.items():
        _bright_box_image(public / "images" / f"b{image_id}.png", sizes[image_id], box)
        images.append({"id": image_id, "file_name": f"b{image_id}.png", "height": sizes[image_id][0], "width": sizes[image_id][1]})
    categories = [{"id": 7, "name": "square"}, {"id": 2, "name": "blob"}, {"id": 5, "name": "ring"}]
    (public / "test.json").write_text(json.dumps({"images": images, "categories": categories}))
    return boxes


def _found(media: Path, result: InferenceResult) -> Dict[int, List[dict]]:
    assert result.error is None, result.error
    found: Dict[int, List[dict]] = {}
    for item in json.loads((media / result.output).read_text()):
        found.setdefault(item["image_id"], []).append(item)
    return found


def test_a_torchvision_detector_exported_to_onnx_gives_its_boxes(media: Path, boxes_inputs: dict, tmp_path: Path) -> None:
    onnx_path = export_onnx(
        TorchvisionStyle(),
        (torch.zeros(3, 50, 60),),
        tmp_path / "model.onnx",
        ["image"],
        ["boxes", "labels", "scores"],
        {"image": {1: "h", 2: "w"}},
    )
    found = _found(media, submit(media, "detection", onnx_path))
    for image_id, (x1, y1, x2, y2) in boxes_inputs.items():
        [item] = found[image_id]
        assert item["bbox"] == pytest.approx([x1, y1, x2 - x1, y2 - y1]) and item["category_id"] == 2


def test_torchvisions_scripted_losses_and_detections_tuple_is_read(media: Path, boxes_inputs: dict, tmp_path: Path) -> None:
    class Scripted(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = TorchvisionStyle()

        def forward(self, images: List[torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[Dict[str, torch.Tensor]]]:
            detections: List[Dict[str, torch.Tensor]] = []
            for image in images:
                boxes, labels, scores = self.inner(image)
                detections.append({"boxes": boxes, "labels": labels, "scores": scores})
            return {}, detections

    torch.jit.save(torch.jit.script(Scripted()), str(tmp_path / "model.pt"))
    found = _found(media, submit(media, "detection", tmp_path / "model.pt"))
    assert {k: v[0]["bbox"] for k, v in found.items()} == {k: [x1, y1, x2 - x1, y2 - y1] for k, (x1, y1, x2, y2) in boxes_inputs.items()}


def test_a_yolo_raw_head_is_letterboxed_decoded_suppressed_and_mapped_back(media: Path, boxes_inputs: dict, tmp_path: Path) -> None:
    onnx_path = export_onnx(
        YoloLayoutDetector(3).eval(),
        (torch.zeros(1, 3, 128, 128),),
        tmp_path / "model.onnx",
        ["images"],
        ["output0"],
        {"images": {0: "n"}, "output0": {0: "n"}},
    )
    found = _found(media, submit(media, "detection", onnx_path, settings={"confidence": 0.5}))
    for image_id, (x1, y1, x2, y2) in boxes_inputs.items():
        items = found[image_id]
        # The brightest class is the third (scores (k+1)/3): category id 5 in the competition's order.
        assert {item["category_id"] for item in items} == {5}
        for item in items:
            bx, by, bw, bh = item["bbox"]
            centre = (bx + bw / 2, by + bh / 2)
            assert x1 - 1 <= centre[0] <= x2 + 1 and y1 - 1 <= centre[1] <= y2 + 1  # back in the image's pixels
            assert bx >= 0 and by >= 0
        # After class-wise NMS at IoU 0.7, no two kept boxes overlap more than that.
        assert 1 <= len(items) <= 100
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                assert _iou(a["bbox"], b["bbox"]) <= 0.7 + 1e-6


def _iou(a: List[float], b: List[float]) -> float:
    width = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_the_yolo_decoding_matches_the_truth_exactly(tmp_path: Path) -> None:
    """A stand-in model that returns the truth boxes, letterboxed, plus near-duplicates: NMS keeps one each."""
    from workers.runtime import ModelInput, RunOptions
    from workers.runtime.adapters import detection

    size, boxes = (200, 120), {1: [(20, 30, 60, 90, 0), (100, 10, 190, 50, 1)]}  # width, height; x1, y1, x2, y2, class
    (tmp_path / "images").mkdir()
    _bright_box_image(tmp_path / "images" / "a.png", (size[1], size[0]), (0, 0, 1, 1))
    (tmp_path / "test.json").write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 3}, {"id": 9}]}))
    scale = 160 / 200  # into 160×160: 200×120 becomes 160×96, padded 32 above and below
    head = np.zeros((1, 6, 4), dtype=np.float32)
    for anchor, (x1, y1, x2, y2, cls) in enumerate(boxes[1]):
        for copy, (shift, confidence) in enumerate([(0.0, 0.9), (1.0, 0.6)]):
            cx, cy = (x1 + x2) / 2 * scale + shift, (y1 + y2) / 2 * scale + 32
            head[0, :4, anchor * 2 + copy] = [cx, cy, (x2 - x1) * scale, (y2 - y1) * scale]
            head[0, 4 + cls, anchor * 2 + copy] = confidence

    class StandIn:
        format, inputs = "ONNX", [ModelInput("images", shape=(None, 3, 160, 160))]

        def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
            assert batch.shape == (1, 3, 160, 160)
            return [head]

    detection.run(StandIn(), tmp_path, tmp_path / "out.json", RunOptions(batch_size=4), lambda done, total: None)
    results = sorted(json.loads((tmp_path / "out.json").read_text()), key=lambda r: r["category_id"])
    assert [(r["category_id"], r["score"]) for r in results] == [(3, pytest.approx(0.9)), (9, pytest.approx(0.9))]
    for result, (x1, y1, x2, y2, _) in zip(results, boxes[1]):
        assert result["bbox"] == pytest.approx([x1, y1, x2 - x1, y2 - y1], abs=1e-3)


def test_a_torchscript_model_needing_torchvision_says_to_export_to_onnx(media: Path, tmp_path: Path) -> None:
    class Plus(torch.nn.Module):
        def forward(self, images: List[torch.Tensor]) -> List[Dict[str, torch.Tensor]]:
            return [{"boxes": torch.add(image, 1)} for image in images]

    torch.jit.save(torch.jit.script(Plus()), str(tmp_path / "plain.pt"))
    # The code torch.jit.save writes for a torchvision detector calls ops.torchvision.nms.
    with zipfile.ZipFile(tmp_path / "plain.pt") as source, zipfile.ZipFile(tmp_path / "model.pt", "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".py"):
                data = data.replace(b"torch.add(image, 1)", b"ops.torchvision.nms(image, image, 0.5)")
            if not info.filename.endswith(".debug_pkl"):
                target.writestr(info, data)
    result = submit(media, "detection", tmp_path / "model.pt")
    assert result.error["code"] == "model-error"
    message = result.error["message"]
    assert "torchvision::nms" in message and "export the model to onnx" in message.lower()
