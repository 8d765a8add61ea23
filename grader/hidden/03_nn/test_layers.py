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
