"""Mutants and alternatives for Exercise 6.6 (YOLO-style detector)."""
from grader.mutants import Edit

IOU_SIDES = """    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])"""
IOU_RETURN = "    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)"
NMS_ORDER = "    order = np.argsort(-scores, kind=\"stable\")"
NMS_SUPPRESS = "        suppressed |= (iou[i] > iou_threshold) & (classes == classes[i])"
OBJECTNESS = "    objectness = ((t + lambda_noobj * (1 - t)) * bce).sum() / n"
CLASS_TERM = "    cls = pred[..., 5:].sparse_categorical_crossentropy(class_map, ignore_index=IGNORE, reduction=\"sum\") / n"
AP_TAIL = """    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float((steps * envelope).sum())"""

MUTANTS = [
    Edit("IoU with the +1 pixel convention (touching boxes overlap)", find=IOU_SIDES,
         replace="""    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]) + 1
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]) + 1""",
         then=Edit("areas with + 1", find="""    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])""",
                   replace="""    area_a = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
    area_b = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)""")),
    Edit("IoU divides by an empty union (NaN for two zero-area boxes)", find=IOU_RETURN,
         replace="    with np.errstate(invalid=\"ignore\", divide=\"ignore\"):\n        return inter / union"),
    Edit("IoU without clipping negative overlaps (disjoint boxes can overlap 'negatively')",
         find="    inter = np.clip(w, 0, None) * np.clip(h, 0, None)", replace="    inter = w * h"),
    Edit("NMS suppresses across classes", find=NMS_SUPPRESS,
         replace="        suppressed |= iou[i] > iou_threshold"),
    Edit("NMS suppresses at IoU equal to the threshold", find=NMS_SUPPRESS,
         replace="        suppressed |= (iou[i] >= iou_threshold) & (classes == classes[i])"),
    Edit("NMS lets suppressed boxes suppress others", find="""        if suppressed[i]:
            continue
        keep.append(int(i))""", replace="""        if not suppressed[i]:
            keep.append(int(i))"""),
    Edit("NMS compares every box with the best box only (keeps overlapping boxes of the same class)",
         find=NMS_SUPPRESS, replace="        suppressed |= (iou[order[0]] > iou_threshold) & (classes == classes[order[0]])"),
    Edit("NMS ranks ties by the later index (reversed ascending sort)", find=NMS_ORDER,
         replace="    order = np.argsort(scores, kind=\"stable\")[::-1]"),
    Edit("encode: row and column swapped",
         find="        row, col = min(int(cy), grid - 1), min(int(cx), grid - 1)",
         replace="        col, row = min(int(cy), grid - 1), min(int(cx), grid - 1)"),
    Edit("encode: raw sizes instead of their square roots",
         find="np.sqrt((x2 - x1) / image_size), np.sqrt((y2 - y1) / image_size)]",
         replace="(x2 - x1) / image_size, (y2 - y1) / image_size]"),
    Edit("encode: empty cells get class 0 instead of the ignore value",
         find="    class_map = np.full((grid, grid), IGNORE, dtype=np.int64)",
         replace="    class_map = np.zeros((grid, grid), dtype=np.int64)"),
    Edit("encode: a centre on the far edge is not clipped into the last cell",
         find="        row, col = min(int(cy), grid - 1), min(int(cx), grid - 1)",
         replace="        row, col = int(cy), int(cx)"),
    Edit("decode: the score is the objectness alone",
         find="    scores = 1.0 / (1.0 + np.exp(-out[..., 0])) * probs.max(axis=-1)",
         replace="    scores = 1.0 / (1.0 + np.exp(-out[..., 0]))"),
    Edit("decode: boxes not clipped to the image",
         find="    boxes = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1), 0, image_size)",
         replace="    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)"),
    Edit("decode: keeps scores equal to the threshold", find="    keep = scores > score_threshold",
         replace="    keep = scores >= score_threshold"),
    Edit("loss: objectness only on responsible cells", find=OBJECTNESS,
         replace="    objectness = (t * bce).sum() / n"),
    Edit("loss: lambda_noobj weighs every cell", find=OBJECTNESS,
         replace="    objectness = (lambda_noobj * bce).sum() / n"),
    Edit("loss: BCE as log(sigmoid) (infinite for a saturated wrong logit)",
         find="    bce = pred[..., 0].binary_crossentropy_logits(t, reduction=\"none\")",
         replace="    p = pred[..., 0].sigmoid()\n    bce = -(t * p.log() + (1 - t) * (1 - p).log())"),
    Edit("loss: box error on every cell", find="    box = (t.unsqueeze(-1) * (pred[..., 1:5] - target[..., 1:5]).square()).sum() / n",
         replace="    box = (pred[..., 1:5] - target[..., 1:5]).square().sum() / n"),
    Edit("loss: class term averaged over the responsible cells", find=CLASS_TERM,
         replace="    cls = pred[..., 5:].sparse_categorical_crossentropy(class_map, ignore_index=IGNORE)"),
    Edit("loss: class term with the default ignore_index (-1): empty cells count in the mean", find=CLASS_TERM,
         replace="    cls = pred[..., 5:].sparse_categorical_crossentropy(class_map)"),
    Edit("loss: lambda_coord on the objectness term instead of the box term",
         find="    return objectness + lambda_coord * box + cls", replace="    return lambda_coord * objectness + box + cls"),
    Edit("network: ReLU before BatchNorm", find="            x = norm(conv(x)).relu().max_pool2d(2)",
         replace="            x = norm(conv(x).relu()).max_pool2d(2)"),
    Edit("network: output laid out (N, S_x, S_y, 5 + C)", find="        return self.head(x).permute(0, 2, 3, 1)",
         replace="        return self.head(x).permute(0, 3, 2, 1)"),
    Edit("step without Context(TRAINING=1)", find="    @TinyJit\n    @Context(TRAINING=1)\n", replace="    @TinyJit\n"),
    Edit("match: a ground truth can be matched twice",
         find="        if iou[i, j] >= iou_threshold and not taken[j]:", replace="        if iou[i, j] >= iou_threshold:"),
    Edit("match: IoU must exceed the threshold (0.5 exactly misses)",
         find="        if iou[i, j] >= iou_threshold and not taken[j]:", replace="        if iou[i, j] > iou_threshold and not taken[j]:"),
    Edit("match: detections visited in input order, not by score",
         find="    for i in np.argsort(-scores, kind=\"stable\"):\n        j = int(iou[i].argmax())",
         replace="    for i in range(len(boxes)):\n        j = int(iou[i].argmax())"),
    Edit("match: ties ranked by an unstable sort (equal scores in no fixed order)",
         find="    for i in np.argsort(-scores, kind=\"stable\"):\n        j = int(iou[i].argmax())",
         replace="    for i in np.argsort(-scores):\n        j = int(iou[i].argmax())"),
    Edit("match: a detection falls back to its best ground truth not yet taken",
         find="        j = int(iou[i].argmax())\n        if iou[i, j] >= iou_threshold and not taken[j]:",
         replace="        j = int(np.where(taken, -1.0, iou[i]).argmax())\n"
                 "        if iou[i, j] >= iou_threshold and not taken[j]:"),
    Edit("step without zero_grad (stale gradients accumulate)", find="        optimizer.zero_grad()\n", replace=""),
    Edit("encode and decode with an integer cell size (image_size // grid)",
         find="    cell = image_size / grid\n    target = np.zeros",
         replace="    cell = image_size // grid\n    target = np.zeros",
         then=Edit("decode too", find="    cell = image_size / grid\n    logits",
                   replace="    cell = image_size // grid\n    logits")),
    Edit("AP: 11-point interpolation (VOC 2007)", find=AP_TAIL,
         replace="""    levels = np.linspace(0, 1, 11)
    return float(np.mean([precision[recall >= r].max() if (recall >= r).any() else 0.0 for r in levels]))"""),
    Edit("AP: no interpolation (raw precision at each recall step)", find=AP_TAIL,
         replace="""    steps = np.diff(np.concatenate([[0.0], recall]))
    return float((steps * precision).sum())"""),
    Edit("AP: precision envelope taken from the left (running maximum from the top rank)",
         find="    envelope = np.maximum.accumulate(precision[::-1])[::-1]",
         replace="    envelope = np.maximum.accumulate(precision)"),
    Edit("mAP: classes without ground truth count as 0",
         find="    return float(np.nanmean(ap)), ap", replace="    return float(np.nan_to_num(ap).mean()), np.nan_to_num(ap)"),
    Edit("encode: a centre on a cell border goes to the cell before it (ceil - 1)",
         find="        row, col = min(int(cy), grid - 1), min(int(cx), grid - 1)",
         replace="        row, col = max(int(np.ceil(cy)) - 1, 0), max(int(np.ceil(cx)) - 1, 0)"),
    Edit("mAP: images without detections of a class skipped (their ground truths not counted)",
         find="            flags.append(match_detections(",
         replace="            if not mine.any():\n                continue\n"
                 "            flags.append(match_detections("),
    Edit("AP: recall steps start at the first recall, not at r_0 = 0",
         find="    steps = np.diff(np.concatenate([[0.0], recall]))",
         replace="    steps = np.diff(recall, prepend=recall[0])"),
    Edit("decode: softmax without subtracting the max (NaN for large logits)",
         find="    logits = out[..., 5:] - out[..., 5:].max(axis=-1, keepdims=True)",
         replace="    logits = out[..., 5:]"),
    Edit("decode: tied top classes resolved to the last one",
         find="    classes = probs.argmax(axis=-1)",
         replace="    classes = probs.shape[-1] - 1 - probs[..., ::-1].argmax(axis=-1)"),
    Edit("decode: kept boxes collected in a list without reshape (shape (0,) when nothing passes)",
         find="    return boxes[keep].reshape(-1, 4), scores[keep], classes[keep].astype(np.int64)",
         replace="    kept = [boxes[r, c] for r in range(grid) for c in range(grid) if keep[r, c]]\n"
                 "    return np.array(kept), scores[keep], classes[keep].astype(np.int64)"),
    Edit("decode: computed in float32 (float32 boxes and scores)", find="    grid = out.shape[0]\n",
         replace="    grid = out.shape[0]\n    out = out.astype(np.float32)\n"),
    Edit("encode: class_map of int32", find="    class_map = np.full((grid, grid), IGNORE, dtype=np.int64)",
         replace="    class_map = np.full((grid, grid), IGNORE, dtype=np.int32)"),
    Edit("encode: offsets as the fractional part (1.0 on the far edge becomes 0)",
         find="        target[row, col] = [1.0, cx - col, cy - row,",
         replace="        target[row, col] = [1.0, cx % 1.0, cy % 1.0,"),
    Edit("network: max-pool before BatchNorm (batch statistics of the pooled map)",
         find="            x = norm(conv(x)).relu().max_pool2d(2)",
         replace="            x = norm(conv(x).max_pool2d(2)).relu()"),
    Edit("match: flags in a float array of 0 and 1 instead of bool", find="    tp = np.zeros(len(boxes), dtype=bool)",
         replace="    tp = np.zeros(len(boxes))"),
    Edit("loss: detection_loss leaves lambda_noobj at loss_terms' default",
         find="    objectness, box, cls = loss_terms(pred, target, class_map, lambda_noobj)",
         replace="    objectness, box, cls = loss_terms(pred, target, class_map)"),
    Edit("AP: ranking by the default (unstable) argsort",
         find="    hits = is_tp[np.argsort(-scores, kind=\"stable\")]",
         replace="    hits = is_tp[np.argsort(-scores)]"),
]

