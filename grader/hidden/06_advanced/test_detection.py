"""Hidden checks for Exercise 6.6: box geometry, NMS, grid encoding and decoding, the loss and mAP
against NumPy oracles written here and in the milestone (`grader.milestones.digit_detection`, the
code that scores the trained detector), on seeded random inputs and hand-worked edge cases."""
import numpy as np
from tinygrad import Tensor, nn
from tinygrad.nn.optim import SGD

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import conv2d
from grader.milestones.digit_detection import all_point_ap, iou, mean_ap, ranked_hits
from grader.target import exercise

mine = exercise("6.6")

GRID, SIZE, C = 4, 64, 3          # one output shape for every tinygrad call: kernels compile once
CELL = SIZE / GRID


def _iou_matrix(a, b) -> np.ndarray:
    return np.array([[iou(p, q) for q in b] for p in a], dtype=np.float64).reshape(len(a), len(b))


def _random_boxes(rng, n: int, span: int = 12, integer: bool = True) -> np.ndarray:
    """Boxes on a small integer lattice: touching, nested and identical boxes are frequent."""
    x1, y1 = rng.integers(0, span, n), rng.integers(0, span, n)
    w, h = rng.integers(0, 6, n), rng.integers(0, 6, n)
    boxes = np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(np.float64)
    return boxes if integer else boxes + rng.random((n, 1)) * 0.5


# ------------------------------------------------------------------ IoU

def test_box_iou_matches_the_oracle_on_touching_identical_and_empty_boxes():
    rng = np.random.default_rng(61)
    a, b = _random_boxes(rng, 14), _random_boxes(rng, 11, integer=False)
    a[1], a[2] = [2, 2, 5, 4], [5, 2, 8, 4]              # touching along x = 5
    a[3] = a[4] = [1, 1, 1, 6]                            # two zero-area boxes on top of each other
    got = mine.box_iou(a, b)
    assert_matches(got, _iou_matrix(a, b), rtol=1e-9, atol=1e-12,
                   what="box_iou of 14 and 11 boxes (touching, nested, identical, zero-area)")
    assert_matches(mine.box_iou(a, a), _iou_matrix(a, a), rtol=1e-9, atol=1e-12,
                   what="box_iou(a, a): touching pairs 0, identical pairs 1, zero-area pairs 0")
    assert_matches(mine.box_iou(a[:0], b), np.zeros((0, 11)), what="box_iou of 0 and 11 boxes")
    assert_matches(mine.box_iou(a[:3].astype(np.int32), b[:2].tolist()), _iou_matrix(a[:3], b[:2]), rtol=1e-9,
                   what="box_iou of int32 and list inputs (float64 out)")
    assert_raises(ValueError, mine.box_iou, [[3, 0, 1, 2]], b, what="box_iou with x2 < x1")
    assert_raises(ValueError, mine.box_iou, np.zeros((2, 3)), b, what="box_iou of a (2, 3) array")


# ------------------------------------------------------------------ NMS

def _nms(boxes, scores, classes, threshold):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        if all(classes[j] != classes[i] or iou(boxes[j], boxes[i]) <= threshold for j in keep):
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def test_nms_matches_greedy_per_class_suppression():
    rng = np.random.default_rng(62)
    for trial in range(6):
        n = 24
        boxes = _random_boxes(rng, n, span=8)
        boxes[:, 2:] += 2                                 # no zero-area boxes: every box can suppress
        scores = np.round(rng.random(n), 1)               # many ties
        classes = rng.integers(0, 3, n)
        for threshold in (0.3, 0.5):
            got = mine.nms(boxes, scores, classes, iou_threshold=threshold)
            assert_matches(np.asarray(got), _nms(boxes, scores, classes, threshold),
                           what=f"nms of {n} boxes in 3 classes with tied scores, iou_threshold={threshold}")


