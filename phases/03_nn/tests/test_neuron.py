"""Visible tests for Exercise 3.2 (one neuron by hand, XOR). Run: make phase3"""
import numpy as np
import pytest

from grader.numeric import numerical_gradient as _numeric
from grader.target import exercise

neuron = exercise("3.2")


def test_forward_of_zero_weights_is_one_half():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(neuron.neuron_forward(np.zeros(2), 0.0, X), [0.5, 0.5])


def test_bce_loss_of_a_coin_flip_is_log_two():
    assert neuron.bce_loss(np.array([0.5, 0.5]), np.array([0.0, 1.0])) == pytest.approx(np.log(2))


def test_bce_loss_rejects_shape_mismatch():
    with pytest.raises(ValueError):
        neuron.bce_loss(np.array([0.5, 0.5]), np.array([1.0]))


def test_neuron_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    X, y, w, b = rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0.0]), rng.normal(size=3), 0.3
    dw, db = neuron.neuron_gradients(w, b, X, y)
    np.testing.assert_allclose(dw, _numeric(lambda v: neuron.bce_loss(neuron.neuron_forward(v, b, X), y), w), atol=1e-7)
    assert db == pytest.approx(float(_numeric(lambda v: neuron.bce_loss(neuron.neuron_forward(w, float(v), X), y), np.array(b))), abs=1e-7)


def test_two_layer_gradients_have_the_parameter_shapes():
    params = neuron.init_two_layer(2, 3, seed=1)
    grads = neuron.two_layer_gradients(params, neuron.XOR_X, neuron.XOR_Y)
    assert {k: np.shape(v) for k, v in grads.items()} == {k: np.shape(v) for k, v in params.items()}


def test_xor_is_solved():
    params = neuron.train_xor()
    p = neuron.two_layer_forward(params, neuron.XOR_X)
    np.testing.assert_array_equal(p > 0.5, [False, True, True, False])
