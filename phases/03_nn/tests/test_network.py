"""Visible tests for Exercise 3.3 (NeuralNetwork with manual backprop). Run: make phase3"""
import numpy as np
import pytest

from grader.target import exercise

network = exercise("3.3")


def test_parameter_count_of_an_mnist_mlp():
    assert network.NeuralNetwork([784, 256, 128, 10]).parameter_count() == 235_146


def test_shapes_of_weights_biases_and_logits():
    net = network.NeuralNetwork([4, 5, 3], "tanh", seed=0)
    assert [W.shape for W in net.weights] == [(4, 5), (5, 3)]
    assert [b.shape for b in net.biases] == [(5,), (3,)]
    assert net.forward(np.ones((7, 4))).shape == (7, 3)


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError):
        network.NeuralNetwork([2, 2], "swish")


def test_initial_loss_is_near_log_of_class_count():
    rng = np.random.default_rng(0)
    net = network.NeuralNetwork([20, 32, 10], "relu", seed=0)
    for W in net.weights:
        W *= 0.01
    assert net.loss(rng.normal(size=(50, 20)), rng.integers(0, 10, 50)) == pytest.approx(np.log(10), abs=0.01)


def test_backward_matches_central_differences_for_one_weight():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(5, 3)), np.array([0, 1, 2, 1, 0])
    net = network.NeuralNetwork([3, 4, 3], "sigmoid", seed=2)
    net.forward(X)
    gW, gb = net.backward(y)
    h = 1e-6
    net.weights[0][1, 2] += h
    plus = net.loss(X, y)
    net.weights[0][1, 2] -= 2 * h
    minus = net.loss(X, y)
    net.weights[0][1, 2] += h
    assert gW[0][1, 2] == pytest.approx((plus - minus) / (2 * h), abs=1e-7)


def test_training_separates_two_blobs():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(-2, 1, size=(50, 2)), rng.normal(2, 1, size=(50, 2))])
    y = np.repeat([0, 1], 50)
    net = network.NeuralNetwork([2, 8, 2], "relu", seed=0)
    losses = net.train(X, y, epochs=10, lr=0.1, batch_size=10, seed=0)
    assert len(losses) == 10 and losses[-1] < losses[0]
    assert (net.predict(X) == y).mean() >= 0.95
