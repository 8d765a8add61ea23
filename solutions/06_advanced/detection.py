"""Exercise 6.6: a YOLO-style single-shot detector, from box geometry to mean average precision.

A detector answers "which objects, and where": a set of boxes, each with a class and a score. This
one (YOLO v1 in miniature) lays an S x S grid over the image and lets the cell that contains a box's
centre be responsible for it. Per cell the network predicts 5 + C numbers:

    [objectness logit, tx, ty, sqrt(w / image), sqrt(h / image), C class logits]

where (tx, ty) in [0, 1) is the centre's offset inside its cell. Square roots of the sizes make an
error of a few pixels cost more on a small box than on a large one (YOLO v1's choice).

Conventions used everywhere in this module:
  * A box is (x1, y1, x2, y2) in continuous pixel coordinates with x1 <= x2 and y1 <= y2; pixel
    (row r, column c) covers [c, c + 1) x [r, r + 1). Width is x2 - x1 (no "+ 1"), so two boxes
    that touch along an edge share no area and have IoU 0, and a box with x1 == x2 has area 0.
  * IoU of two boxes whose union has area 0 (both degenerate) is 0.
  * Ties in score are broken by position: the earlier box (lower index) ranks first.

The pieces, in the order a detector runs them:
  box_iou           pairwise IoU matrix
  encode_targets    ground-truth boxes -> the grid the network is trained to output
  TinyYolo          conv-BN-ReLU-pool blocks and a 1x1 head (tinygrad)
  loss_terms, detection_loss, make_train_step   the training objective and its step (tinygrad)
  decode            one image's grid output -> scored boxes above a threshold
  nms               greedy non-maximum suppression, per class
  match_detections, average_precision, mean_average_precision   mAP@0.5, all-point interpolated
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from tinygrad import Context, Tensor, TinyJit, nn
from tinygrad.nn.optim import Optimizer

IGNORE = -100   # class_map value of cells without an object (PyTorch's ignore_index)


def _boxes(boxes, name: str = "boxes") -> np.ndarray:
    """Validate and convert to float64 (K, 4); raise ValueError for a wrong shape or x2 < x1, y2 < y1."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        b = b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (K, 4), got {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError(f"{name} must be finite")
    if (b[:, 2] < b[:, 0]).any() or (b[:, 3] < b[:, 1]).any():
        raise ValueError(f"{name} need x1 <= x2 and y1 <= y2")
    return b


def box_iou(a, b) -> np.ndarray:
    """Pairwise intersection over union of boxes a (N, 4) and b (M, 4): float64 (N, M).

    IoU(p, q) = |p n q| / |p u q| with |p| = (x2 - x1)(y2 - y1) and the intersection
    max(0, min(x2) - max(x1)) * max(0, min(y2) - max(y1)); continuous coordinates (see the module
    docstring): touching boxes give 0, identical boxes of positive area give 1, and a pair whose
    union is empty (two zero-area boxes) gives 0. N or M may be 0 (an empty (N, M) result).
    Raises ValueError unless both are (K, 4) arrays of finite numbers with x1 <= x2, y1 <= y2.
    """
    a, b = _boxes(a, "a"), _boxes(b, "b")
    ### BEGIN SOLUTION
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    ### END SOLUTION


def nms(boxes, scores, classes, iou_threshold: float = 0.5) -> np.ndarray:
    """Greedy non-maximum suppression per class: int64 indices of the kept boxes, best first.

    Visit the boxes by descending score (equal scores: lower index first). A box is kept unless a
    box already kept *of the same class* overlaps it with IoU strictly greater than
    `iou_threshold`; boxes of different classes never suppress each other. The result lists the
    kept indices in the visiting order. boxes (K, 4), scores (K,), classes (K,) integers; K may be
    0 (an empty result). Raises ValueError for mismatched lengths, invalid boxes or a threshold
    outside [0, 1].
    """
    boxes = _boxes(boxes)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    classes = np.asarray(classes).reshape(-1)
    if not len(boxes) == len(scores) == len(classes):
        raise ValueError(f"boxes, scores and classes differ in length: {len(boxes)}, {len(scores)}, {len(classes)}")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    ### BEGIN SOLUTION
    order = np.argsort(-scores, kind="stable")
    iou = box_iou(boxes, boxes)
    keep: list[int] = []
    suppressed = np.zeros(len(boxes), dtype=bool)
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed |= (iou[i] > iou_threshold) & (classes == classes[i])
    return np.array(keep, dtype=np.int64)
    ### END SOLUTION