def test_nms_edge_cases():
    box = [0.0, 0.0, 4.0, 2.0]
    half = [0.0, 0.0, 2.0, 4.0]                          # IoU exactly 4 / 12 = 1/3 with box; 0.5 below
    pair = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 1.0]])   # IoU exactly 0.5
    assert_matches(np.asarray(mine.nms(pair, [0.9, 0.8], [1, 1], iou_threshold=0.5)), np.array([0, 1]),
                   what="nms of two boxes with IoU exactly 0.5 at iou_threshold=0.5 (only > suppresses)")
    assert_matches(np.asarray(mine.nms(pair, [0.8, 0.9], [1, 1], iou_threshold=0.4)), np.array([1]),
                   what="nms of two boxes with IoU 0.5 at iou_threshold=0.4, the second scoring higher")
    same = np.array([box, box, box, half])
    assert_matches(np.asarray(mine.nms(same, [0.5, 0.5, 0.5, 0.5], [0, 2, 0, 0], iou_threshold=0.3)),
                   np.array([0, 1]),
                   what="nms of three identical boxes (classes 0, 2, 0) and an overlapping one, all scores equal")
    got = mine.nms(np.zeros((0, 4)), [], [])
    assert_matches(np.asarray(got), np.zeros(0, np.int64), what="nms of no boxes")
    assert_raises(ValueError, mine.nms, pair, [0.9], [1, 1], what="nms with 2 boxes and 1 score")


# ------------------------------------------------------------------ encoding and decoding

def _encode(boxes, classes):
    target, cmap = np.zeros((GRID, GRID, 5), np.float32), np.full((GRID, GRID), -100, np.int64)
    for (x1, y1, x2, y2), k in zip(boxes, classes):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        col, row = min(int(np.floor(cx / CELL)), GRID - 1), min(int(np.floor(cy / CELL)), GRID - 1)
        target[row, col] = [1, cx / CELL - col, cy / CELL - row, np.sqrt((x2 - x1) / SIZE), np.sqrt((y2 - y1) / SIZE)]
        cmap[row, col] = k
    return target, cmap


def _scene(rng, n: int):
    """n boxes inside the image whose centres lie in n distinct random cells."""
    cells = rng.choice(GRID * GRID, n, replace=False)
    rows, cols = cells // GRID, cells % GRID
    cx, cy = (cols + rng.random(n)) * CELL, (rows + rng.random(n)) * CELL
    w, h = rng.uniform(2, 30, n), rng.uniform(2, 30, n)
    w, h = np.minimum(w, 2 * np.minimum(cx, SIZE - cx)), np.minimum(h, 2 * np.minimum(cy, SIZE - cy))
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes, rng.integers(0, C, n)


def test_encode_targets_matches_the_oracle():
    rng = np.random.default_rng(63)
    for n in (1, 3, 6):
        boxes, classes = _scene(rng, n)
        target, cmap = mine.encode_targets(boxes, classes, GRID, SIZE)
        want_t, want_c = _encode(boxes, classes)
        assert_matches(np.asarray(target), want_t, rtol=1e-5, atol=1e-6,
                       what=f"encode_targets target for {n} boxes on a 4x4 grid of a 64-pixel image")
        assert_matches(np.asarray(cmap).astype(np.int64), want_c,
                       what=f"encode_targets class_map for {n} boxes (-100 at empty cells)")
    # centres exactly on a cell border (x = 16) and on the far edges (64): floor, then clip
    edges = np.array([[10.0, 40.0, 22.0, 48.0], [60.0, 56.0, 64.0, 64.0], [64.0, 0.0, 64.0, 2.0]])
    target, cmap = mine.encode_targets(edges, [2, 0, 1], GRID, SIZE)
    want_t, want_c = _encode(edges, [2, 0, 1])
    assert_matches(np.asarray(target), want_t, rtol=1e-5, atol=1e-6,
                   what="encode_targets with centres on a cell border and on the image's far edge")
    assert_matches(np.asarray(cmap), want_c, what="class_map with centres on borders and edges (int64 as documented)")
    target, cmap = mine.encode_targets(np.zeros((0, 4)), np.zeros(0, np.int64), GRID, SIZE)
    assert_matches(np.asarray(target), np.zeros((GRID, GRID, 5), np.float32), what="encode_targets of no boxes")
    assert_matches(np.asarray(cmap).astype(np.int64), np.full((GRID, GRID), -100), what="class_map of no boxes")
    assert_raises(ValueError, mine.encode_targets, [[1.0, 1.0, 9.0, 9.0], [2.0, 2.0, 8.0, 8.0]], [0, 1], GRID, SIZE,
                  what="encode_targets with two centres in one cell")
    assert_raises(ValueError, mine.encode_targets, [[50.0, 1.0, 70.0, 9.0]], [0], GRID, SIZE,
                  what="encode_targets with a box beyond the image")
    assert_raises(ValueError, mine.encode_targets, [[1.0, 1.0, 9.0, 9.0]], [0, 1], GRID, SIZE,
                  what="encode_targets with 1 box and 2 classes")


