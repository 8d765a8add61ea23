"""Hidden checks for Exercise 6.5: the learner's UNet against a NumPy U-Net with the same weights
(inference mode, running statistics), its layer layout for several depths, the skip connections, the
per-pixel loss and its gradient against NumPy, and iou / dice / mean_score against a per-class
NumPy oracle with the edge cases of the documented empty-class convention. The NumPy-level checks
come first: a run stops at its first failure, and they cost nothing next to a U-Net's kernels."""
import math

import numpy as np
import pytest
from tinygrad import Context, Tensor, dtypes, nn
from tinygrad.nn.state import get_state_dict

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import conv2d
from grader.hidden.probes import built_with_constant_weights
from grader.target import exercise

mine = exercise("6.5")

IN, CLASSES, WIDTH, EPS = 2, 3, 2, 1e-5   # one small configuration: its kernels compile once
STATS = ("running_mean", "running_var")


@pytest.fixture(autouse=True)
def _fresh_random_state():
    """Every check starts and ends with Tensor.manual_seed: reproducible initial weights, and no
    random-number counter carried over. tinygrad advances that counter lazily, one step per random
    tensor; the first realize after many unrealized initialisations pays for the whole chain."""
    Tensor.manual_seed(65)
    yield
    Tensor.manual_seed(65)


# ------------------------------------------------------------------ Dice and IoU

def _oracle(pred, target, n_classes):
    """(iou, dice) per class by counting pixel sets; NaN where the class is in neither map."""
    ious, dices = [], []
    for c in range(n_classes):
        p = {i for i, v in enumerate(np.ravel(pred)) if v == c}
        t = {i for i, v in enumerate(np.ravel(target)) if v == c}
        ious.append(len(p & t) / len(p | t) if p | t else math.nan)
        dices.append(2 * len(p & t) / (len(p) + len(t)) if p | t else math.nan)
    return np.array(ious), np.array(dices)


def _check_metrics(pred, target, n_classes, case):
    want_iou, want_dice = _oracle(pred, target, n_classes)
    got_iou, got_dice = mine.iou(pred, target, n_classes), mine.dice(pred, target, n_classes)
    for name, got, want in (("iou", got_iou, want_iou), ("dice", got_dice, want_dice)):
        if not isinstance(got, np.ndarray):
            raise Mismatch(f"{name} for {case} returned {type(got).__name__}; the docstring declares a float64 "
                           "NumPy array (n_classes,)")
        if got.shape == want.shape and not np.array_equal(np.isnan(got), np.isnan(want)):
            raise Mismatch(f"{name} for {case}: NaN must mark exactly the classes absent from both maps "
                           f"(a class in only one of them scores 0)")
        assert_matches(got, want, rtol=1e-9, atol=1e-12, what=f"{name} for {case}")


def test_iou_and_dice_match_a_counting_oracle_on_random_maps():
    rng = np.random.default_rng(657)
    for n_classes, shape in ((4, (3, 5, 6)), (6, (40,))):
        target = rng.integers(0, n_classes - 1, shape)            # the last class never occurs in the truth
        pred = np.where(rng.random(shape) < 0.6, target, rng.integers(0, n_classes, shape))
        _check_metrics(pred, target, n_classes, f"random {shape} maps with {n_classes} classes")
    _check_metrics(pred.astype(np.uint8), target.astype(np.int32), 6, "uint8 predictions and int32 targets")


def test_iou_and_dice_edge_cases():
    target = np.zeros((2, 6, 6), np.int64)
    target[0, 1:4, 1:4] = 1                                        # a 3x3 square of class 1
    target[1, 5, 5] = 2                                            # a single pixel of class 2
    empty = np.zeros_like(target)
    disjoint = np.zeros_like(target)
    disjoint[1, 0:2, 0:2] = 1
    disjoint[0, 5, 0] = 2
    one_off = target.copy()
    one_off[1, 5, 4] = 2                                           # the one pixel, and one more
    cases = [(target, target, "a perfect prediction"), (empty, target, "an empty prediction"),
             (target, empty, "an empty truth"), (empty, empty, "empty prediction and truth"),
             (disjoint, target, "a prediction disjoint from the truth"),
             (one_off, target, "a one-pixel class predicted with one extra pixel")]
    for pred, truth, case in cases:
        _check_metrics(pred, truth, 4, case)


