"""Hidden checks for Exercise 5.2: the learner's MnistCNN against a NumPy forward pass and a step
built from tinygrad primitives with the same weights; confusion matrix and filter normalisation
against NumPy."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tinygrad import Context, Tensor, nn
from tinygrad.nn.optim import SGD

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import conv2d, max_pool2d
from grader.target import exercise

mine = exercise("5.2")

CHANNELS, N, EPS = (3, 4), 4, 1e-5        # one small shape for every tinygrad call: kernels compile once
FEATURES = 16 * CHANNELS[1]
LAYERS = ("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "conv2.bias",
          "bn2.weight", "bn2.bias", "fc.weight", "fc.bias")


def _tensor(model, name: str) -> Tensor:
    layer, attr = name.split(".")
    return getattr(getattr(model, layer), attr)


def _load(model, rng, running=True, fixed=None) -> dict[str, np.ndarray]:
    """Random weights (and running statistics), or the values `fixed` gives, written into the model;
    returns them as float64."""
    values = {}
    for name in LAYERS + (("bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var")
                          if running else ()):
        t = _tensor(model, name)
        if name.endswith("running_var") or name.startswith("bn") and name.endswith("weight"):
            v = rng.uniform(0.5, 2.0, t.shape)
        else:
            v = rng.normal(0.0, 0.4 if name.startswith("conv1") else 0.2, t.shape)
        if fixed and name in fixed:
            v = np.broadcast_to(np.asarray(fixed[name], np.float64), t.shape)
        t.assign(Tensor(v.astype(np.float32)))
        values[name] = v.astype(np.float32).astype(np.float64)
    Tensor.realize(*nn.state.get_state_dict(model).values())    # one schedule for all the model's state
    return values


def _images(rng, n: int = N) -> np.ndarray:
    return rng.random((n, 1, 28, 28), dtype=np.float32)


def _np_forward(p, x, training: bool):
    """Logits (float64) and, in training, the batch mean and biased variance of both BN inputs."""
    stats = []
    h = x.astype(np.float64)
    for k in (1, 2):
        z = conv2d(h, p[f"conv{k}.weight"], p[f"conv{k}.bias"])
        if training:
            mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
            stats.append((mean, var, z.size // z.shape[1]))
        else:
            mean, var = p[f"bn{k}.running_mean"], p[f"bn{k}.running_var"]
        z = (z - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + EPS)
        z = z * p[f"bn{k}.weight"][None, :, None, None] + p[f"bn{k}.bias"][None, :, None, None]
        h = max_pool2d(np.maximum(z, 0.0))
    return h.reshape(len(x), -1) @ p["fc.weight"].T + p["fc.bias"], stats


def _running(model) -> dict[str, np.ndarray]:
    names = [f"bn{k}.{s}" for k in (1, 2) for s in ("running_mean", "running_var")]
    Tensor.realize(*[_tensor(model, name) for name in names])       # one schedule, not four
    return {name: _tensor(model, name).numpy().astype(np.float64) for name in names}


def test_inference_forward_matches_numpy_with_running_statistics():
    rng = np.random.default_rng(21)
    Tensor.manual_seed(21)
    model = mine.MnistCNN(CHANNELS, dropout=0.5)
    p = _load(model, rng)
    x = _images(rng)
    got = model(Tensor(x)).numpy()
    want, _ = _np_forward(p, x, training=False)
    assert_matches(got, want.astype(np.float32), rtol=1e-4, atol=1e-4,
                   what="logits in inference mode (running BatchNorm statistics, dropout 0.5 off)")
    assert_matches(model(Tensor(x)).numpy(), got, rtol=0, atol=0,
                   what="logits of a second inference call on the same batch (nothing random)")
    for name, value in _running(model).items():
        assert_matches(value, p[name], rtol=1e-6, atol=1e-7, what=f"{name} after inference calls (must not change)")


def test_training_forward_uses_batch_statistics_and_updates_running_ones():
    rng = np.random.default_rng(22)
    Tensor.manual_seed(22)
    model = mine.MnistCNN(CHANNELS, dropout=0.0)
    p = _load(model, rng)
    x = _images(rng)
    with Context(TRAINING=1):
        got = model(Tensor(x)).numpy()
    want, stats = _np_forward(p, x, training=True)
    assert_matches(got, want.astype(np.float32), rtol=1e-4, atol=1e-4,
                   what="logits under Context(TRAINING=1) with dropout 0 (BatchNorm uses the batch's statistics)")
    after = _running(model)
    for k, (mean, var, count) in zip((1, 2), stats):
        assert_matches(after[f"bn{k}.running_mean"], 0.9 * p[f"bn{k}.running_mean"] + 0.1 * mean, rtol=1e-4, atol=1e-5,
                       what=f"bn{k}.running_mean after one training forward (momentum 0.1)")
        assert_matches(after[f"bn{k}.running_var"], 0.9 * p[f"bn{k}.running_var"] + 0.1 * var * count / (count - 1),
                       rtol=1e-4, atol=1e-5, what=f"bn{k}.running_var after one training forward (unbiased batch variance)")
    model(Tensor(x)).realize()
    for name, value in _running(model).items():
        assert_matches(value, after[name], rtol=0, atol=0, what=f"{name} after a later inference call (must not change)")


def test_dropout_zeroes_features_and_rescales_only_in_training():
    rng = np.random.default_rng(23)
    Tensor.manual_seed(23)
    p_drop = 0.25
    model = mine.MnistCNN(CHANNELS, dropout=p_drop)
    head = np.zeros((10, FEATURES))
    for b in range(3):                                    # logit j = f(j) + 2 f(j + 10) + 4 f(j + 20)
        head[np.arange(10), np.arange(10) + 10 * b] = 2.0 ** b
    # conv2 outputs 0, so bn2 outputs its bias (1) in both modes: every feature before the head is 1
    _load(model, rng, fixed={"conv2.weight": 0.0, "conv2.bias": 0.0, "bn2.bias": 1.0, "fc.bias": 0.0,
                             "fc.weight": head, "bn2.running_mean": 0.0, "bn2.running_var": 1.0 - EPS})
    Tensor.rand(1).realize()              # the RNG's state, so that every training call below has one graph
    x = Tensor(_images(rng))
    assert_matches(model(x).numpy(), np.full((N, 10), 7.0, np.float32), rtol=1e-5, atol=1e-5,
                   what="logits in inference mode when every feature is 1 (dropout must be off)")
    draws = []
    with Context(TRAINING=1):
        for _ in range(4):
            draws.append(model(x).numpy() * (1 - p_drop))   # rescaled: the sum over b of 2^b kept(j + 10 b)
    if all(np.array_equal(d, draws[0]) for d in draws[1:]):
        raise Mismatch("dropout drew the same masks on 4 training calls; every call needs fresh\n"
                       "draws (no re-seeding or cached mask inside the model)")
    kept = np.concatenate(draws)
    if not np.allclose(kept, np.round(kept), atol=1e-3) or kept.min() < -1e-3 or kept.max() > 7 + 1e-3:
        raise Mismatch("dropout in training: kept features must be scaled "
                       "by 1 / (1 - p)")
    kept = np.round(kept).astype(int)
    masks = np.stack([kept & 1, kept >> 1 & 1, kept >> 2])  # (3, draws * N, 10): did feature j + 10 b survive
    rate, n = masks.mean(), masks.size
    if abs(rate - (1 - p_drop)) > 5 * np.sqrt(p_drop * (1 - p_drop) / n):
        raise Mismatch(f"dropout(p={p_drop}) kept {rate:.3f} of the features; "
                       f"about {1 - p_drop} should survive")
    if all((masks[:, i] == masks[:, 0]).all() for i in range(1, N)):
        raise Mismatch("dropout masks the same features in every image; "
                       "each element needs its own draw")
    # joint law: features f and f + 10 are dropped independently, so exactly one of them survives
    # with probability 2p(1-p); f = j < 6 and f = j + 10 >= 16 put both in one channel (16 features a channel)
    one = masks[:-1] != masks[1:]                           # (2, draws * N, 10), f = j + 10 b
    f = np.arange(20).reshape(2, 1, 10)
    for chosen, text in ((np.ones(one.shape, bool), "features f and f + 10"),
                         (np.broadcast_to(f // 16 == (f + 10) // 16, one.shape), "two features of one channel")):
        rate, n = one[chosen].mean(), chosen.sum()
        if abs(rate - 2 * p_drop * (1 - p_drop)) > 5 * np.sqrt(0.375 * 0.625 / n):
            raise Mismatch(f"dropout(p={p_drop}): {text} were dropped independently\n"
                           f"in {rate:.3f} of draws, expected about 0.375. Dropout acts on\n"
                           "each flattened feature before fc, each with its own draw.")


def _unpool(grad, inp):
    """Route the gradient of a 2x2 max-pool to the maxima of its windows."""
    up = np.repeat(np.repeat(grad, 2, axis=2), 2, axis=3)
    return up * (inp == np.repeat(np.repeat(max_pool2d(inp), 2, axis=2), 2, axis=3))


def _np_sgd_step(p, x, y, lr):
    """One SGD step of mean cross-entropy in training mode, forward and backward in float64 NumPy.
    Returns (loss before the step, new parameters, (batch mean, biased variance, count) per BN)."""
    cache, stats, h = [], [], x.astype(np.float64)
    for k in (1, 2):
        z = conv2d(h, p[f"conv{k}.weight"], p[f"conv{k}.bias"])
        mean, var = z.mean(axis=(0, 2, 3), keepdims=True), z.var(axis=(0, 2, 3), keepdims=True)
        xh = (z - mean) / np.sqrt(var + EPS)
        a = xh * p[f"bn{k}.weight"][None, :, None, None] + p[f"bn{k}.bias"][None, :, None, None]
        r = np.maximum(a, 0.0)
        cache.append((h, xh, var, a, r))
        stats.append((mean.ravel(), var.ravel(), z.size // z.shape[1]))
        h = max_pool2d(r)
    f = h.reshape(len(x), -1)
    logits = f @ p["fc.weight"].T + p["fc.bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(y)), y]).mean()
    d = prob.copy()
    d[np.arange(len(y)), y] -= 1.0
    d /= len(y)
    g = {"fc.weight": d.T @ f, "fc.bias": d.sum(axis=0)}
    dh = (d @ p["fc.weight"]).reshape(h.shape)
    for k in (2, 1):
        inp, xh, var, a, r = cache[k - 1]
        da = _unpool(dh, r) * (a > 0)
        g[f"bn{k}.weight"], g[f"bn{k}.bias"] = (da * xh).sum(axis=(0, 2, 3)), da.sum(axis=(0, 2, 3))
        dxh = da * p[f"bn{k}.weight"][None, :, None, None]
        dz = (dxh - dxh.mean(axis=(0, 2, 3), keepdims=True)
              - xh * (dxh * xh).mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(var + EPS)
        w = p[f"conv{k}.weight"]
        g[f"conv{k}.weight"] = np.einsum("nohw,nchwij->ocij", dz, sliding_window_view(inp, w.shape[2:], axis=(2, 3)))
        g[f"conv{k}.bias"] = dz.sum(axis=(0, 2, 3))
        if k == 2:
            dh = np.zeros_like(inp)
            for i in range(w.shape[2]):
                for j in range(w.shape[3]):
                    dh[:, :, i:i + dz.shape[2], j:j + dz.shape[3]] += np.einsum("nohw,oc->nchw", dz, w[:, :, i, j])
    return loss, {name: p[name] - lr * g[name] for name in LAYERS}, stats


def test_train_step_matches_a_numpy_sgd_step():
    rng = np.random.default_rng(24)
    Tensor.manual_seed(24)
    model = mine.MnistCNN(CHANNELS, dropout=0.0)
    p = _load(model, rng, running=False)
    optimizer = SGD(nn.state.get_parameters(model), lr=0.1)
    step = mine.make_train_step(model, optimizer)
    for name in LAYERS:       # stale gradients from an earlier backward: the step must clear them
        _tensor(model, name).grad = Tensor.full(_tensor(model, name).shape, 0.5)
    x, y = _images(rng), rng.integers(0, 10, N).astype(np.int32)
    xt, yt = Tensor(x), Tensor(y)
    Tensor.realize(xt, yt, optimizer.lr)       # inputs and lr ready: the step's graph is the step alone
    loss = step(xt, yt)
    if not isinstance(loss, Tensor):
        raise Mismatch(f"the step returned {type(loss).__name__}; expected the loss Tensor")
    want_loss, new, stats = _np_sgd_step(p, x, y, 0.1)
    assert_matches(np.array([loss.item()]), np.array([want_loss]), rtol=1e-4,
                   what="loss returned by the step (mean cross-entropy before the update, batch statistics)")
    for name in LAYERS:
        assert_matches(_tensor(model, name).numpy().astype(np.float64), new[name], rtol=1e-3, atol=1e-5,
                       what=f"{name} after one step of SGD(lr=0.1) on a batch of {N}")
    running = _running(model)
    for k, (mean, var, count) in zip((1, 2), stats):
        assert_matches(running[f"bn{k}.running_mean"], 0.1 * mean, rtol=1e-3, atol=1e-5,
                       what=f"bn{k}.running_mean after one training step (from 0, momentum 0.1)")
        assert_matches(running[f"bn{k}.running_var"], 0.9 + 0.1 * var * count / (count - 1), rtol=1e-3, atol=1e-5,
                       what=f"bn{k}.running_var after one training step (from 1, momentum 0.1)")


def test_evaluate_counts_every_row_in_inference_mode():
    rng = np.random.default_rng(25)
    Tensor.manual_seed(25)
    model = mine.MnistCNN(CHANNELS, dropout=0.5)
    p = _load(model, rng)
    X = _images(rng, 11)
    logits, _ = _np_forward(p, X, training=False)
    y = np.where(rng.random(11) < 0.5, logits.argmax(axis=1), rng.integers(0, 10, 11))
    y[-3:] = logits[-3:].argmax(axis=1)                    # the partial last batch is all hits
    want = float((logits.argmax(axis=1) == y).mean())
    with Context(TRAINING=1):                              # evaluate must switch training off itself
        got = mine.evaluate(model, X, y, batch_size=N)
    assert_matches(np.array([got]), np.array([want]), rtol=0, atol=1e-9,
                   what="evaluate(...) on 11 images with batch_size=4, called inside Context(TRAINING=1)")
    for name, value in _running(model).items():
        assert_matches(value, p[name], rtol=1e-6, atol=1e-7, what=f"{name} after evaluate (must not change)")
    # a second model right after: evaluate must run the model it is given (no stale JIT)
    other = mine.MnistCNN(CHANNELS, dropout=0.5)
    q = _load(other, rng)
    logits_q, _ = _np_forward(q, X, training=False)
    y_q = logits_q.argmax(axis=1)
    got = mine.evaluate(other, X, y_q, batch_size=N)
    assert_matches(np.array([got]), np.array([1.0]), rtol=0, atol=1e-9,
                   what="evaluate of a second model right after the first\n(its own argmax as labels)")
    assert_raises(ValueError, mine.evaluate, model, X[:0], y[:0], what="evaluate on an empty set")
    assert_raises(ValueError, mine.evaluate, model, X, y[:5], what="evaluate with 11 images and 5 labels")


def _np_confusion(t, p, n):
    out = np.zeros((n, n), np.int64)
    for a, b in zip(t, p):
        out[a, b] += 1
    return out


def test_confusion_matrix_matches_counts_by_true_row():
    rng = np.random.default_rng(26)
    y_true = rng.integers(0, 7, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 5, 200))   # 5 and 6 only as true labels
    got = mine.confusion_matrix(y_true, y_pred, n_classes=9)
    assert_matches(got, _np_confusion(y_true, y_pred, 9), what="confusion_matrix of 200 labels with n_classes=9")
    assert_matches(mine.confusion_matrix(y_true[:3].tolist(), y_pred[:3].tolist()), _np_confusion(y_true[:3], y_pred[:3], 10),
                   what="confusion_matrix of 3 labels given as Python lists, default n_classes")
    assert_raises(ValueError, mine.confusion_matrix, y_true, y_pred[:-1], what="confusion_matrix of 200 and 199 labels")
    assert_raises(ValueError, mine.confusion_matrix, y_true, y_pred, n_classes=6,
                  what="confusion_matrix with a true label 6 and n_classes=6")


def test_normalize_filters_scales_each_filter_on_its_own():
    rng = np.random.default_rng(27)
    w = rng.normal(size=(6, 2, 3, 3)) * rng.uniform(0.01, 10.0, (6, 1, 1, 1)) + rng.normal(size=(6, 1, 1, 1))
    w[4] = -0.3                                                                    # a constant filter
    lo, hi = w.min(axis=(1, 2, 3), keepdims=True), w.max(axis=(1, 2, 3), keepdims=True)
    want = np.where(hi > lo, (w - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0).astype(np.float32)
    assert_matches(mine.normalize_filters(w.astype(np.float32)), want, rtol=1e-5, atol=1e-6,
                   what="normalize_filters of (6, 2, 3, 3) filters of different scales, filter 4 constant")


def test_first_layer_filters_are_the_normalised_kernels():
    rng = np.random.default_rng(28)
    model = mine.MnistCNN(CHANNELS)
    p = _load(model, rng, running=False)
    w = p["conv1.weight"][:, 0]
    lo, hi = w.min(axis=(1, 2), keepdims=True), w.max(axis=(1, 2), keepdims=True)
    assert_matches(mine.first_layer_filters(model), ((w - lo) / (hi - lo)).astype(np.float32), rtol=1e-5, atol=1e-6,
                   what=f"first_layer_filters of a model with {CHANNELS[0]} first-layer kernels")
    assert_raises(ValueError, mine.MnistCNN, (3, 0), what="MnistCNN with 0 channels in the second block")


def test_n_classes_sets_the_size_of_the_head():
    rng = np.random.default_rng(26)
    model = mine.MnistCNN(CHANNELS, dropout=0.0, n_classes=5)
    out = model(Tensor(_images(rng)))
    if tuple(out.shape) != (N, 5):
        raise Mismatch(f"MnistCNN(n_classes=5) gave logits of shape {tuple(out.shape)}; "
                       f"expected ({N}, 5)")