def _decode(out, threshold):
    boxes, scores, classes = [], [], []
    for row in range(GRID):
        for col in range(GRID):
            o = out[row, col]
            p = np.exp(o[5:] - o[5:].max())
            p /= p.sum()
            k = int(np.argmax(p))
            score = p[k] / (1 + np.exp(-o[0]))
            if score > threshold:
                cx, cy, w, h = (col + o[1]) * CELL, (row + o[2]) * CELL, o[3] ** 2 * SIZE, o[4] ** 2 * SIZE
                boxes.append(np.clip([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 0, SIZE))
                scores.append(score)
                classes.append(k)
    return np.array(boxes).reshape(-1, 4), np.array(scores), np.array(classes, dtype=np.int64)


def test_decode_matches_the_oracle_and_inverts_encode():
    rng = np.random.default_rng(64)
    out = rng.normal(0, 1.5, (GRID, GRID, 5 + C))
    out[..., 1:3] = rng.random((GRID, GRID, 2))
    out[..., 3:5] = rng.uniform(-0.9, 0.9, (GRID, GRID, 2))      # some boxes reach beyond the image
    out[0, 0, 0], out[0, 0, 5:] = 0.0, [0.0, -800.0, -800.0]       # score exactly 0.5
    for threshold in (0.2, 0.5):
        got = mine.decode(out, SIZE, score_threshold=threshold)
        want = _decode(out, threshold)
        for name, g, w in zip(("boxes", "scores", "classes"), got, want):
            assert_matches(np.asarray(g), w, rtol=1e-6, atol=1e-6, check_dtype=name == "classes",
                           what=f"decode(...)[{name}] of a random 4x4x8 output, score_threshold={threshold}")
    boxes, classes = _scene(rng, 5)
    target, cmap = mine.encode_targets(boxes, classes, GRID, SIZE)
    out = np.zeros((GRID, GRID, 5 + C))
    full = np.asarray(target)[..., 0] == 1
    out[..., 0] = np.where(full, 15.0, -15.0)
    out[..., 1:5] = np.asarray(target)[..., 1:5]
    out[..., 5:] = 15.0 * np.eye(C)[np.where(full, np.asarray(cmap), 0)]
    got_boxes, _, got_classes = mine.decode(out, SIZE, score_threshold=0.5)
    order = np.lexsort((boxes[:, 0], np.floor((boxes[:, 1] + boxes[:, 3]) / 2 / CELL) * GRID
                        + np.floor((boxes[:, 0] + boxes[:, 2]) / 2 / CELL)))
    assert_matches(np.asarray(got_boxes), boxes[order], rtol=1e-4, atol=1e-3,
                   what="decode(encode_targets(5 boxes)) boxes, in row-major cell order")
    assert_matches(np.asarray(got_classes), classes[order].astype(np.int64), what="decode(encode_targets(...)) classes")
    assert_raises(ValueError, mine.decode, np.zeros((4, 3, 8)), SIZE, what="decode of a (4, 3, 8) output")


def test_decode_large_and_tied_class_logits_and_an_empty_result():
    out = np.zeros((GRID, GRID, 5 + C))
    out[..., 0], out[..., 3:5] = 15.0, 0.3
    out[..., 5:] = [1000.0, 0.0, -5.0]            # softmax of large logits: exp overflows without a max shift
    out[0, 0, 5:] = [900.0, 900.0, 0.0]           # tied top classes: the first one
    out[1, 2, 5:] = [0.0, 2.0, 2.0]
    out[2, 1, 5:] = [-1000.0, -1000.0, -1001.0]
    got, want = mine.decode(out, SIZE, score_threshold=0.2), _decode(out, 0.2)
    for name, g, w in zip(("boxes", "scores", "classes"), got, want):
        assert_matches(np.asarray(g), w, rtol=1e-6, atol=1e-6,
                       what=f"decode(...)[{name}] with class logits of +-1000 and tied top classes "
                            "(stable softmax? argmax takes the first on ties? float64 boxes and scores?)")
    out[..., 0] = -15.0
    got = mine.decode(out, SIZE, score_threshold=0.5)
    for name, g, w in zip(("boxes", "scores", "classes"), got, (np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))):
        assert_matches(np.asarray(g), w, what=f"decode(...)[{name}] when no cell passes the threshold "
                                              "(shapes (0, 4), (0,), (0,) and dtypes as documented)")