def test_mean_score_leaves_out_background_and_absent_classes():
    rng = np.random.default_rng(658)
    scores = rng.random(6)
    scores[[2, 4]] = np.nan
    cases = [(scores, False, np.nanmean(scores[1:])), (scores, True, np.nanmean(scores)),
             (np.array([0.3, np.nan, 0.0, 1.0]), False, 0.5)]
    for per_class, background, want in cases:
        got = mine.mean_score(per_class, include_background=background)
        if not isinstance(got, float):
            raise Mismatch(f"mean_score returned {type(got).__name__}; expected a Python float")
        assert_matches(np.array([got]), np.array([want]), rtol=1e-12,
                       what=f"mean_score of {len(per_class)} scores with include_background={background}")
    got = mine.mean_score(np.array([0.7, np.nan, np.nan]))
    if not (isinstance(got, float) and math.isnan(got)):
        raise Mismatch("mean_score when every class but the background is absent: expected NaN")
    pred, target = np.array([[0, 0, 1], [3, 3, 0]]), np.array([[0, 1, 1], [3, 0, 0]])
    assert_matches(np.array([mine.mean_score(mine.iou(pred, target, 4))]), np.array([(1 / 2 + 1 / 2) / 2]),
                   rtol=1e-12, what="mean_score(iou(...)) of a 2x3 map where class 2 occurs nowhere")


def test_metrics_refuse_bad_input():
    pred, target = np.zeros((2, 3), np.int64), np.ones((2, 3), np.int64)
    for fn in (mine.iou, mine.dice):
        fn(pred, target, 3)                                        # valid: returns normally
        assert_raises(ValueError, fn, pred, target[:, :2], 3, what=f"{fn.__name__} of (2, 3) and (2, 2) maps")
        assert_raises(ValueError, fn, pred.astype(np.float32), target, 3, what=f"{fn.__name__} of float labels")
        assert_raises(ValueError, fn, pred, target + 2, 3, what=f"{fn.__name__} with label 3 and n_classes=3")
        assert_raises(ValueError, fn, pred - 1, target, 3, what=f"{fn.__name__} with label -1")
    assert_raises(ValueError, mine.mean_score, np.array([0.5]), what="mean_score of one score")
    assert_raises(ValueError, mine.mean_score, np.ones((2, 3)), what="mean_score of a 2-D array")


# ------------------------------------------------------------------ the loss

def _np_pixel_ce(z, y):
    z = z.astype(np.float64)
    logp = z - z.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    onehot = np.moveaxis(np.eye(z.shape[1])[y], -1, 1)
    return -(logp * onehot).sum() / y.size, (np.exp(logp) - onehot) / y.size


def test_pixel_cross_entropy_and_its_gradient_match_numpy():
    rng = np.random.default_rng(656)
    z = (rng.normal(size=(2, 3, 4, 5)) * 3).astype(np.float32)     # H != W: axes cannot be confused
    y = rng.integers(0, 3, (2, 4, 5))
    logits = Tensor(z)
    loss = mine.pixel_cross_entropy(logits, Tensor(y.astype(np.int32)))
    loss.backward()
    want, grad = _np_pixel_ce(z, y)
    assert_matches(np.array([loss.item()]), np.array([want]), rtol=1e-4,
                   what="pixel_cross_entropy of (2, 3, 4, 5) logits (softmax over axis 1, mean over 40 pixels)")
    assert_matches(logits.grad.numpy(), grad.astype(np.float32), rtol=1e-3, atol=1e-6, n=y.size,
                   what="gradient of pixel_cross_entropy with respect to (2, 3, 4, 5) logits")
    big = z.copy()
    big[0, 1] += 500.0                                             # extreme logits must stay finite
    got = mine.pixel_cross_entropy(Tensor(big), Tensor(y.astype(np.int32))).item()
    assert_matches(np.array([got]), np.array([_np_pixel_ce(big, y)[0]]), rtol=1e-4,
                   what="pixel_cross_entropy with logits around 500")
    assert_raises(ValueError, mine.pixel_cross_entropy, Tensor(z), Tensor(y[:, :, :4].astype(np.int32)),
                  what="pixel_cross_entropy with labels (2, 4, 4) for logits (2, 3, 4, 5)")


