"""Hidden checks for Exercise 1.2: learner vs reference on inputs the visible tests do not use."""
import numpy as np
from hypothesis import given, settings, strategies as st

from grader.compare import assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("1.2"), reference("1.2")
FUNCTIONS = {
    "exp": np.exp, "cube": lambda x: x ** 3, "tanh": np.tanh, "log(1+x^2)": lambda x: np.log1p(x * x),
}


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-2, 2), name=st.sampled_from(sorted(FUNCTIONS)))
def test_derivative_matches_reference(x, name):
    f = FUNCTIONS[name]
    assert_matches(mine.derivative(f, x), ref.derivative(f, x), what=f"derivative({name}, x={x:.3g})", rtol=1e-6, atol=1e-8)


def test_derivative_step_size_is_respected():
    # with a large h the central difference of x^3 is 3x^2 + h^2: a learner that ignores h differs
    f = lambda x: x ** 3
    assert_matches(mine.derivative(f, 1.0, h=0.1), ref.derivative(f, 1.0, h=0.1), what="derivative(x^3, 1, h=0.1)", rtol=1e-9)


def test_gradient_matches_reference_on_random_function():
    rng = np.random.default_rng(12)
    W = rng.normal(size=(3, 4))
    f = lambda v: float(np.sum(np.tanh(W * v)))
    x = rng.normal(size=(3, 4))
    before = x.copy()
    assert_matches(mine.gradient(f, x), ref.gradient(f, x), what="gradient of sum(tanh(W * x)) at a 3x4 point", rtol=1e-6, atol=1e-9)
    assert np.array_equal(x, before), "gradient modified the caller's x"


def test_gradient_of_float32_input_is_float64():
    x = np.array([0.5, 1.5], dtype=np.float32)
    assert_matches(mine.gradient(lambda v: float(v @ v), x), ref.gradient(lambda v: float(v @ v), x), what="gradient for float32 x", rtol=1e-6)


def test_jacobian_matches_reference():
    rng = np.random.default_rng(3)
    x = rng.normal(size=4)
    f = lambda v: np.array([v[0] * v[1], np.sin(v[2]), v @ v, np.exp(v[3] - v[0])])
    assert_matches(mine.jacobian(f, x), ref.jacobian(f, x), what="jacobian of a 4->4 map", rtol=1e-6, atol=1e-9)
    g = lambda v: np.array([v.sum(), (v ** 2).sum()])  # 4 -> 2: a transposed result has the wrong shape
    assert_matches(mine.jacobian(g, x), ref.jacobian(g, x), what="jacobian of a 4->2 map", rtol=1e-6, atol=1e-9)


def test_jacobian_of_scalar_function_is_a_row():
    x = np.array([1.0, 2.0, 3.0])
    assert_matches(mine.jacobian(lambda v: float(v @ v), x), ref.jacobian(lambda v: float(v @ v), x), what="jacobian of a scalar function", rtol=1e-6)


def test_gradient_check_is_relative():
    rng = np.random.default_rng(5)
    x = rng.normal(size=5)
    f = lambda v: 1e4 * float(np.sum(v ** 3))
    exact = 3e4 * x ** 2
    for analytic, label in ((exact, "exact gradient"), (exact * 1.01, "gradient 1% too large"), (exact[::-1].copy(), "permuted gradient")):
        assert_matches(mine.gradient_check(f, analytic, x), ref.gradient_check(f, analytic, x), what=f"gradient_check with a {label}", rtol=1e-3, atol=1e-8)


def test_gradient_check_rejects_shape_mismatch():
    assert_raises(ValueError, mine.gradient_check, lambda v: float(v.sum()), np.ones(3), np.ones(4), what="gradient_check with a (3,) gradient for a (4,) x")


def test_derivative_rejects_zero_and_negative_steps():
    for h in (0.0, -1e-5):
        assert_raises(ValueError, mine.derivative, np.sin, 0.3, h=h, what=f"derivative(sin, 0.3, h={h}) (h <= 0 is an error)")


def test_derivative_returns_a_python_float():
    for f, label in ((lambda x: np.float32(x) ** 2, "a function returning float32"), (lambda x: np.int64(3), "a constant "
                     "function returning a NumPy int")):
        got = mine.derivative(f, 1.5)
        assert isinstance(got, float), f"derivative of {label} should be a Python float, got {type(got).__name__}"
        assert_matches(got, ref.derivative(f, 1.5), what=f"derivative of {label} at 1.5", rtol=1e-2)


def test_integer_points_are_differentiated_in_float64():
    # an integer x must not stay integer: x + h would round back to x
    x = np.array([[1, -2], [3, 0]])
    f = lambda v: float(np.sum(v ** 3))
    assert_matches(mine.gradient(f, x), ref.gradient(f, x), what="gradient at an integer 2x2 point (float64 result)", rtol=1e-6)
    g = lambda v: np.array([v[0] * v[1], v[2] ** 2])
    x = np.array([2, -1, 3])
    assert_matches(mine.jacobian(g, x), ref.jacobian(g, x), what="jacobian at an integer point (float64 result)", rtol=1e-6)


def test_caller_arrays_are_left_bit_for_bit_unchanged():
    # x + h - 2h + h is not x in floating point: restoring a coordinate by arithmetic changes it
    x = np.array([0.1, 0.7, 1e-3, 3.3, -2.9, 123.456])
    before = x.copy()
    f = lambda v: float(np.sum(np.sin(v)))
    mine.gradient(f, x)
    assert np.array_equal(x, before), "gradient changed the caller's x (restore the saved value, or work on a copy)"
    mine.jacobian(lambda v: np.sin(v), x)
    assert np.array_equal(x, before), "jacobian changed the caller's x"
    analytic = np.cos(x)
    mine.gradient_check(f, analytic, x)
    assert np.array_equal(x, before) and np.array_equal(analytic, np.cos(before)), "gradient_check changed x or the analytic gradient"