def test_encode_and_decode_with_a_cell_size_that_is_not_a_whole_number():
    # 8 cells over 100 pixels: c = 12.5, not 100 // 8 = 12
    boxes = np.array([[40.0, 40.0, 60.0, 60.0], [80.0, 5.0, 99.0, 20.0]])
    target, cmap = mine.encode_targets(boxes, [0, 2], 8, 100)
    want = np.zeros((8, 8, 5), np.float32)
    want[4, 4] = [1, 0.0, 0.0, np.sqrt(0.2), np.sqrt(0.2)]
    want[1, 7] = [1, 89.5 / 12.5 - 7, 12.5 / 12.5 - 1, np.sqrt(0.19), np.sqrt(0.15)]
    assert_matches(np.asarray(target), want, rtol=1e-5, atol=1e-5,
                   what="encode_targets of 2 boxes on an 8x8 grid of a 100-pixel image "
                        "(cell size 12.5)")
    out = np.zeros((8, 8, 8))
    out[..., 0], out[..., 5:] = -15.0, [15.0, 0.0, 0.0]
    out[4, 4, :5], out[1, 7, :5] = [15.0, 0.3, 0.6, 0.4, 0.5], [15.0, 0.9, 0.2, 0.3, 0.3]
    got = mine.decode(out, 100, score_threshold=0.5)[0]
    cx, cy = np.array([4.3, 7.9]) * 12.5, np.array([4.6, 1.2]) * 12.5
    w, h = np.array([0.16, 0.09]) * 100, np.array([0.25, 0.09]) * 100
    want = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), 0, 100)[[1, 0]]
    assert_matches(np.asarray(got), want, rtol=1e-6, atol=1e-6,
                   what="decode boxes of an 8x8 output for a 100-pixel image (cell size 12.5)")


# ------------------------------------------------------------------ the loss

def _loss_terms(pred, target, cmap, lambda_noobj):
    n = len(pred)
    t, z = target[..., 0], pred[..., 0]
    bce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    obj = ((t + lambda_noobj * (1 - t)) * bce).sum() / n
    box = (t[..., None] * (pred[..., 1:5] - target[..., 1:5]) ** 2).sum() / n
    logits = pred[..., 5:]
    logp = logits - logits.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    picked = np.take_along_axis(logp, np.maximum(cmap, 0)[..., None], -1)[..., 0]
    cls = -(t * picked).sum() / n
    return obj, box, cls


def _batch(rng, n: int = 2):
    grids = [_encode(*_scene(rng, k)) for k in (2, 5)[:n]]          # the oracle: the loss faces no learner encoding
    target = np.stack([g[0] for g in grids])
    cmap = np.stack([g[1] for g in grids]).astype(np.int32)
    return target, cmap


def test_loss_terms_and_total_match_numpy():
    rng = np.random.default_rng(65)
    target, cmap = _batch(rng)
    pred = rng.normal(0, 2, (2, GRID, GRID, 5 + C)).astype(np.float32)
    pred[0, 0, 0, 0], pred[1, 3, 3, 0] = 120.0, -120.0              # saturated objectness logits
    target[0, 0, 0], cmap[0, 0, 0] = 0.0, -100                      # both are badly wrong
    target[1, 3, 3], cmap[1, 3, 3] = [1.0, 0.5, 0.5, 0.2, 0.2], 1
    args = Tensor(pred), Tensor(target), Tensor(cmap)
    got = mine.loss_terms(*args, lambda_noobj=0.25)
    if len(got) != 3 or not all(isinstance(g, Tensor) for g in got):
        raise Mismatch("loss_terms must return three scalar Tensors (objectness, box, class)")
    total = mine.detection_loss(*args, lambda_coord=3.0, lambda_noobj=0.25)
    Tensor.realize(*got, total)                                 # one schedule for the four: fewer compiles
    want = _loss_terms(pred.astype(np.float64), target.astype(np.float64), cmap, 0.25)
    for name, g, w in zip(("objectness", "box", "class"), got, want):
        assert_matches(np.array([g.item()]), np.array([w]), rtol=1e-4, atol=1e-4,
                       what=f"loss_terms {name} term (batch of 2 on a 4x4 grid, 7 objects, lambda_noobj=0.25)")
    assert_matches(np.array([total.item()]), np.array([want[0] + 3.0 * want[1] + want[2]]), rtol=1e-4, atol=1e-4,
                   what="detection_loss with lambda_coord=3, lambda_noobj=0.25: objectness + 3 * box + class")