# ------------------------------------------------------------------ the layout and a NumPy U-Net

def _block_shapes(prefix: str, c_in: int, c_out: int) -> dict[str, tuple]:
    shapes = {f"{prefix}conv1.weight": (c_out, c_in, 3, 3), f"{prefix}conv2.weight": (c_out, c_out, 3, 3)}
    for bn in ("bn1", "bn2"):
        shapes.update({f"{prefix}{bn}.{p}": (c_out,) for p in ("weight", "bias") + STATS})
    return shapes


def _expected_shapes(in_channels: int, n_classes: int, width: int, depth: int) -> dict[str, tuple]:
    shapes, c = {}, in_channels
    for i in range(depth):
        shapes.update(_block_shapes(f"encoders.{i}.", c, width * 2 ** i))
        c = width * 2 ** i
    shapes.update(_block_shapes("bottleneck.", c, 2 * c))
    for j in range(depth):
        hi, lo = width * 2 ** (depth - j), width * 2 ** (depth - j - 1)
        shapes.update({f"decoders.{j}.up.weight": (hi, lo, 2, 2), f"decoders.{j}.up.bias": (lo,)})
        shapes.update(_block_shapes(f"decoders.{j}.block.", 2 * lo, lo))
    shapes.update({"head.weight": (n_classes, width, 1, 1), "head.bias": (n_classes,)})
    return shapes


def _check_layout(model, config) -> dict[str, Tensor]:
    """The model's tensors by name, after checking that they are exactly the documented ones."""
    state = {k: v for k, v in get_state_dict(model).items() if not k.endswith("num_batches_tracked")}
    want = _expected_shapes(*config)
    missing, extra = sorted(set(want) - set(state)), sorted(set(state) - set(want))
    if missing or extra:
        raise Mismatch(f"UNet{config} (in_channels, n_classes, width, depth): tensors missing "
                       f"{missing[:4]}, unexpected {extra[:4]} (see the attribute names in the docstrings; "
                       f"convolutions before BatchNorm have bias=False)")
    for name, shape in want.items():
        assert_matches(np.array(state[name].shape), np.array(shape), what=f"shape of {name} in UNet{config}")
    return state


def _put(t: Tensor, name: str, v: np.ndarray) -> np.ndarray:
    """Make the model's tensor `t` hold `v` (float32); returns v as float64.

    Tensor.replace swaps the data without realizing the learner's lazy random initialisation:
    scheduling those random kernels, tensor by tensor, cost more than the checks themselves."""
    if t.dtype != dtypes.float32:
        raise Mismatch(f"{name} has dtype {t.dtype}; expected float32")
    v = v.astype(np.float32)
    t.replace(Tensor(v))
    return v.astype(np.float64)


def _random_values(name: str, shape: tuple, rng) -> np.ndarray:
    if name.endswith("running_var") or ".bn" in name and name.endswith("weight"):
        return rng.uniform(0.5, 1.5, shape)
    return rng.normal(0.0, 0.5, shape)


def _load(model, config, rng, zero=()) -> dict[str, np.ndarray]:
    """Random weights and running statistics (zeros for the names in `zero`) written into the model;
    returned as float64."""
    return {name: _put(t, name, np.zeros(t.shape) if name in zero else _random_values(name, t.shape, rng))
            for name, t in _check_layout(model, config).items()}


