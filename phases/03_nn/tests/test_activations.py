"""Visible tests for Exercise 3.1 (activations). Run: make phase3"""
import numpy as np
import pytest

from grader.target import exercise

act = exercise("3.1")


def test_sigmoid_values_and_stability():
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s = act.sigmoid(z)
    np.testing.assert_allclose(s, [0.0, 0.2689414213699951, 0.5, 0.7310585786300049, 1.0], atol=1e-12)


def test_sigmoid_grad_peaks_at_a_quarter():
    np.testing.assert_allclose(act.sigmoid_grad(np.array([0.0, 2.0])), [0.25, 0.10499358540350652], atol=1e-12)


def test_tanh_and_its_derivative():
    z = np.array([0.0, 0.5])
    np.testing.assert_allclose(act.tanh(z), np.tanh(z))
    np.testing.assert_allclose(act.tanh_grad(z), [1.0, 1 - np.tanh(0.5) ** 2])


def test_relu_and_leaky_relu():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu_grad(z), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(act.leaky_relu(z, 0.1), [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(act.leaky_relu_grad(z, 0.1), [0.1, 0.1, 1.0])


def test_gelu_both_forms():
    z = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(act.gelu(z, approximate="none"), [-0.15865525393145707, 0.0, 0.8413447460685429], atol=1e-12)
    np.testing.assert_allclose(act.gelu(z, approximate="tanh"), [-0.15880800939172324, 0.0, 0.8411919906082768], atol=1e-12)
    with pytest.raises(ValueError):
        act.gelu(z, approximate="cubic")


def test_gelu_grad_matches_central_difference():
    z, h = np.linspace(-3, 3, 13), 1e-6
    for form in ("none", "tanh"):
        numeric = (act.gelu(z + h, form) - act.gelu(z - h, form)) / (2 * h)
        np.testing.assert_allclose(act.gelu_grad(z, form), numeric, atol=1e-7)


def test_softmax_is_stable_and_sums_to_one_along_axis():
    z = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(act.softmax(z), [[0.5, 0.5], [0.25, 0.75]])
    np.testing.assert_allclose(act.softmax(z, axis=0).sum(axis=0), [1.0, 1.0])


def test_log_softmax_stays_finite_where_softmax_underflows():
    out = act.log_softmax(np.array([0.0, -1000.0]))
    np.testing.assert_allclose(out, [0.0, -1000.0])


def test_softmax_jacobian_rows_sum_to_zero():
    J = act.softmax_jacobian(np.array([0.0, np.log(3.0)]))
    np.testing.assert_allclose(J, [[0.1875, -0.1875], [-0.1875, 0.1875]])


def test_softmax_backward_is_not_elementwise():
    z, g = np.array([0.0, np.log(3.0)]), np.array([1.0, 0.0])
    # s = [1/4, 3/4]; dz = s * (g - g.s) = [1/4 * 3/4, 3/4 * (-1/4)]
    np.testing.assert_allclose(act.softmax_backward(z, g), [0.1875, -0.1875])


def test_float32_stays_float32():
    z = np.array([-1.0, 2.0], dtype=np.float32)
    for f in (act.sigmoid, act.relu, act.tanh, act.softmax, act.sigmoid_grad):
        assert f(z).dtype == np.float32, f.__name__