# ------------------------------------------------------------------ the network and its step

def _np_forward(model, x, training: bool = False):
    """The network in float64 NumPy; BatchNorm with the batch's statistics when training."""
    h = x.astype(np.float64)
    for conv, norm in zip(model.convs, model.norms):
        w, b = conv.weight.numpy().astype(np.float64), conv.bias.numpy().astype(np.float64)
        z = conv2d(h, w, b, padding=1)
        mean, var = norm.running_mean.numpy(), norm.running_var.numpy()
        if training:
            mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
        z = (z - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
        z = z * norm.weight.numpy()[None, :, None, None] + norm.bias.numpy()[None, :, None, None]
        z = np.maximum(z, 0)
        n, c, hh, ww = z.shape
        h = z.reshape(n, c, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))
    w, b = model.head.weight.numpy()[:, :, 0, 0], model.head.bias.numpy()
    return np.einsum("nchw,oc->nhwo", h, w) + b


def _load(model, rng) -> None:
    """Fresh NumPy-made parameters and running statistics in every layer (no random kernels to compile)."""
    def put(layer, name, value):
        setattr(layer, name, Tensor(np.asarray(value, np.float32)).is_param_(not name.startswith("running")))
    for conv, norm in zip(model.convs, model.norms):
        put(conv, "weight", rng.normal(0, 0.4, conv.weight.shape))
        put(conv, "bias", rng.normal(0, 0.1, conv.bias.shape))
        c = norm.weight.shape
        put(norm, "weight", rng.uniform(0.5, 1.5, c) * (-1.0) ** np.arange(c[0]))  # < 0: pooling first differs
        put(norm, "bias", rng.normal(0, 0.3, c))
        put(norm, "running_mean", rng.normal(0, 0.2, c))
        put(norm, "running_var", rng.uniform(0.5, 2, c))
    put(model.head, "weight", rng.normal(0, 0.3, model.head.weight.shape))
    put(model.head, "bias", rng.normal(0, 0.1, model.head.bias.shape))


def test_tiny_yolo_forward_matches_numpy():
    rng = np.random.default_rng(66)
    model = mine.TinyYolo(channels=(3, 4), n_classes=C)
    _load(model, rng)
    x = rng.random((2, 1, 16, 16), dtype=np.float32)
    got = model(Tensor(x)).numpy()
    assert_matches(got, _np_forward(model, x).astype(np.float32), rtol=1e-4, atol=1e-4,
                   what="TinyYolo((3, 4), 3 classes) on (2, 1, 16, 16) in inference mode: (N, S, S, 5 + C) layout")
    assert_raises(ValueError, mine.TinyYolo, (), what="TinyYolo with no blocks")