def _block(p, prefix, x):
    for k in (1, 2):
        z = conv2d(x, p[f"{prefix}conv{k}.weight"], padding=1)
        mean, var = p[f"{prefix}bn{k}.running_mean"], p[f"{prefix}bn{k}.running_var"]
        z = (z - mean[:, None, None]) / np.sqrt(var[:, None, None] + EPS)
        x = np.maximum(z * p[f"{prefix}bn{k}.weight"][:, None, None] + p[f"{prefix}bn{k}.bias"][:, None, None], 0.0)
    return x


def _up(x, w, b):
    n, _, h, wd = x.shape
    out = np.einsum("ncij,coab->noiajb", x, w).reshape(n, w.shape[1], 2 * h, 2 * wd)
    return out + b[:, None, None]


def _np_unet(p, x, depth):
    """(logits, features before the head) of the documented U-Net, float64."""
    x, skips = x.astype(np.float64), []
    for i in range(depth):
        x = _block(p, f"encoders.{i}.", x)
        skips.append(x)
        n, c, h, w = x.shape
        x = x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    x = _block(p, "bottleneck.", x)
    for j in range(depth):
        up = _up(x, p[f"decoders.{j}.up.weight"], p[f"decoders.{j}.up.bias"])
        x = _block(p, f"decoders.{j}.block.", np.concatenate([skips[depth - 1 - j], up], axis=1))
    head = np.einsum("nchw,oc->nohw", x, p["head.weight"][:, :, 0, 0]) + p["head.bias"][:, None, None]
    return head, x


def _images(rng, n=2, h=8, w=8):
    return rng.normal(0.0, 1.0, (n, IN, h, w)).astype(np.float32)


# ------------------------------------------------------------------ the network

def test_layer_layout_for_several_depths_and_widths():
    for config in ((1, 5, 3, 3), (3, 2, 1, 1), (IN, CLASSES, WIDTH, 2)):
        _check_layout(built_with_constant_weights(mine.UNet, *config), config)
    for bad in ((0, 3, 2, 2), (1, 1, 2, 2), (1, 3, 0, 2), (1, 3, 2, 0)):
        assert_raises(ValueError, mine.UNet, *bad, what=f"UNet{bad}")


def test_inference_forward_matches_a_numpy_unet_of_depth_2():
    rng = np.random.default_rng(651)
    config = (IN, CLASSES, WIDTH, 2)
    model = built_with_constant_weights(mine.UNet, *config)
    p = _load(model, config, rng)
    x = _images(rng)
    got = model(Tensor(x)).numpy()
    want, _ = _np_unet(p, x, depth=2)
    state = get_state_dict(model)
    assert_matches(got, want.astype(np.float32), rtol=1e-3, atol=1e-3,
                   what="logits (2, 3, 8, 8) of UNet(2, 3, width=2, depth=2) in inference mode "
                        "(skip first in each concatenation, running BatchNorm statistics)")
    for name in p:
        if name.endswith(STATS):
            layer = state[name].numpy()
            assert_matches(layer.astype(np.float64), p[name], rtol=1e-6, atol=1e-7,
                           what=f"{name} after an inference call (must not change)")


def test_output_shapes_for_other_sizes_and_a_clear_error_for_the_rest():
    model = built_with_constant_weights(mine.UNet, IN, CLASSES, WIDTH, 3)
    for shape in ((1, IN, 8, 8), (3, IN, 16, 8), (2, IN, 8, 24)):      # shapes only: nothing is computed
        got = model(Tensor.zeros(*shape)).shape
        assert_matches(np.array(got), np.array((shape[0], CLASSES, *shape[2:])),
                       what=f"shape of the logits of UNet(2, 3, width=2, depth=3) for input {shape}")
    for shape in ((1, IN, 12, 8), (1, IN, 8, 20), (1, IN, 4, 8), (1, 1, 8, 8), (IN, 8, 8)):
        assert_raises(ValueError, model, Tensor.zeros(*shape),
                      what=f"UNet(2, 3, width=2, depth=3) on input of shape {shape}")