ALTERNATIVES = [
    Edit("IoU with Python loops", find="""    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
""" + IOU_SIDES + """
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
""" + IOU_RETURN, replace="""    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            inter = max(0.0, min(p[2], q[2]) - max(p[0], q[0])) * max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
            out[i, j] = inter / union if union > 0 else 0.0
    return out"""),
    Edit("NMS that removes suppressed boxes from a work list, one class at a time",
         find="""    order = np.argsort(-scores, kind="stable")
    iou = box_iou(boxes, boxes)
    keep: list[int] = []
    suppressed = np.zeros(len(boxes), dtype=bool)
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed |= (iou[i] > iou_threshold) & (classes == classes[i])
    return np.array(keep, dtype=np.int64)""",
         replace="""    kept = []
    for k in np.unique(classes):
        todo = sorted(np.flatnonzero(classes == k), key=lambda i: (-scores[i], i))
        while todo:
            best, todo = todo[0], todo[1:]
            kept.append(best)
            todo = [i for i in todo if box_iou(boxes[[best]], boxes[[i]])[0, 0] <= iou_threshold]
    return np.array(sorted(kept, key=lambda i: (-scores[i], i)), dtype=np.int64)"""),
    Edit("AP in the VOC development kit's form (padded recall and precision)", find=AP_TAIL,
         replace="""    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for k in range(len(mpre) - 2, -1, -1):
        mpre[k] = max(mpre[k], mpre[k + 1])
    changes = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(((mrec[changes + 1] - mrec[changes]) * mpre[changes + 1]).sum())"""),
    Edit("loss with BCE and cross-entropy written from log-sigmoid and log-softmax",
         find="    bce = pred[..., 0].binary_crossentropy_logits(t, reduction=\"none\")",
         replace="    bce = -(t * pred[..., 0].logsigmoid() + (1 - t) * (-pred[..., 0]).logsigmoid())",
         then=Edit("class term by a one-hot mask", find=CLASS_TERM,
                   replace="""    onehot = class_map.maximum(0).one_hot(pred.shape[-1] - 5)
    cls = -(t.unsqueeze(-1) * onehot * pred[..., 5:].log_softmax(-1)).sum() / n""")),
    Edit("decode with a loop over the cells", find="""    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    cx, cy = (cols + out[..., 1]) * cell, (rows + out[..., 2]) * cell
    w, h = out[..., 3] ** 2 * image_size, out[..., 4] ** 2 * image_size
    boxes = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1), 0, image_size)
    keep = scores > score_threshold
    return boxes[keep].reshape(-1, 4), scores[keep], classes[keep].astype(np.int64)""",
         replace="""    found = []
    for row in range(grid):
        for col in range(grid):
            if scores[row, col] > score_threshold:
                o = out[row, col]
                cx, cy, w, h = (col + o[1]) * cell, (row + o[2]) * cell, o[3] ** 2 * image_size, o[4] ** 2 * image_size
                box = [min(max(v, 0.0), image_size) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)]
                found.append((box, scores[row, col], int(classes[row, col])))
    return (np.array([f[0] for f in found], dtype=np.float64).reshape(-1, 4),
            np.array([f[1] for f in found], dtype=np.float64), np.array([f[2] for f in found], dtype=np.int64))"""),
    Edit("decode with log-sum-exp scores and explicit floor-clip cells in encode",
         find="""\
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    classes = probs.argmax(axis=-1)
    scores = 1.0 / (1.0 + np.exp(-out[..., 0])) * probs.max(axis=-1)""", replace="""\
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    classes = np.argmax(log_probs, axis=-1)
    top = np.take_along_axis(log_probs, classes[..., None], -1)[..., 0]
    scores = np.exp(top - np.logaddexp(0.0, -out[..., 0]))""",
         then=Edit("cells by floor and clip", find="        row, col = min(int(cy), grid - 1), min(int(cx), grid - 1)",
                   replace="        row, col = (int(np.clip(np.floor(v), 0, grid - 1)) for v in (cy, cx))")),
    Edit("AP with a loop over the ranks", find=AP_TAIL, replace="""    ap, best_after = 0.0, 0.0
    for k in range(len(hits) - 1, -1, -1):
        best_after = max(best_after, precision[k])
        ap += (recall[k] - (recall[k - 1] if k else 0.0)) * best_after
    return float(ap)"""),
]