def test_train_step_returns_the_loss_and_learns_its_batch():
    rng = np.random.default_rng(67)
    model = mine.TinyYolo(channels=(4,), n_classes=C)
    _load(model, rng)
    x = rng.random((2, 1, 8, 8), dtype=np.float32)
    target, cmap = _batch(rng)
    obj, box, cls = _loss_terms(_np_forward(model, x, training=True), target, cmap, 0.25)
    before = obj + 3.0 * box + cls
    running = model.norms[0].running_mean.numpy()
    twin = mine.TinyYolo(channels=(4,), n_classes=C)  # the same start without stale gradients
    _load(twin, np.random.default_rng(67))
    opts = [SGD(nn.state.get_parameters(m), lr=0.01) for m in (twin, model)]
    # realized weights, lr and inputs: every step after the first reuses its schedule (fewer compiles)
    batch = [Tensor(a).realize() for a in (x, target, cmap)]
    Tensor.realize(*[t for m in (twin, model) for t in nn.state.get_parameters(m)], *[o.lr for o in opts])
    twin_step = mine.make_train_step(twin, opts[0], lambda_coord=3.0, lambda_noobj=0.25)
    first = twin_step(*batch)
    if not isinstance(first, Tensor):
        raise Mismatch(f"the step returned {type(first).__name__}; expected the loss Tensor")
    assert_matches(np.array([first.item()]), np.array([before]), rtol=1e-4,
                   what="loss returned by the first step (detection_loss before the update, batch statistics, "
                        "lambda_coord=3, lambda_noobj=0.25)")
    fresh = [p.numpy() for p in nn.state.get_parameters(twin)]
    step = mine.make_train_step(model, opts[1], lambda_coord=3.0, lambda_noobj=0.25)
    for p in nn.state.get_parameters(model):      # stale gradients from an earlier backward: the step clears them
        p.grad = Tensor.full(p.shape, 0.5)
    losses = []
    for k in range(4):
        loss = step(*batch)
        if not isinstance(loss, Tensor):
            raise Mismatch(f"the step returned {type(loss).__name__}; expected the loss Tensor")
        losses.append(loss.item())
        if k == 0:
            for p, want in zip(nn.state.get_parameters(model), fresh):
                assert_matches(p.numpy(), want, rtol=1e-4, atol=1e-5,
                               what="parameters after one step from planted stale gradients of 0.5. "
                                    "The step zeroes the gradients first: p - lr * (fresh gradient)")
    if not losses[-1] < losses[0]:
        raise Mismatch("four SGD steps on one batch did not lower its detection loss")
    if np.allclose(model.norms[0].running_mean.numpy(), running):
        raise Mismatch("BatchNorm's running mean did not move: train under Context(TRAINING=1)")


# ------------------------------------------------------------------ matching and AP

