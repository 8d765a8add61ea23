"""Visible tests for Exercise 3.5 (layers with forward/backward). Run: make phase3"""
import numpy as np
import pytest

from grader.target import exercise

layers = exercise("3.5")


def test_initialiser_scales():
    rng = np.random.default_rng(0)
    W = layers.kaiming_init(1000, 400, rng)
    assert W.shape == (1000, 400) and W.std() == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    V = layers.xavier_init(300, 100, rng)
    assert np.abs(V).max() <= np.sqrt(6 / 400) and V.var() == pytest.approx(2 / 400, rel=0.05)


def test_dense_forward_and_bias_gradient_sums_over_batch():
    d = layers.Dense(3, 2, seed=0)
    x = np.ones((4, 3))
    np.testing.assert_allclose(d.forward(x), x @ d.params["W"])
    dx = d.backward(np.ones((4, 2)))
    np.testing.assert_allclose(d.grads["b"], [4.0, 4.0])
    np.testing.assert_allclose(d.grads["W"], np.full((3, 2), 4.0))
    assert dx.shape == (4, 3)


def test_batchnorm_normalises_in_training_and_uses_running_stats_in_eval():
    bn = layers.BatchNorm(2, momentum=0.5)
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    out = bn.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), [0, 0], atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, [1.0, 10.0])
    np.testing.assert_allclose(bn.running_var, [1.0, 50.5])
    single = bn.forward(np.array([[1.0, 10.0]]), training=False)  # one example: batch stats would give 0
    np.testing.assert_allclose(single, [[0.0, 0.0]], atol=1e-5)
    np.testing.assert_allclose(bn.running_mean, [1.0, 10.0])


def test_dropout_rescales_and_is_identity_in_eval():
    drop = layers.Dropout(0.5, seed=0)
    x = np.ones((100, 100))
    out = drop.forward(x, training=True)
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert out.mean() == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(drop.backward(np.ones_like(x)), out)
    np.testing.assert_array_equal(drop.forward(x, training=False), x)


def test_residual_block_adds_the_input():
    inner = layers.Dense(3, 3, seed=1)
    block = layers.ResidualBlock([inner])
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(block.forward(x), x + x @ inner.params["W"])
    dx = block.backward(np.ones((2, 3)))
    np.testing.assert_allclose(dx, 1 + np.ones((2, 3)) @ inner.params["W"].T)
    assert set(block.params) == {"0.W", "0.b"}
