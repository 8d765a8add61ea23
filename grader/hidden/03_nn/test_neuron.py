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
    # atol 1e-100: exactly 0 and a sigmoid of z clipped to [-500, 500] (about 7e-218) both pass; NaN does not
    far = np.array([[-900.0], [900.0]])
    assert_matches(mine.neuron_forward(np.array([1.0]), 0.0, far), ref.neuron_forward(np.array([1.0]), 0.0, far),
                   what="neuron_forward at |z| = 900", atol=1e-100)


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
    # fresh parameters have zero biases, which hide a dropped or misplaced b1 or b2 (local generator: rng's stream
    # stays as it was for the checks below)
    local = np.random.default_rng(92)
    params = dict(params, b1=local.normal(size=3), b2=np.asarray(-0.8))
    assert_matches(mine.two_layer_forward(params, X), ref.two_layer_forward(params, X), rtol=1e-10,
                   what="two_layer_forward with nonzero b1 and b2 (is each bias added, inside its own layer?)")


def test_train_xor_other_seed_and_width():
    params = mine.train_xor(n_hidden=6, lr=1.0, steps=1500, seed=3)
    p = ref.two_layer_forward(params, ref.XOR_X)
    assert_matches((p > 0.5).astype(np.int64), ref.XOR_Y.astype(np.int64), what="XOR predictions after train_xor(n_hidden=6, seed=3)")
    expected = ref.train_xor(n_hidden=6, lr=1.0, steps=1500, seed=3)
    for k in expected:
        assert_matches(np.asarray(params[k], dtype=np.float64), expected[k], what=f"trained {k} (same init, same steps)", rtol=1e-6, atol=1e-8)


def test_bce_shape_mismatch_raises():
    assert_raises(ValueError, mine.bce_loss, np.ones(3) * 0.5, np.ones((3, 1)), what="bce_loss with p (3,) and y (3, 1)")


def test_gradients_stay_finite_when_the_neuron_saturates():
    # |z| = 900: p is exactly 0 or 1 in float64; dL/dz = (p - y) / N needs no division by p or 1 - p
    X, w, y = np.array([[900.0], [-900.0], [900.0], [-900.0]]), np.array([1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    with np.errstate(all="ignore"):
        dw, db = mine.neuron_gradients(w, 0.0, X, y)
    ref_dw, ref_db = ref.neuron_gradients(w, 0.0, X, y)
    assert_matches(np.asarray(dw, dtype=np.float64), ref_dw, what="dL/dw with |z| = 900 (saturated sigmoid; the derivative cancels)", rtol=1e-9, n=4)
    assert_matches(db, ref_db, what="dL/db with |z| = 900", rtol=1e-9, n=4)


def test_bce_honours_eps_and_integer_labels():
    p, y = np.array([0.0, 1.0, 0.3, 1.0]), np.array([1, 0, 1, 1])
    for eps in (1e-3, 0.05):
        assert_matches(mine.bce_loss(p, y, eps=eps), ref.bce_loss(p, y, eps=eps), what=f"bce_loss(p, y, eps={eps}) with p exactly 0 and 1 (clipped to [eps, 1 - eps])", rtol=1e-9)


def test_gradient_functions_leave_their_inputs_alone_and_train_is_repeatable():
    params = ref.init_two_layer(2, 4, seed=6)
    before = {k: v.copy() for k, v in params.items()}
    mine.two_layer_gradients(params, ref.XOR_X, ref.XOR_Y)
    for k in params:
        assert_matches(params[k], before[k], what=f"params[{k!r}] after two_layer_gradients (must not be modified)", atol=0)
    first, second = mine.train_xor(n_hidden=4, steps=50, seed=2), mine.train_xor(n_hidden=4, steps=50, seed=2)
    for k in first:
        assert_matches(np.asarray(second[k], dtype=np.float64), np.asarray(first[k], dtype=np.float64),
                       what=f"trained {k} from a second identical train_xor call (no state kept between calls)", atol=0)


def test_train_xor_uses_its_learning_rate():
    # lr=1.0 is the default and what the other checks use; a step without the lr factor would pass them
    settings = dict(n_hidden=4, lr=0.3, steps=40, seed=5)
    got, expected = mine.train_xor(**settings), ref.train_xor(**settings)
    for k in expected:
        assert_matches(np.asarray(got[k], dtype=np.float64), expected[k], rtol=1e-6, atol=1e-9,
                       what=f"trained {k} after train_xor(lr=0.3, steps=40) (is every step scaled by lr?)")


def test_bce_loss_does_not_clip_the_callers_array():
    p, y = np.array([0.0, 1.0, 0.4, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    before = p.copy()
    mine.bce_loss(p, y, eps=1e-3)
    assert_matches(p, before, what="the caller's p after bce_loss (clip a copy, not the argument in place)", atol=0)


def test_bce_with_soft_labels_and_a_broadcastable_shape():
    # the formula holds for any y in [0, 1] (label smoothing), not only for hard 0/1 labels
    p, y = np.array([0.2, 0.7, 0.9, 0.4]), np.array([0.1, 0.8, 0.5, 0.0])
    assert_matches(mine.bce_loss(p, y), ref.bce_loss(p, y), rtol=1e-9,
                   what="bce_loss with soft labels y in (0, 1) (y log p + (1 - y) log(1 - p) for every y)")
    assert_raises(ValueError, mine.bce_loss, np.array([0.5]), np.array([1.0, 0.0, 1.0]),
                  what="bce_loss with p (1,) and y (3,) (they broadcast, but the shapes differ)")
