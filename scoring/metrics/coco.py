"""COCO bbox evaluation, defined as pycocotools' `COCOeval(gt, dt, "bbox")`, vectorized.

The algorithm is pycocotools' own, step for step, so the twelve summary
numbers agree to floating-point rounding:

- per (image, category), detections are ranked by score (stable: file order
  breaks ties) and only the first 100 are kept;
- IoU is `bbIou` from pycocotools' maskApi.c; against a crowd box the union
  is the detection's own area;
- greedy matching per IoU threshold and area range: each detection, in rank
  order, takes the available ground truth with the highest IoU ≥ threshold,
  preferring non-ignored boxes, and among equal IoUs the last one;
- accumulation and the 101-point interpolated precision as in `accumulate()`.

Instead of a Python loop per image and category, matching runs in lockstep over
detection ranks (at one rank, each (image, category) group has one detection,
so groups never compete), over all images at once; the public and private
subsets then only differ in which images are accumulated.
"""
from __future__ import annotations

import numpy as np

from scoring.formats.coco import CocoTruth, Detections

IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_RANGES = ((0.0**2, 1e5**2), (0.0**2, 32.0**2), (32.0**2, 96.0**2), (96.0**2, 1e5**2))
METRICS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large",
           "mar_1", "mar_10", "mar_100", "mar_small", "mar_medium", "mar_large")


