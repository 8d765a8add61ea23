"""Hidden checks for Exercise 5.3: statistics and normalisation against NumPy, the augmentation's
windows and sampling law recovered image by image, CifarNet against a NumPy forward pass with the
same weights, BatchNorm's two modes, and the step and evaluate against the reference."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tinygrad import Context, Tensor, nn
from tinygrad.helpers import TRAINING
from tinygrad.nn.optim import SGD

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import conv2d, max_pool2d
from grader.target import exercise, reference

mine, ref = exercise("5.3"), reference("5.3")


def channel_skewed_images(rng, n=7, h=5, w=4) -> np.ndarray:
    """uint8 (n, h, w, 3) whose channels have very different statistics (dark, bright, full range)."""
    X = np.empty((n, h, w, 3), np.uint8)
    X[..., 0] = rng.integers(0, 60, size=(n, h, w))
    X[..., 1] = rng.integers(190, 256, size=(n, h, w))
    X[..., 2] = rng.integers(0, 256, size=(n, h, w))
    return X


def test_channel_stats_per_channel_against_numpy():
    X = channel_skewed_images(np.random.default_rng(0))
    mean, std = mine.channel_stats(X)
    v = X.astype(np.float64) / 255
    assert_matches(mean, v.mean(axis=(0, 1, 2)).astype(np.float32), what="channel_stats(X)[0] (mean) of a (7, 5, 4, 3) uint8 X", rtol=1e-5)
    assert_matches(std, v.std(axis=(0, 1, 2)).astype(np.float32), what="channel_stats(X)[1] (std) of a (7, 5, 4, 3) uint8 X", rtol=1e-4)
    four = np.random.default_rng(1).integers(0, 256, size=(3, 2, 2, 4)).astype(np.uint8)
    assert_matches(mine.channel_stats(four)[0], (four / 255).mean(axis=(0, 1, 2)).astype(np.float32),
                   what="channel_stats mean of a 4-channel (3, 2, 2, 4) X", rtol=1e-5)
    assert_raises(ValueError, mine.channel_stats, X[0], what="channel_stats of a 3-D array")


def test_normalize_uses_the_statistics_it_is_given():
    rng = np.random.default_rng(2)
    X = channel_skewed_images(rng, n=3, h=5, w=4)
    mean = np.array([0.3, 0.6, 0.45], np.float32)     # deliberately not X's own statistics
    std = np.array([0.2, 0.15, 0.3], np.float32)
    got = mine.normalize(X, mean, std)
    want = ((X / 255.0 - mean) / std).transpose(0, 3, 1, 2).astype(np.float32)
    assert_matches(got, want, what="normalize(X, mean, std) of a (3, 5, 4, 3) uint8 X (expected (N, C, H, W))", rtol=1e-5, atol=1e-5)
    assert_raises(ValueError, mine.normalize, X, mean[:2], std[:2], what="normalize with 2 statistics for 3 channels")


def identify(X: np.ndarray, out: np.ndarray):
    """Per image: (dy, dx, mirrored) of the window of the zero-padded image that the output is (or its
    mirror); -1 entries where the output is no such window."""
    n, c, h, w = X.shape
    padded = np.zeros((n, c, h + 8, w + 8), X.dtype)
    padded[:, :, 4:4 + h, 4:4 + w] = X
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))          # (n, c, 9, 9, h, w)
    dy, dx, mirrored = np.full(n, -1), np.full(n, -1), np.zeros(n, bool)
    for flip in (False, True):
        candidate = out[:, :, :, ::-1] if flip else out
        hits = (windows == candidate[:, :, None, None]).all(axis=(1, 4, 5))   # (n, 9, 9)
        found = hits.reshape(n, -1).any(axis=1) & (dy < 0)
        where = hits.reshape(n, -1).argmax(axis=1)
        dy[found], dx[found], mirrored[found] = where[found] // 9, where[found] % 9, flip
    return dy, dx, mirrored


def test_augment_outputs_are_windows_of_the_zero_padded_image():
    X = np.random.default_rng(3).normal(size=(300, 2, 7, 5)).astype(np.float32) + 10   # no zeros inside
    out = mine.augment(X, np.random.default_rng(4))
    if not isinstance(out, np.ndarray) or out.shape != X.shape:
        raise Mismatch(f"augment of a (300, 2, 7, 5) batch returned {type(out).__name__} of shape {getattr(out, 'shape', None)}")
    dy, _, _ = identify(X, np.asarray(out))
    if (dy < 0).any():
        k = int(np.argmax(dy < 0))
        raise Mismatch(f"augmented image {k} of 300 is not a 7x5 window (offsets 0..8) of the image zero-padded "
                       "by 4, nor the left-right mirror of one (flipped the wrong axis? reflect padding? "
                       "a window outside the padded image?)")


def test_augment_sampling_law_per_image():
    X = np.random.default_rng(5).normal(size=(4000, 1, 6, 5)).astype(np.float32) + 10
    dy, dx, mirrored = identify(X, np.asarray(mine.augment(X, np.random.default_rng(6))))
    if (dy < 0).any():
        raise Mismatch("some augmented images are not windows of the zero-padded image (or their mirror)")
    frac = mirrored.mean()
    assert_matches(np.array([frac]), np.array([0.5]), what="fraction of 4000 images mirrored (one draw per image, p = 1/2)", atol=0.05)
    seen = {(int(a), int(b)) for a, b in zip(dy, dx)}
    if len(seen) < 81:
        raise Mismatch(f"over 4000 images only {len(seen)} of the 81 crop offsets (dy, dx in 0..8) occurred; "
                       "each image should draw dy and dx uniformly from {0, ..., 8}")
    counts = np.bincount(dy * 9 + dx, minlength=81)
    if counts.min() < 4000 / 81 / 3 or counts.max() > 4000 / 81 * 2:
        raise Mismatch(f"crop offsets are far from uniform over the 81 positions (counts {counts.min()}..{counts.max()}, "
                       f"expected about {4000 / 81:.0f} each)")
    # joint law: the flip is independent of the crop offsets (1/2 given any dy, any dx, any cell);
    # each group gets a 5-sigma bound on its mirrored fraction
    for key, groups, size in (("dy", dy, 9), ("dx", dx, 9), ("(dy, dx)", dy * 9 + dx, 81)):
        n = np.bincount(groups, minlength=size)
        frac = np.bincount(groups, weights=mirrored, minlength=size) / np.maximum(n, 1)
        if (np.abs(frac - 0.5) > 2.5 / np.sqrt(np.maximum(n, 1))).any():
            raise Mismatch(f"the mirrored fraction depends on {key}: the flip must be\n"
                           "drawn independently of the crop offsets (p = 1/2 whatever\n"
                           "the window).")
    batches = np.random.default_rng(7).normal(size=(20, 64, 1, 6, 5)).astype(np.float32) + 10
    for seed, batch in enumerate(batches):
        _, _, flipped = identify(batch, np.asarray(mine.augment(batch, np.random.default_rng(100 + seed))))
        if flipped.all() or not flipped.any():
            raise Mismatch("in a batch of 64, every image got the same flip decision: draw it per image")


def test_augment_is_reproducible_and_leaves_the_input_unchanged():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(16, 3, 8, 8)).astype(np.float32)
    keep = X.copy()
    first = mine.augment(X, np.random.default_rng(9))
    assert_matches(X, keep, what="the caller's batch after augment(X, rng) (it must not be modified)", rtol=0, atol=0)
    assert_matches(mine.augment(X, np.random.default_rng(9)), first, what="augment twice with the same seed", rtol=0, atol=0)
    shared = np.random.default_rng(10)
    a, b = mine.augment(X, shared), mine.augment(X, shared)
    if np.array_equal(a, b):
        raise Mismatch("two calls with the same Generator gave the same batch: draw from the rng you are given")
    X8 = (rng.integers(1, 256, size=(5, 3, 4, 6))).astype(np.uint8)
    got = mine.augment(X8, np.random.default_rng(11))
    if np.asarray(got).dtype != np.uint8:
        raise Mismatch(f"augment of a uint8 batch returned dtype {np.asarray(got).dtype}; the dtype must be kept")
    if (identify(X8, got)[0] < 0).any():
        raise Mismatch("augment of uint8 images gave an image that is not a window of the zero-padded image")


# ------------------------------------------------------------------ the network against NumPy

def np_convbn_eval(x, p):
    z = conv2d(x, p["w"], padding=1)
    z = (z - p["rm"][:, None, None]) / np.sqrt(p["rv"][:, None, None] + 1e-5) * p["g"][:, None, None] + p["b"][:, None, None]
    return np.maximum(z, 0)


def set_convbn(block, rng):
    """Give a ConvBN random weights and running statistics (replacing its tensors); returns them."""
    c_out, c_in = block.conv.weight.shape[:2]
    p = {"w": rng.normal(0, 0.5, (c_out, c_in, 3, 3)), "g": rng.uniform(0.5, 1.5, c_out), "b": rng.normal(0, 0.3, c_out),
         "rm": rng.normal(0, 0.5, c_out), "rv": rng.uniform(0.5, 2.0, c_out)}
    block.conv.weight = Tensor(p["w"].astype(np.float32))
    block.bn.weight, block.bn.bias = Tensor(p["g"].astype(np.float32)), Tensor(p["b"].astype(np.float32))
    block.bn.running_mean = Tensor(p["rm"].astype(np.float32)).contiguous()
    block.bn.running_var = Tensor(p["rv"].astype(np.float32)).contiguous()
    return p


def test_cifarnet_forward_in_eval_matches_numpy():
    rng = np.random.default_rng(12)
    model = mine.CifarNet(width=2, classes=4, residual=True)
    shapes = [tuple(b.conv.weight.shape) for b in model.blocks + model.residual]
    if shapes != [(2, 3, 3, 3), (4, 2, 3, 3), (8, 4, 3, 3), (8, 8, 3, 3), (8, 8, 3, 3)]:
        raise Mismatch(f"CifarNet(width=2, residual=True): conv weights of blocks + residual have shapes {shapes}")
    if tuple(model.head.weight.shape) != (4, 8):
        raise Mismatch(f"CifarNet(width=2, classes=4).head.weight has shape {tuple(model.head.weight.shape)}, expected (4, 8)")
    params = [set_convbn(b, rng) for b in model.blocks + model.residual]
    W, b = rng.normal(0, 0.5, (4, 8)), rng.normal(0, 0.5, 4)
    model.head.weight, model.head.bias = Tensor(W.astype(np.float32)), Tensor(b.astype(np.float32))
    x = rng.normal(size=(3, 3, 16, 16)).astype(np.float32)
    got = model(Tensor(x)).numpy()
    h = x.astype(np.float64)
    for p in params[:3]:
        h = max_pool2d(np_convbn_eval(h, p))
    h = h + np_convbn_eval(np_convbn_eval(h, params[3]), params[4])
    want = (h.mean(axis=(2, 3)) @ W.T + b).astype(np.float32)
    assert_matches(got, want, what="logits of CifarNet(width=2, classes=4, residual=True) in eval mode on (3, 3, 16, 16)", rtol=1e-3, atol=1e-4)
    for k, p in enumerate(params):
        assert_matches(model.blocks[k].bn.running_mean.numpy() if k < 3 else model.residual[k - 3].bn.running_mean.numpy(),
                       p["rm"].astype(np.float32), what=f"running mean of BatchNorm {k + 1} after an eval forward (must not change)", rtol=1e-6)
    if mine.CifarNet(width=2).residual:
        raise Mismatch("CifarNet(width=2).residual should be an empty list (residual=False)")


def test_convbn_training_mode_uses_batch_statistics_and_updates_running_ones():
    rng = np.random.default_rng(13)
    block = mine.ConvBN(3, 2)
    p = set_convbn(block, rng)
    x = rng.normal(size=(3, 3, 16, 16)).astype(np.float32)
    with Context(TRAINING=1):
        got = block(Tensor(x)).numpy()
    z = conv2d(x, p["w"], padding=1)
    mu, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
    want = np.maximum((z - mu[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) * p["g"][:, None, None] + p["b"][:, None, None], 0)
    assert_matches(got, want.astype(np.float32), what="ConvBN(3, 2) output under Context(TRAINING=1) (batch statistics)", rtol=1e-3, atol=1e-3)
    unbiased = z.var(axis=(0, 2, 3), ddof=1)
    assert_matches(block.bn.running_mean.numpy(), (0.9 * p["rm"] + 0.1 * mu).astype(np.float32),
                   what="running mean after one training forward (momentum 0.1)", rtol=1e-4, atol=1e-5)
    assert_matches(block.bn.running_var.numpy(), (0.9 * p["rv"] + 0.1 * unbiased).astype(np.float32),
                   what="running variance after one training forward", rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ step and evaluate

class BNProbe:
    """A stand-in model: BatchNorm over 2 channels, global average, a linear layer; it notes the mode."""

    def __init__(self, rng):
        self.bn, self.fc, self.modes = nn.BatchNorm(2), nn.Linear(2, 3), []
        self.bn.weight = Tensor(rng.uniform(0.5, 1.5, 2).astype(np.float32)).contiguous()
        self.bn.bias = Tensor(rng.normal(0, 0.3, 2).astype(np.float32)).contiguous()
        self.fc.weight = Tensor(rng.normal(0, 0.5, (3, 2)).astype(np.float32)).contiguous()
        self.fc.bias = Tensor(rng.normal(0, 0.5, 3).astype(np.float32)).contiguous()

    def __call__(self, x):
        self.modes.append(TRAINING.value)
        return self.fc(self.bn(x).mean(axis=(2, 3)))


def test_train_step_matches_the_reference_step_for_step():
    models = [BNProbe(np.random.default_rng(14)) for _ in range(2)]
    steps = [impl.make_train_step(m, SGD(nn.state.get_parameters(m), lr=0.2))
             for impl, m in zip((mine, ref), models)]
    rng = np.random.default_rng(15)
    for i in range(3):   # call 2 captures the TinyJit, call 3 replays it
        x = Tensor(rng.normal(1, 2, size=(6, 2, 2, 2)).astype(np.float32))
        y = Tensor(rng.integers(0, 3, size=6).astype(np.int32))
        got, want = steps[0](x, y), steps[1](x, y)
        if not isinstance(got, Tensor):
            raise Mismatch(f"the step returned {type(got).__name__}; expected the loss Tensor")
        assert_matches(np.array([got.item()]), np.array([want.item()]), what=f"loss returned by step {i + 1}", rtol=1e-4)
        for name in ("fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"):
            a, b = (nn.state.get_state_dict(m)[name].numpy() for m in models)
            assert_matches(a, b, what=f"{name} after step {i + 1} of SGD", rtol=1e-4, atol=1e-5)
    if models[0].modes[:2] != [1, 1]:
        raise Mismatch(f"the model ran with TRAINING={models[0].modes[:2]} in the first two steps; the step runs under Context(TRAINING=1)")


class FirstPixels:
    """A stand-in model: the logits are the first 4 input values of each image; it notes the mode."""

    def __init__(self):
        self.modes = []

    def __call__(self, x):
        self.modes.append(TRAINING.value)
        return x.reshape(x.shape[0], -1)[:, :4]


def test_evaluate_in_eval_mode_with_a_ragged_last_batch():
    rng = np.random.default_rng(16)
    X = rng.normal(size=(23, 1, 2, 2)).astype(np.float32)
    y = rng.integers(0, 4, size=23)
    model = FirstPixels()
    got = mine.evaluate(model, X, y, batch_size=10)
    want = float((X.reshape(23, 4).argmax(axis=1) == y).mean())
    assert_matches(np.array([got]), np.array([want]), what="evaluate(...) on 23 images with batch_size=10", rtol=0, atol=1e-9)
    if any(model.modes):
        raise Mismatch("evaluate ran the model in training mode (BatchNorm would use batch statistics and "
                       "update its running ones): evaluate outside Context(TRAINING=1)")
    if len(model.modes) != 3:
        raise Mismatch(f"evaluate called the model {len(model.modes)} times for 23 images in batches of 10; expected 3")
    assert_raises(ValueError, mine.evaluate, model, X[:0], y[:0], what="evaluate on an empty set")