def test_skip_connections_carry_the_image_when_the_upsampling_is_silenced():
    rng = np.random.default_rng(653)
    config = (IN, CLASSES, WIDTH, 2)
    model = built_with_constant_weights(mine.UNet, *config)
    p = _load(model, config, rng,
              zero=("decoders.0.up.weight", "decoders.0.up.bias", "decoders.1.up.weight", "decoders.1.up.bias"))
    x = _images(rng)
    got = model(Tensor(x)).numpy()
    if np.allclose(got[0], got[1], atol=1e-5):
        raise Mismatch("with every up-convolution's weights and bias set to 0 the logits no longer depend "
                       "on the image: the decoder does not use the skip connections")
    assert_matches(got, _np_unet(p, x, depth=2)[0].astype(np.float32), rtol=1e-3, atol=1e-3,
                   what="logits of UNet(2, 3, width=2, depth=2) whose up-convolutions output zeros")


def test_up_block_concatenates_the_skip_first():
    rng = np.random.default_rng(654)
    block = built_with_constant_weights(mine.UpBlock, 4, 2)
    assert_matches(np.array(block.block.conv1.weight.shape), np.array((2, 4, 3, 3)),
                   what="shape of UpBlock(4, 2).block.conv1.weight (skip channels + upsampled channels)")
    p = {name: _put(t, name, rng.uniform(0.5, 1.5, t.shape) if name.endswith("running_var")
                    else rng.normal(0, 0.5, t.shape))
         for name, t in get_state_dict(block).items() if not name.endswith("num_batches_tracked")}
    x, skip = rng.normal(size=(2, 4, 4, 4)).astype(np.float32), rng.normal(size=(2, 2, 8, 8)).astype(np.float32)
    got = block(Tensor(x), Tensor(skip)).numpy()
    want = _block(p, "block.", np.concatenate([skip, _up(x, p["up.weight"], p["up.bias"])], axis=1))
    swapped = _block(p, "block.", np.concatenate([_up(x, p["up.weight"], p["up.bias"]), skip], axis=1))
    if got.shape == want.shape and np.allclose(got, swapped, rtol=1e-3, atol=1e-3):
        raise Mismatch("UpBlock concatenates the upsampled features first; the skip must come first "
                       "(channels 0..c_out-1 of block.conv1's input)")
    assert_matches(got, want.astype(np.float32), rtol=1e-3, atol=1e-3,
                   what="UpBlock(4, 2)(x (2, 4, 4, 4), skip (2, 2, 8, 8)) in inference mode")


def test_loss_of_the_logits_and_gradients_reach_every_parameter():
    rng = np.random.default_rng(655)
    config = (IN, CLASSES, WIDTH, 2)
    model = built_with_constant_weights(mine.UNet, *config)
    p = _load(model, config, rng)
    x = _images(rng)                   # the shapes of the inference check: its kernels are reused
    y = rng.integers(0, CLASSES, (2, 8, 8))
    logits = model(Tensor(x))
    loss = mine.pixel_cross_entropy(logits, Tensor(y.astype(np.int32)))
    loss.backward()                    # lazy: the graph from the loss back to every parameter
    for name, t in get_state_dict(model).items():      # every parameter is in the loss's graph
        if not name.endswith(STATS + ("num_batches_tracked",)) and t.grad is None:
            raise Mismatch(f"{name} got no gradient from the loss (is the layer used in the forward pass?)")
    logits.realize()                   # the inference check's schedule; the loss and head.bias's gradient
    Tensor.realize(loss, model.head.bias.grad)   # then start from these logits (one small schedule)
    want, dz = _np_pixel_ce(_np_unet(p, x, depth=2)[0], y)
    assert_matches(np.array([loss.item()]), np.array([want]), rtol=1e-3,
                   what="pixel_cross_entropy of the logits of UNet(2, 3, width=2, depth=2)")
    assert_matches(model.head.bias.grad.numpy(), dz.sum(axis=(0, 2, 3)).astype(np.float32), rtol=1e-3,
                   atol=1e-5, what="gradient of the mean pixel loss with respect to head.bias")


