"""Hidden checks for Exercise 3.1: learner vs reference, derivatives vs central differences."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("3.1"), reference("3.1")
ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu"]
rng = np.random.default_rng(31)
Z64 = rng.normal(0, 3, size=(4, 5))
Z32 = Z64.astype(np.float32)


@pytest.mark.parametrize("name", ELEMENTWISE + ["gelu"])
def test_forward_matches_reference(name):
    for z in (Z64, Z32):
        assert_matches(getattr(mine, name)(z), getattr(ref, name)(z), what=f"{name}(z) for a 4x5 {z.dtype} z",
                       rtol=1e-5 if z.dtype == np.float32 else 1e-9, atol=1e-6)
    for form in ("none", "tanh"):
        assert_matches(mine.gelu(Z64, approximate=form), ref.gelu(Z64, approximate=form), what=f"gelu(z, {form!r})", rtol=1e-9)


@pytest.mark.parametrize("name", ELEMENTWISE + ["gelu"])
def test_derivative_matches_central_difference(name):
    z = np.linspace(-4, 4, 17) + 0.013  # avoid the kink of relu at 0
    forms = ("none", "tanh") if name == "gelu" else (None,)
    for form in forms:
        kw = {} if form is None else {"approximate": form}
        f = getattr(ref, name)
        numeric = np.array([numerical_gradient(lambda v: float(f(v, **kw)[0]), np.array([zi]))[0] for zi in z])
        assert_matches(getattr(mine, name + "_grad")(z, **kw), numeric, what=f"{name}_grad(z){' ' + form if form else ''} vs central differences",
                       rtol=1e-5, atol=1e-7)


def test_leaky_relu_respects_alpha():
    assert_matches(mine.leaky_relu(Z64, 0.2), ref.leaky_relu(Z64, 0.2), what="leaky_relu(z, alpha=0.2)")
    assert_matches(mine.leaky_relu_grad(Z64, 0.2), ref.leaky_relu_grad(Z64, 0.2), what="leaky_relu_grad(z, alpha=0.2)")


def test_sigmoid_is_stable_for_huge_inputs():
    z = np.array([-800.0, -50.0, 50.0, 800.0])
    with np.errstate(over="raise", invalid="raise"):
        try:
            got = mine.sigmoid(z)
        except FloatingPointError:
            raise Mismatch("sigmoid overflowed in exp for |z| = 800: exponentiate only -|z|") from None
    assert_matches(got, ref.sigmoid(z), what="sigmoid at |z| up to 800", rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_any_axis(axis):
    z = rng.normal(0, 5, size=(3, 4, 5)) + 700  # large offset: needs the max-shift
    with np.errstate(over="ignore", invalid="ignore"):
        assert_matches(mine.softmax(z, axis=axis), ref.softmax(z, axis=axis), what=f"softmax(z, axis={axis}) of a 3x4x5 z near 700", rtol=1e-9, atol=1e-12)
        assert_matches(mine.log_softmax(z, axis=axis), ref.log_softmax(z, axis=axis), what=f"log_softmax(z, axis={axis})", rtol=1e-9, atol=1e-9)
    extreme = np.array([0.0, -2000.0, 5.0])
    with np.errstate(all="ignore"):
        assert_matches(mine.log_softmax(extreme), ref.log_softmax(extreme), what="log_softmax with a -2000 entry (log(softmax) gives -inf)", rtol=1e-9)


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_backward_is_the_jacobian_product(axis):
    z, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss = lambda v: float((ref.softmax(v, axis=axis) * g).sum())
    assert_matches(mine.softmax_backward(z, g, axis=axis), numerical_gradient(loss, z), what=f"softmax_backward(z, g, axis={axis}) vs central differences", rtol=1e-5, atol=1e-8)
    loss = lambda v: float((ref.log_softmax(v, axis=axis) * g).sum())
    assert_matches(mine.log_softmax_backward(z, g, axis=axis), numerical_gradient(loss, z), what=f"log_softmax_backward(z, g, axis={axis}) vs central differences", rtol=1e-5, atol=1e-8)


def test_softmax_jacobian():
    z = rng.normal(size=5)
    assert_matches(mine.softmax_jacobian(z), ref.softmax_jacobian(z), what="softmax_jacobian of a 5-vector", rtol=1e-9, atol=1e-12)
    assert_raises(ValueError, mine.softmax_jacobian, np.zeros((2, 2)), what="softmax_jacobian of a 2-D z")
    assert_raises(ValueError, mine.gelu_grad, z, approximate="erf", what="gelu_grad with an unknown form")


def test_integer_input_and_no_mutation():
    z = np.array([-2, 0, 3])
    before = z.copy()
    for name in ("sigmoid", "relu", "tanh", "softmax"):
        assert_matches(getattr(mine, name)(z), getattr(ref, name)(z), what=f"{name} of an int64 array (computed in float64)", rtol=1e-12)
    assert np.array_equal(z, before), "an activation modified its input"


def test_sigmoid_of_a_scalar_at_the_extremes():
    for z in (-800.0, 800.0, np.float64(-800.0), np.array(-800.0), np.float32(-100.0)):
        with np.errstate(over="raise", invalid="raise"):
            try:
                got = mine.sigmoid(z)
                slope = mine.sigmoid_grad(z)
            except FloatingPointError:
                raise Mismatch(f"sigmoid overflowed in exp for the scalar {z!r}: exponentiate only -|z|") from None
        assert_matches(np.asarray(got), np.asarray(ref.sigmoid(z)), what=f"sigmoid({z!r}) (a scalar: a 0-d result)", rtol=1e-12, atol=1e-30)
        assert_matches(np.asarray(slope), np.asarray(ref.sigmoid_grad(z)), what=f"sigmoid_grad({z!r})", rtol=1e-12, atol=1e-30)
    z = np.array([-1000.0, 1000.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        try:
            got = mine.sigmoid(z)
        except FloatingPointError:
            raise Mismatch("sigmoid overflowed for a float32 z of +-1000") from None
    assert_matches(got, ref.sigmoid(z), what="sigmoid of a float32 z at +-1000", atol=0)


def test_derivatives_at_exactly_zero_follow_the_documented_convention():
    z = np.array([-1.0, 0.0, -0.0, 2.0])
    assert_matches(mine.relu_grad(z), ref.relu_grad(z), what="relu_grad at z = 0 (documented: 1 only where z > 0)", atol=0)
    assert_matches(mine.leaky_relu_grad(z, 0.2), ref.leaky_relu_grad(z, 0.2), what="leaky_relu_grad(z, 0.2) at z = 0 (alpha where z <= 0)", atol=0)
    assert_matches(mine.leaky_relu(z, 0.2), ref.leaky_relu(z, 0.2), what="leaky_relu(z, 0.2) around 0", atol=0)


ALL = {"sigmoid": (), "sigmoid_grad": (), "tanh": (), "tanh_grad": (), "relu": (), "relu_grad": (), "leaky_relu": (),
       "leaky_relu_grad": (), "gelu": (), "gelu_grad": (), "softmax": (), "log_softmax": ()}


@pytest.mark.parametrize("name", sorted(ALL))
def test_dtype_float32_kept_and_integers_in_float64(name):
    z32 = np.array([[-2.5, 0.0, 1.5], [3.0, -0.5, 0.25]], dtype=np.float32)
    assert_matches(getattr(mine, name)(z32), getattr(ref, name)(z32), what=f"{name} of a float32 z (float32 in, float32 out)", rtol=1e-5, atol=1e-6)
    if name.startswith("gelu"):
        assert_matches(getattr(mine, name)(z32, approximate="none"), getattr(ref, name)(z32, approximate="none"),
                       what=f"{name}(z, 'none') of a float32 z (float32 out)", rtol=1e-5, atol=1e-6)
    zi = np.array([[-2, 0, 1], [3, -1, 0]])
    assert_matches(getattr(mine, name)(zi), getattr(ref, name)(zi), what=f"{name} of an int64 z (computed in float64)", rtol=1e-9, atol=1e-12)


def test_backward_functions_keep_float32():
    z, g = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)
    for name in ("softmax_backward", "log_softmax_backward"):
        assert_matches(getattr(mine, name)(z, g), getattr(ref, name)(z, g), what=f"{name} of float32 z and grad_out", rtol=1e-4, atol=1e-6)


def test_no_function_modifies_a_float_z_or_grad_out():
    # an integer z is copied by the cast to float64; a float z is the caller's own array
    for dtype in (np.float64, np.float32):
        z = np.array([[-2.5, 0.0, 1.5], [3.0, -0.5, 0.25]], dtype=dtype)
        g = np.array([[0.5, -1.0, 2.0], [1.0, 0.25, -0.75]], dtype=dtype)
        for name in sorted(ALL) + ["softmax_backward", "log_softmax_backward"]:
            zc, gc = z.copy(), g.copy()
            getattr(mine, name)(zc, gc) if name.endswith("backward") else getattr(mine, name)(zc)
            assert_matches(zc, z, atol=0,
                           what=f"the caller's {dtype.__name__} z after {name}(z) (shifted or clipped in place?)")
            assert_matches(gc, g, what=f"the caller's grad_out after {name}", atol=0)


def test_log_softmax_shifts_each_slice_by_its_own_max():
    # rows about 1000 apart: one shift for the whole array underflows every row but the largest
    z = np.array([[0.0, 1.0, 2.0], [1000.0, 1001.0, 999.0], [-1000.0, -999.0, -1001.5]])
    with np.errstate(all="ignore"):
        for axis in (-1, 0):
            zz = z if axis == -1 else z.T
            assert_matches(mine.log_softmax(zz, axis=axis), ref.log_softmax(zz, axis=axis), rtol=1e-9,
                           what=f"log_softmax(z, axis={axis}) with slices about 1000 apart (max per slice?)")
            assert_matches(mine.softmax(zz, axis=axis), ref.softmax(zz, axis=axis), rtol=1e-9, atol=1e-300,
                           what=f"softmax(z, axis={axis}) with slices about 1000 apart (max per slice?)")


def test_tanh_and_its_derivative_stay_finite_at_the_extremes():
    z = np.array([-800.0, -30.0, 0.5, 30.0, 800.0])
    with np.errstate(all="ignore"):
        got, slope = mine.tanh(z), mine.tanh_grad(z)
    assert_matches(got, ref.tanh(z), what="tanh at |z| up to 800 (e^z overflows: use np.tanh or a -|z| form)",
                   rtol=1e-9, atol=1e-12)
    assert_matches(slope, ref.tanh_grad(z), what="tanh_grad at |z| up to 800 (e^z overflows)", rtol=1e-9, atol=1e-12)


def test_gelu_forward_rejects_an_unknown_form_and_jacobian_keeps_float32():
    assert_raises(ValueError, mine.gelu, Z64, approximate="erf", what="gelu with an unknown form")
    z32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    assert_matches(mine.softmax_jacobian(z32), ref.softmax_jacobian(z32), rtol=1e-5, atol=1e-7,
                   what="softmax_jacobian of a float32 z (float32 in, float32 out)")


def test_backward_functions_and_jacobian_are_stable_for_huge_logits():
    # softmax is shift-invariant, so its derivatives are too: each needs the max-shifted softmax
    z = np.array([[1000.0, 999.0, 998.0], [-5.0, 0.0, 5.0]])
    g = np.array([[0.5, -1.0, 2.0], [1.0, 0.25, -0.75]])
    with np.errstate(all="ignore"):
        for name in ("softmax_backward", "log_softmax_backward"):
            assert_matches(getattr(mine, name)(z, g), getattr(ref, name)(z, g), rtol=1e-9, atol=1e-12,
                           what=f"{name} for a row of logits near 1000 (softmax without the max-shift overflows)")
        assert_matches(mine.softmax_jacobian(z[0]), ref.softmax_jacobian(z[0]), rtol=1e-9, atol=1e-12,
                       what="softmax_jacobian of logits near 1000 (softmax without the max-shift overflows)")
