"""Hidden checks for Exercise 2.1: learner vs reference on inputs the visible tests do not use."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("2.1"), reference("2.1")
rng = np.random.default_rng(21)


def _finite(value, what):
    if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise Mismatch(f"{what}: NaN or inf for extreme logits (missing max-shift in softmax, or exp of a large logit?)")


def test_mse_on_matrices_averages_every_entry():
    pred, target = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    assert_matches(mine.mse(pred, target), ref.mse(pred, target), what="mse on a 7x3 batch", rtol=1e-9)
    assert_matches(mine.mse_grad(pred, target), ref.mse_grad(pred, target), what="mse_grad on a 7x3 batch", rtol=1e-9, n=21)
    assert_raises(ValueError, mine.mse, np.zeros(3), np.zeros(4), what="mse with shapes (3,) and (4,)")
    assert_raises(ValueError, mine.mse, np.zeros(3), np.ones((3, 1)),
                  what="mse with shapes (3,) and (3, 1) (NumPy would broadcast them to (3, 3): compare the "
                       "shapes, do not rely on broadcasting)")


def test_mse_grad_is_the_gradient_of_mse():
    pred, target = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    assert_matches(mine.mse_grad(pred, target), numerical_gradient(lambda p: mine.mse(p, target), pred),
                   what="mse_grad vs central differences of your mse", rtol=1e-5, atol=1e-8, n=10)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=8))
def test_sigmoid_matches_reference(values):
    z = np.array(values)
    assert_matches(mine.sigmoid(z), ref.sigmoid(z), what=f"sigmoid of a ({len(values)},) array", rtol=1e-9, atol=1e-300)


def test_sigmoid_of_extreme_logits_does_not_overflow():
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    try:
        with np.errstate(over="raise"):
            got = mine.sigmoid(z)
    except FloatingPointError:
        raise Mismatch("sigmoid at z = -1000 overflows in exp: never take exp of a large positive number "
                       "(use exp(-|z|) and the two equal forms of the sigmoid)") from None
    assert_matches(got, ref.sigmoid(z), what="sigmoid at logits up to +-1000", rtol=1e-12, atol=1e-300)


def test_binary_cross_entropy_and_gradient():
    p, y = rng.uniform(0.01, 0.99, size=9), rng.integers(0, 2, size=9).astype(float)
    assert_matches(mine.binary_cross_entropy(p, y), ref.binary_cross_entropy(p, y), what="binary_cross_entropy, 9 samples", rtol=1e-9)
    assert_matches(mine.binary_cross_entropy_grad(p, y), ref.binary_cross_entropy_grad(p, y),
                   what="binary_cross_entropy_grad, 9 samples", rtol=1e-7, n=9)
    edge = np.array([0.0, 1.0, 1.0]), np.array([1.0, 0.0, 1.0])
    assert_matches(mine.binary_cross_entropy(*edge), ref.binary_cross_entropy(*edge), what="binary_cross_entropy at p = 0 and 1 (clipping)", rtol=1e-6)


def test_bce_with_logits_gradient_and_extremes():
    z, y = rng.normal(scale=3, size=11), rng.integers(0, 2, size=11).astype(float)
    assert_matches(mine.binary_cross_entropy_with_logits(z, y), ref.binary_cross_entropy_with_logits(z, y),
                   what="binary_cross_entropy_with_logits, 11 samples", rtol=1e-9)
    assert_matches(mine.binary_cross_entropy_with_logits_grad(z, y), ref.binary_cross_entropy_with_logits_grad(z, y),
                   what="binary_cross_entropy_with_logits_grad, 11 samples", rtol=1e-7, n=11)
    z, y = np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([0.0, 1.0, 1.0, 0.0])
    with np.errstate(all="ignore"):
        loss, grad = mine.binary_cross_entropy_with_logits(z, y), mine.binary_cross_entropy_with_logits_grad(z, y)
    _finite(loss, "binary_cross_entropy_with_logits at logits +-1000")
    _finite(grad, "binary_cross_entropy_with_logits_grad at logits +-1000")
    assert_matches(loss, ref.binary_cross_entropy_with_logits(z, y), what="binary_cross_entropy_with_logits at logits +-1000", rtol=1e-9)
    assert_matches(grad, ref.binary_cross_entropy_with_logits_grad(z, y), what="binary_cross_entropy_with_logits_grad at logits +-1000", rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 5)])
def test_log_softmax_and_softmax(shape):
    z = rng.normal(scale=4, size=shape)
    assert_matches(mine.log_softmax(z), ref.log_softmax(z), what=f"log_softmax on shape {shape}", rtol=1e-9, atol=1e-12)
    assert_matches(mine.softmax(z), ref.softmax(z), what=f"softmax on shape {shape}", rtol=1e-9, atol=1e-15)


def test_categorical_cross_entropy_averages_over_samples():
    logits, labels = rng.normal(size=(8, 5)), rng.integers(0, 5, size=8)
    got, exp = mine.categorical_cross_entropy(logits, labels), ref.categorical_cross_entropy(logits, labels)
    for factor, text in ((8 / 5, "averaged over the 5 classes instead of the 8 samples"), (8.0, "summed over the samples, not averaged"),
                         (1 / 5, "averaged over all N*K entries instead of over the samples")):
        if np.isclose(float(got), factor * exp, rtol=1e-9):
            raise Mismatch(f"categorical_cross_entropy on 8 samples x 5 classes: your loss is {text} (wrong axis in the mean?)")
    assert_matches(mine.categorical_cross_entropy(logits, labels), ref.categorical_cross_entropy(logits, labels),
                   what="categorical_cross_entropy, 8 samples x 5 classes, integer labels", rtol=1e-9, n=8)
    soft = ref.softmax(rng.normal(size=(8, 5)))
    assert_matches(mine.categorical_cross_entropy(logits, soft), ref.categorical_cross_entropy(logits, soft),
                   what="categorical_cross_entropy with probability rows as targets", rtol=1e-9)
    assert_matches(mine.categorical_cross_entropy_grad(logits, soft), ref.categorical_cross_entropy_grad(logits, soft),
                   what="categorical_cross_entropy_grad with probability rows as targets (softmax - t, not an index "
                        "subtraction of an argmax)", rtol=1e-7, atol=1e-12, n=8)
    assert_matches(mine.categorical_cross_entropy_grad(logits, labels), ref.categorical_cross_entropy_grad(logits, labels),
                   what="categorical_cross_entropy_grad, 8 x 5", rtol=1e-7, atol=1e-12, n=8)
    assert_matches(mine.categorical_cross_entropy_grad(logits, labels),
                   numerical_gradient(lambda z: mine.categorical_cross_entropy(z, labels), logits),
                   what="categorical_cross_entropy_grad vs central differences of your loss", rtol=1e-4, atol=1e-8, n=8)


def test_categorical_cross_entropy_extreme_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0]])
    labels = np.array([1, 2, 2])
    with np.errstate(all="ignore"):
        loss, grad = mine.categorical_cross_entropy(logits, labels), mine.categorical_cross_entropy_grad(logits, labels)
        sm = mine.softmax(logits)
    _finite(sm, "softmax at logits +-1000")
    _finite(loss, "categorical_cross_entropy at logits +-1000")
    _finite(grad, "categorical_cross_entropy_grad at logits +-1000")
    assert_matches(loss, ref.categorical_cross_entropy(logits, labels), what="categorical_cross_entropy at logits +-1000", rtol=1e-9)
    assert_matches(grad, ref.categorical_cross_entropy_grad(logits, labels), what="categorical_cross_entropy_grad at logits +-1000", rtol=1e-7, atol=1e-12)


def test_bad_label_shape_raises():
    assert_raises(ValueError, mine.categorical_cross_entropy, np.zeros((4, 3)), np.zeros((4, 2)),
                  what="categorical_cross_entropy with (4, 2) targets for (4, 3) logits")
    # a column of labels broadcasts against the logits unless the shape is checked
    column = np.array([[0.0], [2.0], [1.0], [0.0]])
    for name in ("categorical_cross_entropy", "categorical_cross_entropy_grad"):
        assert_raises(ValueError, getattr(mine, name), np.zeros((4, 3)), column,
                      what=f"{name} with (4, 1) labels for (4, 3) logits (labels are (N,) or (N, K))")
    assert_raises(ValueError, mine.categorical_cross_entropy_grad, np.zeros((4, 3)), np.zeros((4, 2)),
                  what="categorical_cross_entropy_grad with (4, 2) targets for (4, 3) logits")


def test_penalties_and_gradients():
    w = rng.normal(size=(3, 4))
    w[0, 0] = 0.0
    for name in ("l1_penalty", "l1_grad", "l2_penalty", "l2_grad"):
        assert_matches(getattr(mine, name)(w, 0.3), getattr(ref, name)(w, 0.3), what=f"{name} on a 3x4 weight matrix, lam=0.3", rtol=1e-9)
    assert_matches(mine.l2_grad(w, 0.3), numerical_gradient(lambda v: mine.l2_penalty(v, 0.3), w),
                   what="l2_grad vs central differences of your l2_penalty", rtol=1e-5, atol=1e-8)


def test_bce_at_p_exactly_0_and_1_uses_the_clipped_p():
    p, y = np.array([0.0, 0.0, 1.0, 1.0, 0.5]), np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    with np.errstate(all="ignore"):
        loss, grad = mine.binary_cross_entropy(p, y), mine.binary_cross_entropy_grad(p, y)
    _finite(grad, "binary_cross_entropy_grad at p exactly 0 and 1 (clip p before dividing by p (1 - p))")
    assert_matches(loss, ref.binary_cross_entropy(p, y), what="binary_cross_entropy at p exactly 0 and 1", rtol=1e-9)
    assert_matches(grad, ref.binary_cross_entropy_grad(p, y), what="binary_cross_entropy_grad at p exactly 0 and 1 "
                   "(the gradient at the clipped p)", rtol=1e-6)
    for name in ("binary_cross_entropy", "binary_cross_entropy_grad"):
        assert_matches(getattr(mine, name)(p, y, eps=1e-3), getattr(ref, name)(p, y, eps=1e-3),
                       what=f"{name} with eps=1e-3 (clip to [eps, 1 - eps] with the eps given)", rtol=1e-9)


def test_log_softmax_at_extreme_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]])
    with np.errstate(all="ignore"):
        got = mine.log_softmax(z)
    _finite(got, "log_softmax at logits +-1000 (subtract the row maximum; log(softmax) gives log 0 = -inf)")
    assert_matches(got, ref.log_softmax(z), what="log_softmax at logits +-1000", rtol=1e-12)


def test_float32_and_integer_inputs_give_python_floats_and_float64_gradients():
    z32 = rng.normal(size=(4, 3)).astype(np.float32)
    t32 = rng.normal(size=(4, 3)).astype(np.float32)
    p32, y = rng.uniform(0.1, 0.9, size=5).astype(np.float32), np.array([1, 0, 1, 1, 0])
    labels = np.array([0, 2, 1, 2], dtype=np.uint8)
    arrays = (("mse_grad", (z32, t32)), ("sigmoid", (z32,)), ("sigmoid", (np.array([-3, 0, 5]),)), ("log_softmax", (z32,)),
              ("softmax", (z32,)), ("binary_cross_entropy_grad", (p32, y)), ("binary_cross_entropy_with_logits_grad", (p32, y)),
              ("categorical_cross_entropy_grad", (z32, labels)), ("l1_grad", (z32, 0.5)), ("l2_grad", (z32, 0.5)),
              ("l2_grad", (np.array([1, -2, 3]), 2)))
    for name, args in arrays:
        assert_matches(getattr(mine, name)(*args), getattr(ref, name)(*args), what=f"{name} of {args[0].dtype} input "
                       "(gradients and activations are float64)", rtol=1e-6, atol=1e-9)
    scalars = (("mse", (z32, t32)), ("binary_cross_entropy", (p32, y)), ("binary_cross_entropy_with_logits", (p32, y)),
               ("categorical_cross_entropy", (z32, labels)), ("l1_penalty", (z32, 0.5)), ("l2_penalty", (z32, 0.5)))
    for name, args in scalars:
        got = getattr(mine, name)(*args)
        assert isinstance(got, float), f"{name} of float32 input should return a Python float, got {type(got).__name__}"
        assert_matches(got, getattr(ref, name)(*args), what=f"{name} of float32 input", rtol=1e-6)


def test_inputs_are_left_unchanged():
    z = rng.normal(scale=3, size=(4, 3))
    p, y = np.array([0.0, 0.3, 1.0, 0.7]), np.array([1.0, 0.0, 1.0, 0.0])
    w = rng.normal(size=5)
    keep = [a.copy() for a in (z, p, y, w)]
    for name, args in (("log_softmax", (z,)), ("softmax", (z,)), ("categorical_cross_entropy", (z, np.array([0, 1, 2, 0]))),
                       ("categorical_cross_entropy_grad", (z, np.array([0, 1, 2, 0]))), ("sigmoid", (p,)),
                       ("binary_cross_entropy", (p, y)), ("binary_cross_entropy_grad", (p, y)), ("l1_grad", (w, 0.1)),
                       ("l2_grad", (w, 0.1)), ("mse_grad", (w, w[::-1]))):
        getattr(mine, name)(*args)
        for label, a, b in zip(("logits", "p", "y", "w"), (z, p, y, w), keep):
            assert np.array_equal(a, b), f"{name} changed the caller's {label} array (clip or shift a copy, not in place)"


def test_sigmoid_of_a_scalar_at_the_extremes():
    for z in (-800.0, 800.0, -745.5, 0.0):
        try:
            with np.errstate(over="raise"):
                got = mine.sigmoid(z)
        except (OverflowError, FloatingPointError):
            raise Mismatch(f"sigmoid({z}) of a Python float overflows: exp must never see a large positive argument") from None
        assert_matches(np.asarray(got, dtype=np.float64), np.asarray(ref.sigmoid(z)), what=f"sigmoid({z}) of a Python float",
                       rtol=1e-12, atol=0)


def test_bce_of_float32_probabilities_at_0_and_1():
    # in float32, 1 - 1e-12 rounds to 1: clipping a float32 p leaves p = 1 and p (1 - p) = 0, so convert to
    # float64 before clipping
    p, y = np.array([0.0, 1.0, 0.25, 1.0], dtype=np.float32), np.array([1.0, 0.0, 1.0, 1.0], dtype=np.float32)
    with np.errstate(all="ignore"):
        grad, loss = mine.binary_cross_entropy_grad(p, y), mine.binary_cross_entropy(p, y)
    _finite(grad, "binary_cross_entropy_grad of float32 p with entries exactly 0 and 1 (clip in float64)")
    assert_matches(grad, ref.binary_cross_entropy_grad(p, y), what="binary_cross_entropy_grad of float32 p and y with "
                   "entries exactly 0 and 1 (float64, clipped in float64)", rtol=1e-6)
    assert_matches(loss, ref.binary_cross_entropy(p, y), what="binary_cross_entropy of float32 p and y with entries "
                   "exactly 0 and 1", rtol=1e-6)