def test_gradient_check_extremes():
    x = np.array([0.5, -1.0, 2.0])
    zero = mine.gradient_check(lambda v: 7.0, np.zeros(3), x)
    assert_matches(zero, 0.0, what="gradient_check of a constant function with a zero gradient (0/0 needs the 1e-12 floor)", atol=1e-12)
    f = lambda v: float(v @ v)
    assert_matches(mine.gradient_check(f, np.zeros(3), x), ref.gradient_check(f, np.zeros(3), x),
                   what="gradient_check with an all-zero analytic gradient for a non-zero gradient (divide by the larger of the two)",
                   rtol=1e-6)
    g = lambda v: 1e-15 * float(v @ v)
    assert_matches(mine.gradient_check(g, 2e-15 * x, x), ref.gradient_check(g, 2e-15 * x, x),
                   what="gradient_check with gradients about 1e-15", rtol=1e-3, atol=1e-6)


def test_gradient_check_compares_shapes_not_sizes():
    assert_raises(ValueError, mine.gradient_check, lambda v: float(v.sum()), np.ones((1, 4)), np.ones(4),
                  what="gradient_check with a (1, 4) gradient for a (4,) x (same size, different shape)")


# --- the step h is the caller's, in every function ---

def test_step_size_reaches_gradient_jacobian_and_gradient_check():
    # with h = 0.1 the central difference of v^3 is 3 v^2 + h^2: a fixed or default step gives 3 v^2
    x = np.array([1.0, -0.5, 2.0])
    f = lambda v: float(np.sum(v ** 3))
    hint = " (pass h on: a fixed step, or a call to derivative/gradient without h, ignores it)"
    assert_matches(mine.gradient(f, x, h=0.1), ref.gradient(f, x, h=0.1), what="gradient(sum v^3, h=0.1)" + hint,
                   rtol=1e-9)
    g = lambda v: v ** 3
    assert_matches(mine.jacobian(g, x, h=0.1), ref.jacobian(g, x, h=0.1), what="jacobian(v^3, h=0.1)" + hint, rtol=1e-9,
                   atol=1e-12)
    exact = 3 * x ** 2
    assert_matches(mine.gradient_check(f, exact, x, h=0.1), ref.gradient_check(f, exact, x, h=0.1),
                   what="gradient_check(sum v^3, exact gradient, h=0.1)" + hint, rtol=1e-6)


# --- any shape, any memory layout ---

def test_gradient_of_any_shape_and_layout():
    f = lambda v: float(np.sum(np.sin(v) * np.arange(1, v.size + 1).reshape(v.shape)))
    base = np.random.default_rng(8).normal(size=(3, 4))
    for x, label in ((np.array(0.7), "a 0-d point"), (np.array([0.7]), "a (1,) point"),
                     (base.reshape(2, 3, 2), "a 2x3x2 point"), (base.T, "a transposed (Fortran-order) 4x3 point"),
                     (base[:, ::2], "a strided 3x2 slice")):
        before = x.copy()
        assert_matches(mine.gradient(f, x), ref.gradient(f, x), what=f"gradient at {label} (perturb the array f sees, "
                       "not a reshaped copy of it)", rtol=1e-6, atol=1e-9)
        assert_matches(x, before, what=f"the caller's x after gradient at {label}", rtol=0, atol=0)


# --- gradient_check: the largest error over the largest gradient, not the largest per-entry ratio ---

def test_gradient_check_divides_by_one_global_scale():
    # a tiny component (3e-6) computed wrong: large relative to itself, negligible next to the largest (12)
    x = np.array([1e-3, 1.0, 2.0])
    f = lambda v: float(np.sum(v ** 3))
    analytic = np.array([0.0, 3.0, 12.0])
    assert_matches(mine.gradient_check(f, analytic, x), ref.gradient_check(f, analytic, x),
                   what="gradient_check with one tiny component off (max |a - n| / max(max |a|, max |n|), one scale "
                        "for all entries)", rtol=1e-3, atol=1e-9)


def test_step_is_absolute_far_from_zero():
    # the step is h itself at any x: a step scaled by |x| ("relative" step) moves the central difference of
    # sin far from that of the reference once |x| >> 1
    for x in (100.0, -250.0):
        assert_matches(mine.derivative(np.sin, x, h=1e-3), ref.derivative(np.sin, x, h=1e-3),
                       what=f"derivative(sin, x={x}, h=1e-3) (the step is h, not h scaled by |x|)", rtol=1e-7)
    v = np.array([120.0, -0.5, 300.0])
    f = lambda u: float(np.sum(np.sin(u)))
    assert_matches(mine.gradient(f, v, h=1e-3), ref.gradient(f, v, h=1e-3),
                   what="gradient(sum sin, h=1e-3) at coordinates of size 100 (the step is h in every coordinate)",
                   rtol=1e-7, atol=1e-9)


def test_jacobian_of_functions_that_return_a_view_of_their_input():
    # f(v) = v and f(v) = v[::-1] hand back views of the array they were given: evaluating f at a point and then
    # moving that same array to the next point changes the first result too
    x = np.array([0.5, -1.0, 2.0])
    for f, label in ((lambda v: v, "the identity"), (lambda v: v[::-1], "v[::-1]"), (lambda v: v[1:], "v[1:]")):
        assert_matches(mine.jacobian(f, x), ref.jacobian(f, x), what=f"jacobian of {label} (f returns a view of its "
                       "input: evaluate f at a new array for every point, or copy its result)", rtol=1e-9, atol=1e-9)
