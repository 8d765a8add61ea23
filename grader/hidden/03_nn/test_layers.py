"""Hidden checks for Exercise 3.5: layer gradients vs central differences, modes, initialisers."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("3.5"), reference("3.5")
rng = np.random.default_rng(35)


def _check_layer(layer, x, what, n, training=True):
    """Input and parameter gradients of sum(G * layer(x)) vs central differences."""
    G = rng.normal(size=layer.forward(x, training).shape)
    out = layer.forward(x, training)
    dx = layer.backward(G)
    grads = {k: np.array(v) for k, v in layer.grads.items()}
    state = {k: getattr(layer, k).copy() for k in ("running_mean", "running_var") if hasattr(layer, k)}

    def loss_x(v):
        for k, s in state.items():
            setattr(layer, k, s.copy())
        return float((layer.forward(v, training) * G).sum())
    assert_matches(dx, numerical_gradient(loss_x, x), what=f"{what}: dL/dx", rtol=1e-5, atol=1e-8, n=n)
    for name, p in layer.params.items():
        def loss_p(v, p=p):
            old = p.copy()
            p[...] = v
            try:
                for k, s in state.items():
                    setattr(layer, k, s.copy())
                return float((layer.forward(x, training) * G).sum())
            finally:
                p[...] = old
        assert_matches(grads[name], numerical_gradient(loss_p, p), what=f"{what}: dL/d{name}", rtol=1e-5, atol=1e-8, n=n)
    return out


def test_dense_gradients():
    _check_layer(mine.Dense(4, 3, seed=2), rng.normal(size=(6, 4)), "Dense(4, 3) on a batch of 6", n=6)


def test_batchnorm_training_gradients():
    bn = mine.BatchNorm(3)
    bn.params["gamma"][:] = rng.uniform(0.5, 2, 3)
    bn.params["beta"][:] = rng.normal(size=3)
    _check_layer(bn, rng.normal(2, 3, size=(5, 3)), "BatchNorm(3), training, batch of 5", n=5)


def test_batchnorm_eval_uses_running_statistics():
    a, b = mine.BatchNorm(4, momentum=0.3), ref.BatchNorm(4, momentum=0.3)
    for _ in range(3):
        x = rng.normal(1, 2, size=(8, 4))
        assert_matches(a.forward(x, training=True), b.forward(x, training=True), what="BatchNorm training forward", rtol=1e-9, atol=1e-12)
    assert_matches(a.running_mean, b.running_mean, what="running_mean after 3 training batches (momentum 0.3)", rtol=1e-9)
    assert_matches(a.running_var, b.running_var, what="running_var after 3 training batches (momentum 0.3)", rtol=1e-9)
    x = rng.normal(-3, 5, size=(6, 4))
    assert_matches(a.forward(x, training=False), b.forward(x, training=False), what="BatchNorm evaluation forward (running statistics, not the batch's)", rtol=1e-9, atol=1e-12)
    assert_matches(a.running_mean, b.running_mean, what="running_mean after an evaluation pass (must not change)", rtol=1e-12)
    _check_layer(a, x, "BatchNorm(4), evaluation mode", n=6, training=False)


def test_dropout_statistics_rescaling_and_backward():
    drop = mine.Dropout(0.3, seed=11)
    x = rng.uniform(1, 2, size=(200, 50))
    out = drop.forward(x, training=True)
    kept = out != 0
    frac = kept.mean()
    if not 0.66 < frac < 0.74:
        raise Mismatch(f"Dropout(0.3) kept {frac:.3f} of the entries; about 0.7 expected")
    assert_matches(out[kept], x[kept] / 0.7, what="kept entries of Dropout(0.3) (inverted dropout scales by 1/(1-p))", rtol=1e-9)
    G = rng.normal(size=x.shape)
    assert_matches(drop.backward(G), G * kept / 0.7, what="Dropout backward (same mask, same scale)", rtol=1e-9, atol=1e-12)
    again = drop.forward(x, training=True)
    if np.array_equal(again != 0, kept):
        raise Mismatch("Dropout drew the same mask twice: draw a fresh mask on every training call")
    assert_matches(drop.forward(x, training=False), x, what="Dropout in evaluation mode (the identity)")
    x32 = x.astype(np.float32)
    dtype = np.asarray(mine.Dropout(0.5, seed=0).forward(x32, training=True)).dtype
    if dtype != np.float32:
        raise Mismatch(f"Dropout turned a float32 input into {dtype}: cast the mask to x.dtype")
    assert_raises(ValueError, mine.Dropout, 1.0, what="Dropout(p=1.0)")


def test_residual_block_gradients():
    inner = [mine.Dense(4, 5, seed=1), mine.ReLU(), mine.Dense(5, 4, init="xavier", seed=2)]
    block = mine.ResidualBlock(inner)
    x = rng.normal(size=(3, 4)) + 0.01
    out = _check_layer(block, x, "ResidualBlock(Dense, ReLU, Dense) on a batch of 3", n=3)
    refblock = ref.ResidualBlock([ref.Dense(4, 5, seed=1), ref.ReLU(), ref.Dense(5, 4, init="xavier", seed=2)])
    assert_matches(out, refblock.forward(x), what="ResidualBlock forward", rtol=1e-9)


@pytest.mark.parametrize("shape", [(50, 30), (784, 256)])
def test_initialisers_match_reference(shape):
    for name in ("xavier_init", "kaiming_init"):
        got = getattr(mine, name)(*shape, np.random.default_rng(3))
        assert_matches(got, getattr(ref, name)(*shape, np.random.default_rng(3)), what=f"{name}{shape} with the same generator", rtol=1e-12)
    d_mine, d_ref = mine.Dense(*shape, init="xavier", seed=4), ref.Dense(*shape, init="xavier", seed=4)
    assert_matches(d_mine.params["W"], d_ref.params["W"], what=f"Dense{shape} xavier weights (seed 4)", rtol=1e-12)
    assert_raises(ValueError, mine.Dense, 2, 2, init="zeros", what="Dense with an unknown init")


def _moments(W):
    w = np.asarray(W, dtype=np.float64).ravel()
    var = w.var()
    return w.mean(), var, ((w - w.mean()) ** 4).mean() / var ** 2


def test_initialisers_follow_their_laws():
    # 400 x 100 = 40,000 draws from a fresh seed. Bounds are about 6 standard errors of each statistic
    # (false alarm below 1e-6 per check): sample variance within 4.5% of the law (its relative standard
    # error is sqrt((kurtosis - 1) / n) <= 0.7%), kurtosis of a normal 3 +- 0.15 (uniform: 1.8). The wrong
    # laws are far outside: fan_out for fan_in (x4), no factor 2 (x0.5), fan_in + fan_out (x0.8), normal
    # for uniform (values beyond the bound), uniform for normal (kurtosis 1.8).
    n_in, n_out = 400, 100
    W = np.asarray(mine.kaiming_init(n_in, n_out, np.random.default_rng(12345)))
    assert_matches(W.shape, (n_in, n_out), what="kaiming_init(400, 100) shape")
    mean, var, kurt = _moments(W)
    if abs(mean) > 6 * np.sqrt(2.0 / n_in / W.size) or abs(var / (2.0 / n_in) - 1) > 0.045:
        raise Mismatch("kaiming_init(400, 100): the weights' variance is not 2 / fan_in (fan_in is the number of inputs, 400)")
    if abs(kurt - 3) > 0.15:
        raise Mismatch("kaiming_init(400, 100): the weights do not look normally distributed (Kaiming here is the normal form)")
    W = np.asarray(mine.xavier_init(n_in, n_out, np.random.default_rng(54321)))
    bound = np.sqrt(6.0 / (n_in + n_out))
    mean, var, kurt = _moments(W)
    if np.abs(W).max() > bound or np.abs(W).max() < 0.99 * bound:
        raise Mismatch("xavier_init(400, 100): the weights do not fill exactly [-a, a] with a = sqrt(6 / (fan_in + fan_out))")
    if abs(var / (2.0 / (n_in + n_out)) - 1) > 0.045 or abs(kurt - 1.8) > 0.1:
        raise Mismatch("xavier_init(400, 100): the weights are not uniform with variance 2 / (fan_in + fan_out)")


def test_dropout_keep_rate_and_independence():
    # 20,000 entries per rate; the kept fraction must be within 5.5 binomial standard errors of 1 - p
    # (false alarm about 4e-8 per rate). A mask of p instead of 1 - p misses by >= 0.4 (>= 80 errors).
    x = np.ones((200, 100))
    for p in (0.1, 0.5, 0.8):
        out = mine.Dropout(p, seed=int(p * 10)).forward(x, training=True)
        kept = np.asarray(out) != 0
        se = np.sqrt(p * (1 - p) / kept.size)
        if abs(kept.mean() - (1 - p)) > 5.5 * se:
            raise Mismatch(f"Dropout({p}) kept {kept.mean():.3f} of the entries; each should be kept with probability 1 - p")
        assert_matches(out[kept], x[kept] / (1 - p), what=f"kept entries of Dropout({p}) (scaled by 1 / (1 - p))", rtol=1e-9)
        # every entry is its own coin: no column (row) may be kept or dropped as a whole
        for axis, name in ((0, "column"), (1, "row")):
            whole = np.mean(kept.all(axis=axis) | (~kept).all(axis=axis))
            if whole > 0.5:
                raise Mismatch(f"Dropout({p}) keeps or drops whole {name}s: draw one coin per entry (mask of x's shape)")
    assert_matches(mine.Dropout(0.0, seed=1).forward(x, training=True), x, what="Dropout(0.0) in training (the identity)")
    drop = mine.Dropout(0.5, seed=3)
    first, second = drop.forward(x, training=False), drop.forward(x, training=False)
    assert_matches(np.asarray(second), np.asarray(first), what="Dropout in evaluation, called twice (deterministic)", atol=0)


def test_dense_backward_twice_and_float32():
    layer = mine.Dense(4, 3, seed=5)
    x, G = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    layer.forward(x)
    layer.backward(G)
    once = {k: np.array(v) for k, v in layer.grads.items()}
    layer.forward(x)
    layer.backward(G)
    for k in once:
        assert_matches(np.asarray(layer.grads[k]), once[k], what=f"Dense grads[{k!r}] after a second backward (set, not accumulated)", rtol=1e-12)
    a, b = mine.Dense(5, 3, seed=2, dtype=np.float32), ref.Dense(5, 3, seed=2, dtype=np.float32)
    for k in ("W", "b"):
        assert_matches(a.params[k], b.params[k], what=f"Dense(dtype=float32) params[{k!r}]", rtol=1e-6)
    x32 = rng.normal(size=(4, 5)).astype(np.float32)
    assert_matches(a.forward(x32), b.forward(x32), what="Dense(dtype=float32) forward of a float32 x", rtol=1e-5, atol=1e-6)
    G32 = rng.normal(size=(4, 3)).astype(np.float32)
    assert_matches(a.backward(G32), b.backward(G32), what="Dense(dtype=float32) backward", rtol=1e-5, atol=1e-6)


def test_relu_layer_at_exactly_zero():
    relu = mine.ReLU()
    x = np.array([[-1.0, 0.0, 2.0], [0.0, -0.0, 3.0]])
    relu.forward(x)
    assert_matches(relu.backward(np.ones_like(x)), np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
                   what="ReLU backward of ones at inputs exactly 0 (derivative 0 there)", atol=0)


def test_batchnorm_state_dtype_and_repeated_evaluation():
    a, b = mine.BatchNorm(3, dtype=np.float32), ref.BatchNorm(3, dtype=np.float32)
    for _ in range(2):
        x = (rng.normal(size=(10, 3)) * 2 + 1).astype(np.float32)
        assert_matches(a.forward(x, training=True), b.forward(x, training=True), what="BatchNorm(dtype=float32) training forward", rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var"):
        assert_matches(getattr(a, name), getattr(b, name), what=f"BatchNorm(dtype=float32).{name} after 2 float32 batches (dtype kept)", rtol=1e-5)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    first = np.array(a.forward(x, training=False))
    stats = a.running_mean.copy(), a.running_var.copy()
    assert_matches(a.forward(x, training=False), first, what="BatchNorm evaluation forward called twice", atol=0)
    assert_matches(a.running_var, stats[1], what="running_var after evaluation passes (must not change)", atol=0)


def test_forward_and_backward_leave_their_arguments_alone():
    x, G = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    makers = ((mine.ReLU, True), (lambda: mine.Dropout(0.4, seed=1), True), (lambda: mine.BatchNorm(3), True),
              (lambda: mine.BatchNorm(3), False), (lambda: mine.Dense(3, 3, seed=1), True))
    for make, training in makers:
        layer, xc, Gc = make(), x.copy(), G.copy()
        name = f"{type(layer).__name__} ({'training' if training else 'evaluation'})"
        layer.forward(xc, training)
        assert_matches(xc, x, what=f"the caller's x after {name} forward (modified in place?)", atol=0)
        layer.backward(Gc)
        assert_matches(Gc, G, what=f"the caller's dout after {name} backward (modified in place?)", atol=0)


def test_batchnorm_honours_eps():
    # features of variance about 0.01: eps=0.05 changes every normalised value
    x = rng.normal(0, 0.1, size=(6, 3))
    a, b = mine.BatchNorm(3, eps=0.05), ref.BatchNorm(3, eps=0.05)
    for training in (True, False):
        assert_matches(a.forward(x, training), b.forward(x, training), rtol=1e-9, atol=1e-12,
                       what=f"BatchNorm(3, eps=0.05) {'training' if training else 'evaluation'} forward")


def test_dropout_masks_come_from_its_own_seeded_generator():
    # same seed: the same sequence of masks; another seed: other masks (whatever way the coins are drawn)
    x = np.ones((20, 10))
    a, b, c = mine.Dropout(0.4, seed=7), mine.Dropout(0.4, seed=7), mine.Dropout(0.4, seed=8)
    for call in (1, 2):
        out_a, out_b, out_c = (np.asarray(d.forward(x, training=True)) for d in (a, b, c))
        assert_matches(out_b, out_a, atol=0,
                       what=f"call {call} of two Dropout(0.4, seed=7) layers (same seed, same masks)")
        if np.array_equal(out_c, out_a):
            raise Mismatch("Dropout(0.4, seed=8) drew the same mask as seed=7: use np.random.default_rng(seed)")


def test_evaluation_mode_backward_and_mode_passed_through_a_residual_block():
    # evaluation backward with gamma != 1: dx = gamma * inv_std * dout (gamma must not be dropped)
    bn = mine.BatchNorm(3)
    bn.params["gamma"][:] = [0.5, 2.0, -1.5]
    bn.forward(rng.normal(1, 2, size=(8, 3)), training=True)
    _check_layer(bn, rng.normal(size=(4, 3)), "BatchNorm(3) with gamma != 1, evaluation mode", n=4, training=False)
    # evaluation after a training call: backward passes the gradient unchanged (no stale mask)
    drop, x, G = mine.Dropout(0.5, seed=2), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    drop.forward(x, training=True)
    drop.forward(x, training=False)
    assert_matches(drop.backward(G), G, what="Dropout backward after an evaluation forward (the mask of the earlier "
                   "training call must not be reused)", rtol=1e-12)
    assert_raises(ValueError, mine.Dropout, -0.1, what="Dropout(p=-0.1)")
    # the block hands `training` to its layers: in evaluation BatchNorm uses running statistics, Dropout is off
    blocks = [lib.ResidualBlock([lib.Dense(3, 3, seed=1), lib.BatchNorm(3), lib.Dropout(0.5, seed=0)])
              for lib in (mine, ref)]
    xt, xe = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    for block in blocks:
        block.forward(xt, training=True)
    assert_matches(blocks[0].forward(xe, training=False), blocks[1].forward(xe, training=False), rtol=1e-9, atol=1e-12,
                   what="ResidualBlock(Dense, BatchNorm, Dropout) evaluation forward (is training=False passed on?)")


def test_batchnorm_grads_are_set_each_backward_and_relu_uses_the_last_forward():
    x, G = rng.normal(1, 2, size=(5, 3)), rng.normal(size=(5, 3))
    bn = mine.BatchNorm(3)
    bn.params["gamma"][:] = [1.5, -0.5, 2.0]
    bn.forward(x)
    bn.backward(G)
    once = {k: np.array(v) for k, v in bn.grads.items()}
    bn.forward(x)
    bn.backward(G)
    for k in once:
        assert_matches(np.asarray(bn.grads[k]), once[k], rtol=1e-12,
                       what=f"BatchNorm grads[{k!r}] after a second forward and backward (set, not accumulated)")
    x1, x2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    a, b = mine.ReLU(), ref.ReLU()
    a.forward(x1)
    a.forward(x2)
    b.forward(x2)
    assert_matches(a.backward(G[:4]), b.backward(G[:4]), atol=0,
                   what="ReLU backward after forward(x1) then forward(x2) (the mask of the last forward)")
