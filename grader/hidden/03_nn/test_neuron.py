"""Hidden checks for Exercise 3.2: hand-derived gradients vs central differences and the reference."""
import numpy as np

from grader.compare import assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("3.2"), reference("3.2")
rng = np.random.default_rng(32)


def test_forward_and_loss_match_reference():
    X, w = rng.normal(size=(7, 4)), rng.normal(size=4)
    assert_matches(mine.neuron_forward(w, -0.4, X), ref.neuron_forward(w, -0.4, X), what="neuron_forward on 7x4 X", rtol=1e-10)
    p, y = rng.uniform(size=9), rng.integers(0, 2, 9).astype(float)
    assert_matches(mine.bce_loss(p, y), ref.bce_loss(p, y), what="bce_loss on 9 points", rtol=1e-10)
    edge = np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0])
    assert_matches(mine.bce_loss(*edge), ref.bce_loss(*edge), what="bce_loss with p exactly 0 and 1 (clipped)", rtol=1e-6)
    assert_matches(mine.neuron_forward(np.array([1.0]), 0.0, np.array([[-900.0], [900.0]])),
                   ref.neuron_forward(np.array([1.0]), 0.0, np.array([[-900.0], [900.0]])), what="neuron_forward at |z| = 900", atol=1e-300)


def test_neuron_gradients_vs_central_differences():
    X, y = rng.normal(size=(11, 3)), rng.integers(0, 2, 11).astype(float)
    w, b = rng.normal(size=3), 0.7
    dw, db = mine.neuron_gradients(w, b, X, y)
    assert_matches(dw, numerical_gradient(lambda v: ref.bce_loss(ref.neuron_forward(v, b, X), y), w), what="dL/dw for 11 examples", rtol=1e-5, atol=1e-9, n=11)
    assert_matches(db, float(numerical_gradient(lambda v: ref.bce_loss(ref.neuron_forward(w, float(v), X), y), np.array(b))), what="dL/db for 11 examples", rtol=1e-5, atol=1e-9, n=11)


def test_two_layer_gradients_vs_central_differences():
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6).astype(float)
    params = ref.init_two_layer(3, 5, seed=4)
    for k in params:
        params[k] = params[k] + 0.1 * rng.normal(size=np.shape(params[k]))
    grads = mine.two_layer_gradients(params, X, y)
    for k in params:
        def loss(v, k=k):
            p = dict(params, **{k: v})
            return ref.bce_loss(ref.two_layer_forward(p, X), y)
        assert_matches(np.asarray(grads[k], dtype=np.float64), numerical_gradient(loss, params[k]), what=f"dL/d{k} of the two-layer net (6 examples)", rtol=1e-5, atol=1e-9, n=6)


def test_two_layer_forward_matches_reference():
    params, X = ref.init_two_layer(2, 3, seed=9), rng.normal(size=(5, 2))
    assert_matches(mine.two_layer_forward(params, X), ref.two_layer_forward(params, X), what="two_layer_forward", rtol=1e-10)


def test_train_xor_other_seed_and_width():
    params = mine.train_xor(n_hidden=6, lr=1.0, steps=1500, seed=3)
    p = ref.two_layer_forward(params, ref.XOR_X)
    assert_matches((p > 0.5).astype(np.int64), ref.XOR_Y.astype(np.int64), what="XOR predictions after train_xor(n_hidden=6, seed=3)")
    expected = ref.train_xor(n_hidden=6, lr=1.0, steps=1500, seed=3)
    for k in expected:
        assert_matches(np.asarray(params[k], dtype=np.float64), expected[k], what=f"trained {k} (same init, same steps)", rtol=1e-6, atol=1e-8)


def test_bce_shape_mismatch_raises():
    assert_raises(ValueError, mine.bce_loss, np.ones(3) * 0.5, np.ones((3, 1)), what="bce_loss with p (3,) and y (3, 1)")
