"""COCO detection: `test.json` and `images/` in, COCO results (`image_id, category_id, bbox, score`) out.

Three layouts, chosen from the model's inputs and outputs (or `output:` in the manifest):
- boxes: torchvision's convention. `forward(images: List[Tensor[3,H,W]])` returns one dict
  (`boxes` x1,y1,x2,y2 in pixels, `scores`, `labels` = category ids) per image, or torchvision's
  scripted `(losses, detections)`; an ONNX export takes one image `[3,H,W]` and returns boxes,
  labels and scores (by name where the outputs are so named, else in torchvision's order).
- yolo: a fixed-size model `[N,3,S,S] -> [N, 4+C, A]` (Ultralytics' export without NMS):
  images are letterboxed to S, the head decoded, class-wise NMS run, class index mapped to
  the competition's category order (`categories` of test.json), boxes mapped back.
- yolo-nms: `[N,3,S,S] -> [N, K, 6]` (x1, y1, x2, y2, score, class index), already suppressed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from workers.runtime import MODEL_ERROR, ModelFailure, Progress, RunOptions
from workers.runtime.adapters import batch_size, batches
from workers.runtime.adapters.boxes import classwise_nms, decode_yolo, decode_yolo_nms
from workers.runtime.adapters.images import Letterbox, fixed_size, letterbox, open_rgb, to_array

DEFAULTS = {"confidence": 0.001, "iou": 0.7, "max_detections": 100}
DEFAULT_SIZE = (640, 640)


def run(model: Any, inputs: Path, output: Path, options: RunOptions, progress: Progress) -> None:
    test = json.loads((inputs / "test.json").read_text())
    images = test["images"]
    category_ids = [int(c["id"]) for c in test.get("categories", [])]
    layout = _layout(model, options)
    results: list[dict[str, Any]] = []
    done = 0
    for batch in batches(images, batch_size(model, options.batch_size)):
        paths = [inputs / "images" / image["file_name"] for image in batch]
        if layout == "boxes":
            found = _boxes_layout(model, paths, options)
        else:
            found = _yolo_layout(model, paths, options, layout, category_ids)
        for image, (boxes, scores, labels) in zip(batch, found):
            results.extend(_coco(image["id"], boxes, scores, labels))
        done += len(batch)
        progress(done, len(images))
    output.write_text(json.dumps(results))


def _layout(model: Any, options: RunOptions) -> str:
    if "output" in options.manifest:
        return str(options.manifest["output"])
    first = model.inputs[0] if model.inputs else None
    if first is None or first.kind == "tensors" or (first.shape is not None and len(first.shape) == 3):
        return "boxes"
    return "yolo"  # a batch tensor: yolo or yolo-nms, told apart by the output's shape


def _boxes_layout(model: Any, paths: list[Path], options: RunOptions) -> list[tuple[np.ndarray, ...]]:
    arrays = [to_array(open_rgb(path), options.manifest) for path in paths]
    if model.inputs and model.inputs[0].kind == "tensors":
        outputs = model(arrays)
        if isinstance(outputs, tuple) and len(outputs) == 2 and isinstance(outputs[1], list):
            outputs = outputs[1]  # torchvision's scripted detectors return (losses, detections)
        if not isinstance(outputs, list) or len(outputs) != len(paths):
            raise ModelFailure(MODEL_ERROR, f"forward(images) must return a list of {len(paths)} dicts (one per image).")
        return [_dict_output(out) for out in outputs]
    return [_named_outputs(model, model(array)) for array in arrays]  # an ONNX export takes one image


def _dict_output(out: Any) -> tuple[np.ndarray, ...]:
    if not isinstance(out, dict) or not {"boxes", "scores", "labels"} <= set(out):
        raise ModelFailure(MODEL_ERROR, "Each output must be a dict with 'boxes' [K, 4], 'scores' [K] and 'labels' [K].")
    return out["boxes"], out["scores"], out["labels"]


def _named_outputs(model: Any, outputs: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    names = list(getattr(model, "output_names", []))
    if {"boxes", "scores", "labels"} <= set(names):
        by_name = dict(zip(names, outputs))
        return by_name["boxes"], by_name["scores"], by_name["labels"]
    if len(outputs) < 3:
        raise ModelFailure(MODEL_ERROR, (
            f"The model returned {len(outputs)} outputs for one image; expected boxes [K, 4], labels [K] and scores [K] "
            "(torchvision's order), or a batch input [N, 3, S, S] for a YOLO head."))
    return outputs[0], outputs[2], outputs[1]  # torchvision's export order: boxes, labels, scores


def _yolo_layout(model: Any, paths: list[Path], options: RunOptions, layout: str,
                 category_ids: list[int]) -> list[tuple[np.ndarray, ...]]:
    size = fixed_size(model, options.manifest) or DEFAULT_SIZE
    stretch = options.manifest.get("resize") == "stretch"
    fitted: list[np.ndarray] = []
    boxes_back: list[Letterbox] = []
    for path in paths:
        image, placement = letterbox(open_rgb(path), size, stretch=stretch)
        fitted.append(to_array(image, options.manifest))
        boxes_back.append(placement)
    outputs = model(np.stack(fitted))
    head = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    if not isinstance(head, np.ndarray) or head.ndim != 3 or head.shape[0] != len(paths):
        shape = list(head.shape) if isinstance(head, np.ndarray) else type(head).__name__
        raise ModelFailure(MODEL_ERROR, f"The model returned {shape}; expected [{len(paths)}, 4 + classes, anchors] "
                                        f"(a YOLO head) or [{len(paths)}, K, 6] (after NMS).")
    if not category_ids:
        raise ModelFailure(MODEL_ERROR, "test.json lists no categories, so class indices cannot be mapped to category ids.")
    nms_done = layout == "yolo-nms" or (layout == "yolo" and head.shape[1] != 4 + len(category_ids) and head.shape[2] == 6)
    return [_suppressed(head[i], placement, options, nms_done, category_ids) for i, placement in enumerate(boxes_back)]


def _suppressed(head: np.ndarray, placement: Letterbox, options: RunOptions, nms_done: bool,
                category_ids: list[int]) -> tuple[np.ndarray, ...]:
    confidence = float(options.setting("confidence", DEFAULTS["confidence"]))
    limit = int(options.setting("max_detections", DEFAULTS["max_detections"]))
    if nms_done:
        boxes, scores, classes = decode_yolo_nms(head, confidence)
        keep = np.argsort(scores)[::-1][:limit]
    else:
        if head.shape[0] != 4 + len(category_ids):
            raise ModelFailure(MODEL_ERROR, (
                f"The YOLO head has {head.shape[0]} rows per anchor; this competition has {len(category_ids)} "
                f"categories, so it needs 4 + {len(category_ids)} = {4 + len(category_ids)}."))
        boxes, scores, classes = decode_yolo(head, confidence)
        keep = classwise_nms(boxes, scores, classes, float(options.setting("iou", DEFAULTS["iou"])), limit)
    classes = classes[keep]
    if classes.size and (classes.min() < 0 or classes.max() >= len(category_ids)):
        raise ModelFailure(MODEL_ERROR, f"The model returned class index {int(classes.max())}; "
                                        f"this competition has {len(category_ids)} categories.")
    labels = np.asarray(category_ids, dtype=np.int64)[classes]
    return placement.to_image(boxes[keep]), scores[keep], labels


def _coco(image_id: int, boxes: Any, scores: Any, labels: Any) -> list[dict[str, Any]]:
    boxes, scores, labels = (np.asarray(v) for v in (boxes, scores, labels))
    k = boxes.shape[0] if boxes.ndim == 2 else -1
    if boxes.ndim != 2 or boxes.shape[1] != 4 or scores.shape != (k,) or labels.shape != (k,):
        raise ModelFailure(MODEL_ERROR, f"Image {image_id}: got boxes {list(boxes.shape)}, scores {list(scores.shape)}, "
                                        f"labels {list(labels.shape)}; expected [K, 4], [K] and [K].")
    boxes, scores = boxes.astype(np.float64), scores.astype(np.float64)
    if not (np.isfinite(boxes).all() and np.isfinite(scores).all()):
        raise ModelFailure(MODEL_ERROR, f"Image {image_id}: the model returned boxes or scores that are NaN or infinite.")
    xywh = np.stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1)
    return [
        {"image_id": image_id, "category_id": int(label), "bbox": box, "score": score}
        for box, score, label in zip(np.round(xywh, 3).tolist(), scores.tolist(), labels.tolist())
    ]


PROBE_SIZE = 64


def probe(inputs: Path, classes: list[str]) -> Any:
    """[N, 3, 64, 64] in, one suppressed box per image out ([N, 1, 6]: x1, y1, x2, y2, score, class 0): yolo-nms."""
    import torch

    from workers.runtime.adapters import Probe

    class OneBox(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            n = images.shape[0]
            box = torch.tensor([4.0, 4.0, 40.0, 40.0]).expand(n, 4)
            score = images.mean(dim=(1, 2, 3)).unsqueeze(1)
            return torch.cat([box, score, torch.zeros(n, 1)], dim=1).unsqueeze(1)

    return Probe(OneBox(), (torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE),), ["images"], ["detections"],
                 {"podium.yaml": f"input_size: {PROBE_SIZE}\noutput: yolo-nms\n".encode()})