def test_match_detections_fixtures_and_random():
    gt = np.array([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    boxes = np.array([[0.0, 0.0, 10.0, 5.0],      # IoU exactly 0.5 with gt 0: a hit
                      [0.0, 0.0, 10.0, 9.0],      # the same object again, lower score: duplicate
                      [20.0, 0.0, 30.0, 4.0],     # IoU 0.4 with gt 1: a miss
                      [21.0, 0.0, 30.0, 10.0]])   # gt 1: a hit
    got = mine.match_detections(boxes, [0.9, 0.8, 0.7, 0.6], gt)
    assert_matches(np.asarray(got), np.array([True, False, False, True]),
                   what="match_detections: IoU exactly 0.5, a duplicate, IoU 0.4, a second object (a bool array)")
    got = mine.match_detections(boxes[:2], [0.5, 0.5], gt[:1])
    assert_matches(np.asarray(got, dtype=bool), np.array([True, False]),
                   what="match_detections of two detections of one object with equal scores (index order)")
    # eleven scores whose unstable sort puts index 4 before 0: boxes 0 and 4 hit the one object
    tied = np.array([0.5, 0.3, 0.8, 0.3, 0.5, 0.1, 0.4, 0.2, 0.3, 0.8, 0.3])
    far = np.tile([50.0, 50.0, 60.0, 60.0], (11, 1))
    far[0] = far[4] = [0.0, 0.0, 10.0, 10.0]
    want = np.zeros(11, bool)
    want[0] = True
    got = mine.match_detections(far, tied, gt[:1])
    assert_matches(np.asarray(got, dtype=bool), want,
                   what="match_detections: 11 detections, boxes 0 and 4 on one object, "
                        "equal scores (the lower index ranks first)")
    two = np.array([[0.0, 0.0, 10.0, 10.0], [4.0, 0.0, 14.0, 10.0]])
    got = mine.match_detections([[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 11.0, 10.0]], [0.9, 0.8], two)
    assert_matches(np.asarray(got, dtype=bool), np.array([True, False]),
                   what="match_detections: the second detection's best ground truth is taken. "
                        "It is a false positive (no fallback to its second-best)")
    got = mine.match_detections(boxes, [0.9, 0.8, 0.7, 0.6], np.zeros((0, 4)))
    assert_matches(np.asarray(got, dtype=bool), np.zeros(4, bool), what="match_detections without ground truth")
    rng = np.random.default_rng(67)
    for _ in range(5):
        gt, boxes = _random_boxes(rng, 5, span=6) + [0, 0, 1, 1], _random_boxes(rng, 12, span=6) + [0, 0, 1, 1]
        scores = np.round(rng.random(12), 1)
        order = np.argsort(-scores, kind="stable")
        hits = ranked_hits([(scores[i], 0, boxes[i]) for i in range(12)], {0: list(gt)}, 0.5)
        want = np.zeros(12, bool)
        want[order] = hits
        assert_matches(np.asarray(mine.match_detections(boxes, scores, gt), dtype=bool), want,
                       what="match_detections of 12 random detections and 5 ground truths (tied scores)")


def test_average_precision_is_all_point_interpolated():
    # hits by rank: 1 0 1 1 0 0 1 with 5 objects; precision 1 .5 .667 .75 .6 .5 .571 at recall .2 .2 .4 .6 .6 .6 .8
    # envelope at the recall steps: .2 -> 1, .4 -> .75, .6 -> .75, .8 -> .571 (11-point AP would give 0.6104)
    hits = [True, False, True, True, False, False, True]
    scores = np.linspace(0.9, 0.3, 7)
    want = 0.2 * (1 + 0.75 + 0.75 + 4 / 7)
    perm = np.random.default_rng(68).permutation(7)
    got = mine.average_precision(scores[perm], np.array(hits)[perm], n_gt=5)
    assert_matches(np.array([got]), np.array([want]), rtol=1e-9,
                   what="average_precision of 7 shuffled ranked detections (4 hits) and 5 objects")
    tied = mine.average_precision([0.5, 0.5, 0.5], [False, True, True], n_gt=2)
    assert_matches(np.array([tied]), np.array([all_point_ap([False, True, True], 2)]), rtol=1e-9,
                   what="average_precision of three equal scores (input order is the ranking)")
    assert_matches(np.array([mine.average_precision([], [], n_gt=3)]), np.array([0.0]),
                   what="average_precision without detections")
    rng = np.random.default_rng(69)
    for _ in range(4):
        flags = rng.random(30) < 0.5
        s = rng.random(30)
        n_gt = int(flags.sum()) + int(rng.integers(0, 4))
        want = all_point_ap(list(flags[np.argsort(-s, kind="stable")]), n_gt)
        assert_matches(np.array([mine.average_precision(s, flags, n_gt)]), np.array([want]), rtol=1e-9,
                       what=f"average_precision of 30 random detections with {n_gt} objects")
    assert_raises(ValueError, mine.average_precision, [0.5], [True], 0, what="average_precision with n_gt=0")
    assert_raises(ValueError, mine.average_precision, [0.5, 0.4], [True, True], 1,
                  what="average_precision with 2 hits and 1 object")


def test_mean_average_precision_matches_the_oracle():
    rng = np.random.default_rng(70)
    truth, found = [], []
    for i in range(8):
        g = _random_boxes(rng, int(rng.integers(0, 4)), span=20) + [0, 0, 3, 3]
        gc = rng.integers(0, 4, len(g))                   # classes 0-3 of 6: 4 and 5 have no ground truth
        jitter = g + rng.normal(0, 1.0, g.shape).clip(-1, 1) * [1, 1, 0, 0]
        d = np.concatenate([jitter, jitter[:1], _random_boxes(rng, 2, span=20) + [0, 0, 3, 3]])
        dc = np.concatenate([np.where(rng.random(len(g)) < 0.8, gc, rng.integers(0, 6, len(g))), gc[:1],
                             rng.integers(0, 6, 2)])
        s = np.round(rng.random(len(d)), 1)
        if i == 3:
            d, s, dc = np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64)   # an image without detections
        truth.append((g, gc))
        found.append((d, s, dc))
    got, per_class = mine.mean_average_precision(found, truth, n_classes=6)
    want, want_per_class = mean_ap(found, truth, 6)
    assert_matches(np.asarray(per_class, dtype=np.float64), want_per_class, rtol=1e-9,
                   what="mean_average_precision per-class AP over 8 images (NaN for classes without ground truth)")
    assert_matches(np.array([got]), np.array([want]), rtol=1e-9, what="mean_average_precision over 8 images")
    empty = [(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))] * len(truth)
    got, _ = mine.mean_average_precision(empty, truth, n_classes=6)
    assert_matches(np.array([got]), np.array([0.0]), what="mean_average_precision without any detection")
    assert_raises(ValueError, mine.mean_average_precision, found, truth[:-1], 6,
                  what="mean_average_precision with 8 images of detections and 7 of ground truth")
    nothing = [(np.zeros((0, 4)), np.zeros(0, np.int64))] * len(found)
    assert_raises(ValueError, mine.mean_average_precision, found, nothing, 6,
                  what="mean_average_precision when no image has a ground truth box")
