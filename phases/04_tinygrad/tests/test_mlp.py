"""Visible tests for Exercise 4.1 (TinygradNN). Run: make phase4"""
import math

import numpy as np
import pytest
from tinygrad import Tensor
from tinygrad.nn.optim import SGD

from grader.target import exercise

mlp = exercise("4.1")


def test_default_layer_shapes_and_parameter_order():
    model = mlp.TinygradNN()
    params = model.parameters()
    assert [tuple(p.shape) for p in params] == [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]
    assert params[0] is model.weights[0] and params[1] is model.biases[0]


def test_kaiming_normal_scale_and_zero_bias():
    Tensor.manual_seed(1)
    model = mlp.TinygradNN((784, 256, 128, 10))
    w1 = model.weights[0].numpy()
    assert w1.dtype == np.float32
    assert w1.std() == pytest.approx(math.sqrt(2 / 784), rel=0.05)   # N(0, 2/fan_in)
    assert abs(w1.mean()) < 0.002
    assert not model.biases[0].numpy().any()


def test_forward_is_relu_mlp_with_raw_logits():
    Tensor.manual_seed(2)
    model = mlp.TinygradNN((6, 5, 4, 3))
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6)
    W = [w.numpy() for w in model.weights]
    h = np.maximum(x @ W[0], 0)
    h = np.maximum(h @ W[1], 0)
    expected = h @ W[2]                     # biases start at zero; no ReLU after the last layer
    np.testing.assert_allclose(model(Tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_forward_flattens_image_batches():
    model = mlp.TinygradNN((4, 3, 2))
    assert model(Tensor.ones(5, 2, 2)).shape == (5, 2)


def test_train_step_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int32)
    Tensor.manual_seed(0)
    model = mlp.TinygradNN((8, 16, 2))
    step = mlp.make_train_step(model, SGD(model.parameters(), lr=0.5))
    losses = [step(Tensor(X), Tensor(y)).item() for _ in range(25)]
    assert losses[-1] < 0.5 * losses[0]
    assert mlp.evaluate(model, X, y, batch_size=16) > 0.9


def test_evaluate_counts_argmax_hits():
    model = mlp.TinygradNN((2, 2))
    model.weights[0].assign(Tensor([[1.0, 0.0], [0.0, 1.0]])).realize()   # logits = x: the class is the larger coordinate
    X = np.array([[1, 0], [0, 1], [2, 1], [0, 3], [5, 4]], dtype=np.float32)
    assert mlp.evaluate(model, X, np.array([0, 1, 0, 0, 0]), batch_size=2) == pytest.approx(0.8)


def test_evaluate_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        mlp.evaluate(mlp.TinygradNN((2, 2)), np.zeros((3, 2), np.float32), np.zeros(2, np.int64))