def encode_targets(boxes, classes, grid: int, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth of one image -> (target float32 (S, S, 5), class_map int64 (S, S)), S = grid.

    The cell of size c = image_size / S containing the box centre (cx, cy) is responsible:
    row = floor(cy / c), column = floor(cx / c), clipped to S - 1 (a centre on the image's far
    edge belongs to the last cell). That cell gets
        target[row, col] = [1, cx / c - col, cy / c - row, sqrt(w / image_size), sqrt(h / image_size)]
    and class_map[row, col] = its class; every other cell has target 0 and class_map IGNORE (-100).
    boxes (K, 4) inside [0, image_size], classes (K,) integers >= 0; K = 0 gives an empty grid.
    Raises ValueError for invalid boxes, a box outside the image, mismatched lengths, a negative
    class, or two boxes whose centres fall into the same cell (one object per cell).
    """
    boxes = _boxes(boxes)
    classes = np.asarray(classes).reshape(-1)
    if len(classes) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(classes)} classes")
    if boxes.size and (boxes.min() < 0 or boxes.max() > image_size):
        raise ValueError(f"boxes must lie inside [0, {image_size}]")
    if classes.size and classes.min() < 0:
        raise ValueError("classes must be >= 0")
    ### BEGIN SOLUTION
    cell = image_size / grid
    target = np.zeros((grid, grid, 5), dtype=np.float32)
    class_map = np.full((grid, grid), IGNORE, dtype=np.int64)
    for (x1, y1, x2, y2), k in zip(boxes, classes):
        cx, cy = (x1 + x2) / 2 / cell, (y1 + y2) / 2 / cell
        row, col = min(int(cy), grid - 1), min(int(cx), grid - 1)
        if target[row, col, 0]:
            raise ValueError(f"two boxes have their centre in cell ({row}, {col})")
        target[row, col] = [1.0, cx - col, cy - row, np.sqrt((x2 - x1) / image_size), np.sqrt((y2 - y1) / image_size)]
        class_map[row, col] = k
    return target, class_map
    ### END SOLUTION


class TinyYolo:
    """A small fully convolutional detector: len(channels) blocks and a 1x1 head.

    Block k: nn.Conv2d(c_{k-1}, c_k, 3, padding=1) -> nn.BatchNorm(c_k) -> ReLU -> 2x2 max-pool,
    stored in the lists `self.convs` and `self.norms` (c_0 = 1, a grey-scale input). The head
    `self.head = nn.Conv2d(c_last, 5 + n_classes, 1)` maps every cell's features to its 5 + C
    outputs. An input of (N, 1, H, W) gives (N, H / 2^B, W / 2^B, 5 + n_classes) for B blocks:
    the grid axes first, the per-cell outputs last (the layout of `encode_targets`).
    Raises ValueError for no blocks, a non-positive channel count or n_classes < 1.
    """

    def __init__(self, channels: Sequence[int] = (8, 16, 32, 32), n_classes: int = 10):
        if len(channels) < 1 or any(int(c) < 1 for c in channels) or n_classes < 1:
            raise ValueError(f"need at least one positive channel count and n_classes >= 1, got {tuple(channels)}, {n_classes}")
        self.channels, self.n_classes = tuple(int(c) for c in channels), int(n_classes)
        ### BEGIN SOLUTION
        widths = (1, *self.channels)
        self.convs = [nn.Conv2d(widths[k], widths[k + 1], 3, padding=1) for k in range(len(self.channels))]
        self.norms = [nn.BatchNorm(c) for c in self.channels]
        self.head = nn.Conv2d(widths[-1], 5 + self.n_classes, 1)
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        """Raw outputs (N, S, S, 5 + n_classes) for images x (N, 1, H, W) float32 (no activation
        applied: objectness and classes are logits). BatchNorm follows Context(TRAINING)."""
        ### BEGIN SOLUTION
        for conv, norm in zip(self.convs, self.norms):
            x = norm(conv(x)).relu().max_pool2d(2)
        return self.head(x).permute(0, 2, 3, 1)
        ### END SOLUTION


def loss_terms(pred: Tensor, target: Tensor, class_map: Tensor, lambda_noobj: float = 0.5) -> tuple[Tensor, Tensor, Tensor]:
    """The three parts of the detection loss, each summed over cells and averaged over images.

    pred (N, S, S, 5 + C) raw outputs, target (N, S, S, 5) from `encode_targets`, class_map
    (N, S, S) integers with IGNORE (-100) at cells without an object. With t = target[..., 0]:
        objectness = (1/N) sum_cells (t + lambda_noobj (1 - t)) * BCE(sigmoid(pred[..., 0]), t)
        box        = (1/N) sum_cells t * sum_{j=1..4} (pred[..., j] - target[..., j])^2
        cls        = (1/N) sum_cells t * CE(softmax(pred[..., 5:]), class_map)
    Objectness counts on every cell (empty ones down-weighted by lambda_noobj); box and class only on
    responsible cells. BCE from logits in a stable form (no log(0)). Returns three scalar Tensors.
    """
    ### BEGIN SOLUTION
    n = pred.shape[0]
    t = target[..., 0]
    bce = pred[..., 0].binary_crossentropy_logits(t, reduction="none")
    objectness = ((t + lambda_noobj * (1 - t)) * bce).sum() / n
    box = (t.unsqueeze(-1) * (pred[..., 1:5] - target[..., 1:5]).square()).sum() / n
    cls = pred[..., 5:].sparse_categorical_crossentropy(class_map, ignore_index=IGNORE, reduction="sum") / n
    return objectness, box, cls
    ### END SOLUTION


def detection_loss(pred: Tensor, target: Tensor, class_map: Tensor,
                   lambda_coord: float = 5.0, lambda_noobj: float = 0.5) -> Tensor:
    """objectness + lambda_coord * box + cls of `loss_terms` (scalar Tensor). lambda_coord > 1
    stresses localisation, lambda_noobj < 1 keeps the many empty cells from drowning the few full ones."""
    ### BEGIN SOLUTION
    objectness, box, cls = loss_terms(pred, target, class_map, lambda_noobj)
    return objectness + lambda_coord * box + cls
    ### END SOLUTION


def make_train_step(model: TinyYolo, optimizer: Optimizer, lambda_coord: float = 5.0,
                    lambda_noobj: float = 0.5) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
    """A TinyJit `step(x, target, class_map) -> loss` under Context(TRAINING=1): zero the
    gradients, `detection_loss(model(x), ...)`, backward, one optimizer update (built over
    `nn.state.get_parameters(model)`, so BatchNorm's running statistics are realized too); returns
    the realized loss before the update. Inputs keep one shape on every call."""
    ### BEGIN SOLUTION
    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, target: Tensor, class_map: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = detection_loss(model(x), target, class_map, lambda_coord, lambda_noobj).backward()
        return loss.realize(*optimizer.schedule_step())
    return step
    ### END SOLUTION


def decode(output, image_size: int, score_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's raw output (S, S, 5 + C) -> (boxes float64 (K, 4), scores float64 (K,), classes int64 (K,)).

    Per cell (row, col), with cell size c = image_size / S and o = output[row, col]:
        class = argmax(o[5:]) (first on ties), score = sigmoid(o[0]) * softmax(o[5:])[class]
        centre = ((col + o[1]) c, (row + o[2]) c), size = (o[3]^2 image_size, o[4]^2 image_size)
    and the box (centre - size / 2, centre + size / 2) clipped to [0, image_size]. The inverse of
    `encode_targets` for a confident output. Cells with score > score_threshold (strictly) are
    returned in row-major order (row, then column). Raises ValueError unless output is (S, S, 6+)
    with a square grid.
    """
    out = np.asarray(output, dtype=np.float64)
    if out.ndim != 3 or out.shape[0] != out.shape[1] or out.shape[2] < 6:
        raise ValueError(f"output must have shape (S, S, 5 + C) with C >= 1, got {out.shape}")
    ### BEGIN SOLUTION
    grid = out.shape[0]
    cell = image_size / grid
    logits = out[..., 5:] - out[..., 5:].max(axis=-1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    classes = probs.argmax(axis=-1)
    scores = 1.0 / (1.0 + np.exp(-out[..., 0])) * probs.max(axis=-1)
    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    cx, cy = (cols + out[..., 1]) * cell, (rows + out[..., 2]) * cell
    w, h = out[..., 3] ** 2 * image_size, out[..., 4] ** 2 * image_size
    boxes = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1), 0, image_size)
    keep = scores > score_threshold
    return boxes[keep].reshape(-1, 4), scores[keep], classes[keep].astype(np.int64)
    ### END SOLUTION


def match_detections(boxes, scores, gt_boxes, iou_threshold: float = 0.5) -> np.ndarray:
    """Which detections of one class in one image are true positives: bool (K,), in input order.

    Visit detections by descending score (equal scores: lower index first). Each one takes the ground
    truth box it overlaps most (highest IoU, the first on ties); it is a true positive when that IoU
    is >= iou_threshold and that ground truth is not yet taken (it then becomes taken), otherwise a
    false positive: a second detection of an object already found is a duplicate, so a false positive.
    gt_boxes (G, 4) may be empty (every detection is false). Raises ValueError for mismatched
    lengths or invalid boxes.
    """
    boxes, gt_boxes = _boxes(boxes), _boxes(gt_boxes, "gt_boxes")
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores")
    ### BEGIN SOLUTION
    tp = np.zeros(len(boxes), dtype=bool)
    if len(gt_boxes) == 0:
        return tp
    iou = box_iou(boxes, gt_boxes)
    taken = np.zeros(len(gt_boxes), dtype=bool)
    for i in np.argsort(-scores, kind="stable"):
        j = int(iou[i].argmax())
        if iou[i, j] >= iou_threshold and not taken[j]:
            tp[i], taken[j] = True, True
    return tp
    ### END SOLUTION


def average_precision(scores, is_tp, n_gt: int) -> float:
    """All-point interpolated average precision of a ranked list of detections (VOC 2010+).

    Rank by descending score (equal scores keep their input order). After the k-th detection,
    precision p_k = TP_k / k and recall r_k = TP_k / n_gt. Interpolate: p_interp(r) = max of p_k over
    every k with r_k >= r. Then AP = sum over k of (r_k - r_{k-1}) * p_interp(r_k) with r_0 = 0: the
    area under the interpolated precision-recall curve at every recall level reached (not at 11 fixed
    levels). No detections give 0. Returns a Python float in [0, 1]. Raises ValueError when n_gt < 1,
    scores and is_tp differ in length, or there are more true positives than ground truths.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    is_tp = np.asarray(is_tp, dtype=bool).reshape(-1)
    if len(scores) != len(is_tp):
        raise ValueError(f"{len(scores)} scores but {len(is_tp)} true-positive flags")
    if n_gt < 1 or is_tp.sum() > n_gt:
        raise ValueError(f"need n_gt >= 1 and at most n_gt true positives, got n_gt={n_gt}, {is_tp.sum()} true")
    ### BEGIN SOLUTION
    if len(scores) == 0:
        return 0.0
    hits = is_tp[np.argsort(-scores, kind="stable")]
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / n_gt
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float((steps * envelope).sum())
    ### END SOLUTION


def mean_average_precision(detections, ground_truth, n_classes: int,
                           iou_threshold: float = 0.5) -> tuple[float, np.ndarray]:
    """mAP at one IoU threshold over a set of images: (mAP, per-class AP float64 (n_classes,)).

    detections[i] = (boxes (K, 4), scores (K,), classes (K,)) and ground_truth[i] = (boxes (G, 4),
    classes (G,)) for image i. For each class: match every image's detections of that class against
    its ground truths of that class (`match_detections`), pool the detections of all images (ranked by
    score; ties in image order, then detection order) and take `average_precision` with n_gt = that
    class's ground truths in all images. A class without ground truth gets NaN and is left out of the
    mean. Raises ValueError when the two lists differ in length or no class has a ground truth.
    """
    if len(detections) != len(ground_truth):
        raise ValueError(f"{len(detections)} images of detections but {len(ground_truth)} of ground truth")
    ### BEGIN SOLUTION
    ap = np.full(n_classes, np.nan)
    for k in range(n_classes):
        scores, flags, n_gt = [], [], 0
        for (boxes, s, c), (gt, gc) in zip(detections, ground_truth):
            mine, theirs = np.asarray(c).reshape(-1) == k, np.asarray(gc).reshape(-1) == k
            boxes, gt = _boxes(boxes), _boxes(gt, "gt_boxes")
            s = np.asarray(s, dtype=np.float64).reshape(-1)
            flags.append(match_detections(boxes[mine], s[mine], gt[theirs], iou_threshold))
            scores.append(s[mine])
            n_gt += int(theirs.sum())
        if n_gt:
            ap[k] = average_precision(np.concatenate(scores), np.concatenate(flags), n_gt)
    if np.isnan(ap).all():
        raise ValueError("no class has a ground truth box")
    return float(np.nanmean(ap)), ap
    ### END SOLUTION
