"""Visible tests for Exercise 2.1 (losses and regularization). Run: make phase2"""
import numpy as np
import pytest

from grader.numeric import numerical_gradient
from grader.target import exercise

losses = exercise("2.1")


def test_mse_by_hand():
    assert losses.mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])) == pytest.approx((0 + 4 + 9) / 3)


def test_mse_grad_matches_finite_differences():
    pred, target = np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(losses.mse_grad(pred, target), numerical_gradient(lambda p: losses.mse(p, target), pred), atol=1e-6)


def test_sigmoid_values_and_no_overflow():
    np.testing.assert_allclose(losses.sigmoid(np.array([0.0, np.log(3.0)])), [0.5, 0.75])
    with np.errstate(over="raise"):
        out = losses.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 1.0])


def test_binary_cross_entropy_by_hand_and_clipped():
    p, y = np.array([0.9, 0.2]), np.array([1.0, 0.0])
    assert losses.binary_cross_entropy(p, y) == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)
    assert np.isfinite(losses.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])))


def test_bce_from_logits_equals_bce_of_sigmoid():
    z, y = np.array([-2.0, 0.5, 3.0]), np.array([0.0, 1.0, 1.0])
    p = 1 / (1 + np.exp(-z))
    assert losses.binary_cross_entropy_with_logits(z, y) == pytest.approx(losses.binary_cross_entropy(p, y))
    np.testing.assert_allclose(losses.binary_cross_entropy_with_logits_grad(z, y), (p - y) / 3)


def test_log_softmax_rows_and_shift_invariance():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(np.exp(losses.log_softmax(z)).sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(losses.softmax(z + 100.0), losses.softmax(z))
    np.testing.assert_allclose(losses.softmax(z)[1], [1 / 3] * 3)


def test_categorical_cross_entropy_labels_or_one_hot():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    expected = -(np.log(np.exp(2) / (np.exp(2) + 2)) + np.log(1 / 3)) / 2
    assert losses.categorical_cross_entropy(logits, np.array([0, 2])) == pytest.approx(expected)
    assert losses.categorical_cross_entropy(logits, np.eye(3)[[0, 2]]) == pytest.approx(expected)


def test_categorical_cross_entropy_grad_matches_finite_differences():
    logits, labels = np.array([[0.3, -1.0, 2.0], [1.5, 0.2, -0.4]]), np.array([2, 0])
    numeric = numerical_gradient(lambda z: losses.categorical_cross_entropy(z, labels), logits)
    np.testing.assert_allclose(losses.categorical_cross_entropy_grad(logits, labels), numeric, atol=1e-6)


def test_extreme_logits_stay_finite():
    logits, labels = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), np.array([1, 1])
    with np.errstate(all="ignore"):
        loss, grad = losses.categorical_cross_entropy(logits, labels), losses.categorical_cross_entropy_grad(logits, labels)
    assert loss == pytest.approx(1000.0)
    assert np.isfinite(grad).all()
    z, y = np.array([1000.0, -1000.0]), np.array([0.0, 1.0])
    assert losses.binary_cross_entropy_with_logits(z, y) == pytest.approx(1000.0)


def test_penalties_and_their_gradients():
    w = np.array([1.0, -2.0, 0.0])
    assert losses.l1_penalty(w, 0.5) == pytest.approx(1.5)
    np.testing.assert_allclose(losses.l1_grad(w, 0.5), [0.5, -0.5, 0.0])
    assert losses.l2_penalty(w, 0.5) == pytest.approx(0.5 * 0.5 * 5)
    np.testing.assert_allclose(losses.l2_grad(w, 0.5), [0.5, -1.0, 0.0])