def _documented_build(in_channels, n_classes, width, depth):
    """The random tensors of the documented construction, by name, made with tinygrad's layers in
    the documented order: encoders, bottleneck, decoders (deepest first), head."""
    out = {}

    def block(prefix, a, b):
        for k, (c_in, c_out) in enumerate(((a, b), (b, b)), start=1):
            out[f"{prefix}conv{k}.weight"] = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False).weight
            nn.BatchNorm(c_out)
    channels = [in_channels] + [width * 2 ** i for i in range(depth)]
    for i in range(depth):
        block(f"encoders.{i}.", channels[i], channels[i + 1])
    block("bottleneck.", channels[-1], 2 * channels[-1])
    for j in range(depth):
        hi, lo = width * 2 ** (depth - j), width * 2 ** (depth - j - 1)
        up = nn.ConvTranspose2d(hi, lo, 2, stride=2)
        out[f"decoders.{j}.up.weight"], out[f"decoders.{j}.up.bias"] = up.weight, up.bias
        block(f"decoders.{j}.block.", 2 * lo, lo)
    head = nn.Conv2d(width, n_classes, 1)
    out["head.weight"], out["head.bias"] = head.weight, head.bias
    return out


def test_manual_seed_reproduces_the_documented_build_order():
    config = (1, 2, 1, 1)                  # the smallest U-Net: a few tiny random tensors
    Tensor.manual_seed(7)
    state = _check_layout(mine.UNet(*config), config)
    Tensor.manual_seed(7)
    want = _documented_build(*config)
    for name, t in want.items():
        assert_matches(state[name].numpy(), t.numpy(), rtol=0, atol=0,
                       what=f"{name} of UNet{config} after Tensor.manual_seed(7). "
                            "Build the attributes in the documented order")


def test_batchnorm_running_statistics_use_the_default_momentum():
    # nn.BatchNorm(c_out): momentum 0.1, so one training call moves the running mean 10 % of the way
    rng = np.random.default_rng(656)
    block = built_with_constant_weights(mine.ConvBlock, IN, WIDTH)
    p = {name: _put(t, name, _random_values(name, t.shape, rng))
         for name, t in get_state_dict(block).items() if not name.endswith("num_batches_tracked")}
    x = rng.normal(size=(2, IN, 4, 4)).astype(np.float32)
    with Context(TRAINING=1):
        out = block(Tensor(x))
    stats = get_state_dict(block)
    Tensor.realize(out, *(stats[f"bn{k}.{s}"] for k in (1, 2) for s in STATS))   # one schedule
    h = x.astype(np.float64)
    for k in (1, 2):
        z = conv2d(h, p[f"conv{k}.weight"], padding=1)
        mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
        n = z.size / z.shape[1]
        got = np.concatenate([stats[f"bn{k}.{s}"].numpy() for s in STATS])
        want = np.concatenate([0.9 * p[f"bn{k}.running_mean"] + 0.1 * mean,
                               0.9 * p[f"bn{k}.running_var"] + 0.1 * var * n / (n - 1)])
        assert_matches(got, want.astype(np.float32), rtol=1e-3, atol=1e-4,
                       what=f"bn{k} (running_mean, running_var) after one ConvBlock call in training "
                            "mode (nn.BatchNorm's default momentum 0.1)")
        z = (z - mean[:, None, None]) / np.sqrt(var[:, None, None] + EPS)
        h = np.maximum(z * p[f"bn{k}.weight"][:, None, None] + p[f"bn{k}.bias"][:, None, None], 0.0)