class _Matching:
    """Detections (kept, in group-and-rank order) with their match flags per area range and threshold."""

    def __init__(self, truth: CocoTruth, dets: Detections, thresholds: np.ndarray = IOU_THRESHOLDS) -> None:
        self.thresholds = np.asarray(thresholds, dtype=float)
        n_categories = len(truth.category_ids)
        group = dets.image * n_categories + dets.category
        order = np.lexsort((np.arange(group.size), -dets.scores, group))
        group = group[order]
        starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1]))) if group.size else np.zeros(0, np.int64)
        rank = np.arange(group.size) - np.repeat(starts, np.diff(np.append(starts, group.size)))
        keep = order[rank < MAX_DETS[-1]]
        self.rank = rank[rank < MAX_DETS[-1]]
        self.image = dets.image[keep]
        self.category = dets.category[keep]
        self.scores = dets.scores[keep]
        self.boxes = dets.boxes[keep]
        self.group = group[rank < MAX_DETS[-1]]
        self.areas = self.boxes[:, 2] * self.boxes[:, 3]
        self.gt_group = truth.ann_image * n_categories + truth.ann_category
        # matched[a], ignored[a]: bool [T, n_dets] for area range a.
        self.matched: list[np.ndarray] = []
        self.ignored: list[np.ndarray] = []
        pair_det, pair_gt, pair_iou = self._candidate_pairs(truth)
        for low, high in AREA_RANGES:
            gt_ignored = truth.crowd | (truth.areas < low) | (truth.areas > high)
            matched, ignored = self._match(truth, pair_det, pair_gt, pair_iou, gt_ignored)
            outside = (self.areas < low) | (self.areas > high)
            self.matched.append(matched)
            self.ignored.append(ignored | (~matched & outside[None, :]))

    def _candidate_pairs(self, truth: CocoTruth) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(detection, ground truth) pairs of the same image and category with IoU ≥ the lowest threshold."""
        gt_order = np.argsort(self.gt_group, kind="stable")
        sorted_groups = self.gt_group[gt_order]
        low = np.searchsorted(sorted_groups, self.group, side="left")
        counts = np.searchsorted(sorted_groups, self.group, side="right") - low
        pair_det = np.repeat(np.arange(self.group.size), counts)
        offsets = np.arange(pair_det.size) - np.repeat(np.cumsum(counts) - counts, counts)
        pair_gt = gt_order[np.repeat(low, counts) + offsets]
        iou = bbox_iou(self.boxes[pair_det], truth.boxes[pair_gt], truth.crowd[pair_gt])
        # A pair below the lowest threshold can never match at any threshold.
        useful = iou >= min(self.thresholds.min(), 1 - 1e-10)
        return pair_det[useful], pair_gt[useful], iou[useful]

    def _match(
        self, truth: CocoTruth, pair_det: np.ndarray, pair_gt: np.ndarray, pair_iou: np.ndarray, gt_ignored: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        thresholds = np.minimum(self.thresholds, 1 - 1e-10)[:, None]
        n_t, n_dets = len(self.thresholds), self.group.size
        det_matched = np.zeros((n_t, n_dets), bool)
        det_ignored = np.zeros((n_t, n_dets), bool)
        gt_taken = np.zeros((n_t, len(truth.crowd)), bool)
        if pair_det.size == 0:
            return det_matched, det_ignored
        # Within a detection's pairs, ascending (non-ignored, IoU, gt position): the chosen
        # ground truth is the last eligible pair, exactly as pycocotools' inner loop picks it.
        tier = ~gt_ignored[pair_gt]
        order = np.lexsort((pair_gt, pair_iou, tier, pair_det, self.rank[pair_det]))
        pair_det, pair_gt, pair_iou = pair_det[order], pair_gt[order], pair_iou[order]
        pair_rank = self.rank[pair_det]
        bounds = np.flatnonzero(np.diff(pair_rank)) + 1
        for lo, hi in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [pair_rank.size]))):
            dets, gts, ious = pair_det[lo:hi], pair_gt[lo:hi], pair_iou[lo:hi]
            eligible = (ious[None, :] >= thresholds) & ~(gt_taken[:, gts] & ~truth.crowd[gts][None, :])
            starts = np.flatnonzero(np.concatenate(([True], dets[1:] != dets[:-1])))
            last = np.maximum.reduceat(np.where(eligible, np.arange(dets.size)[None, :], -1), starts, axis=1)
            t_index, det_slot = np.nonzero(last >= 0)
            chosen = last[t_index, det_slot]
            det = dets[starts[det_slot]]
            det_matched[t_index, det] = True
            det_ignored[t_index, det] = gt_ignored[gts[chosen]]
            gt_taken[t_index, gts[chosen]] = True
        return det_matched, det_ignored


def bbox_iou(det: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """pycocotools' bbIou, pairwise over aligned rows of [x, y, w, h] boxes."""
    det_area = det[:, 2] * det[:, 3]
    gt_area = gt[:, 2] * gt[:, 3]
    w = np.minimum(det[:, 2] + det[:, 0], gt[:, 2] + gt[:, 0]) - np.maximum(det[:, 0], gt[:, 0])
    h = np.minimum(det[:, 3] + det[:, 1], gt[:, 3] + gt[:, 1]) - np.maximum(det[:, 1], gt[:, 1])
    inter = w * h
    union = np.where(crowd, det_area, det_area + gt_area - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
    return np.where((w > 0) & (h > 0), iou, 0.0)


def evaluate(truth: CocoTruth, dets: Detections, subsets: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """The twelve COCO numbers for each subset (a boolean mask over truth.image_ids)."""
    matching = _Matching(truth, dets)
    return {name: summarize(*_accumulate(truth, matching, images)) for name, images in subsets.items()}


def evaluate_at(truth: CocoTruth, dets: Detections, subsets: dict[str, np.ndarray],
                iou: float) -> dict[str, dict[str, float]]:
    """AP and AR (all areas, 100 detections) at one IoU threshold for each subset: pycocotools' `COCOeval` with
    `params.iouThrs = [iou]`, its `stats[0]` and `stats[8]`. For scoring programs that rank by a threshold other
    than COCO's (examples/scoring_programs/coco_iou30)."""
    matching = _Matching(truth, dets, np.array([iou]))
    scores = {}
    for name, images in subsets.items():
        precision, recall = _accumulate(truth, matching, images)
        ap, ar = precision[:, :, :, 0, 2], recall[:, :, 0, 2]
        scores[name] = {"ap": float(np.mean(ap[ap > -1])) if (ap > -1).any() else -1.0,
                        "ar": float(np.mean(ar[ar > -1])) if (ar > -1).any() else -1.0}
    return scores


def _accumulate(truth: CocoTruth, matching: _Matching, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_t, n_r, n_k, n_a, n_m = len(matching.thresholds), len(RECALL_THRESHOLDS), len(truth.category_ids), len(AREA_RANGES), len(MAX_DETS)
    precision = -np.ones((n_t, n_r, n_k, n_a, n_m))
    recall = -np.ones((n_t, n_k, n_a, n_m))
    gt_in = images[truth.ann_image]
    det_in = np.flatnonzero(images[matching.image])
    # Across images, pycocotools concatenates in image-id order (each image's detections
    # by rank) and then sorts by score with a stable sort.
    image_id = truth.image_ids[matching.image[det_in]]
    det_in = det_in[np.lexsort((matching.rank[det_in], image_id, -matching.scores[det_in], matching.category[det_in]))]
    det_category = matching.category[det_in]
    cat_bounds = np.searchsorted(det_category, np.arange(n_k + 1))
    gt_category = truth.ann_category[gt_in]
    for a, (low, high) in enumerate(AREA_RANGES):
        gt_counted = ~(truth.crowd[gt_in] | (truth.areas[gt_in] < low) | (truth.areas[gt_in] > high))
        npig_per_category = np.bincount(gt_category[gt_counted], minlength=n_k)
        has_any = np.bincount(gt_category, minlength=n_k) + np.diff(cat_bounds) > 0
        for k in np.flatnonzero(has_any & (npig_per_category > 0)):
            rows = det_in[cat_bounds[k]:cat_bounds[k + 1]]
            for m, max_det in enumerate(MAX_DETS):
                kept = rows[matching.rank[rows] < max_det]
                precision[:, :, k, a, m], recall[:, k, a, m] = _precision_recall(
                    matching.matched[a][:, kept], matching.ignored[a][:, kept], int(npig_per_category[k])
                )
    return precision, recall


def _precision_recall(matched: np.ndarray, ignored: np.ndarray, npig: int) -> tuple[np.ndarray, np.ndarray]:
    n_t, n_dets = matched.shape
    tp = np.cumsum(matched & ~ignored, axis=1).astype(float)
    fp = np.cumsum(~matched & ~ignored, axis=1).astype(float)
    precision = np.zeros((n_t, len(RECALL_THRESHOLDS)))
    if n_dets == 0:
        return precision, np.zeros(n_t)
    rc = tp / npig
    pr = tp / (fp + tp + np.spacing(1))
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
    for t in range(n_t):
        inds = np.searchsorted(rc[t], RECALL_THRESHOLDS, side="left")
        found = inds < n_dets
        precision[t, found] = pr[t, inds[found]]
    return precision, rc[:, -1]


def summarize(precision: np.ndarray, recall: np.ndarray) -> dict[str, float]:
    """pycocotools' `summarize()` for bbox: `stats[0..11]` under their metric names."""
    all_areas, small, medium, large = 0, 1, 2, 3
    at_50, at_75 = int(np.argmin(np.abs(IOU_THRESHOLDS - 0.5))), int(np.argmin(np.abs(IOU_THRESHOLDS - 0.75)))

    def mean(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    def ap(area: int, t: int | None = None) -> float:
        p = precision[:, :, :, area, 2] if t is None else precision[[t], :, :, area, 2]
        return mean(p)

    def ar(area: int, m: int) -> float:
        return mean(recall[:, :, area, m])

    stats = [ap(all_areas), ap(all_areas, at_50), ap(all_areas, at_75), ap(small), ap(medium), ap(large),
             ar(all_areas, 0), ar(all_areas, 1), ar(all_areas, 2), ar(small, 2), ar(medium, 2), ar(large, 2)]
    return dict(zip(METRICS, stats))



def evaluate_with_categories(truth: CocoTruth, dets: Detections, subsets: dict[str, np.ndarray],
                             detail: str) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """`evaluate`, plus each category's AP@[.5:.95], AP@0.5 and AP@0.75 on the subset `detail` (all areas,
    100 detections: pycocotools' precision array averaged per category as its summary averages it over all;
    -1 where the category has nothing to measure)."""
    matching = _Matching(truth, dets)
    scores, categories = {}, {}
    for name, images in subsets.items():
        precision, recall = _accumulate(truth, matching, images)
        scores[name] = summarize(precision, recall)
        if name == detail:
            categories = _per_category(truth, precision)
    return scores, categories


def _per_category(truth: CocoTruth, precision: np.ndarray) -> dict[str, dict[str, float]]:
    at_50, at_75 = int(np.argmin(np.abs(IOU_THRESHOLDS - 0.5))), int(np.argmin(np.abs(IOU_THRESHOLDS - 0.75)))

    def mean(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    return {str(int(category)): {"ap": mean(precision[:, :, k, 0, 2]), "ap_50": mean(precision[at_50, :, k, 0, 2]),
                                 "ap_75": mean(precision[at_75, :, k, 0, 2])}
            for k, category in enumerate(truth.category_ids)}
