"""Visible tests for Exercise 5.9 (GAN). Run: make phase5"""
import math

import numpy as np
import pytest
from tinygrad import Tensor
from tinygrad.nn.optim import SGD

from grader.target import exercise

gan = exercise("5.9")
rng = np.random.default_rng(0)
REAL = rng.uniform(-1, 1, (5, 12)).astype(np.float32)     # 5 "images" of 12 pixels in [-1, 1]
Z = rng.standard_normal((5, 4)).astype(np.float32)          # 5 noise vectors


def test_d_loss_is_bce_of_real_against_1_and_fake_against_0():
    # a logit of 0 means D(x) = 1/2: each half costs log 2
    assert gan.d_loss(Tensor([[0.0], [0.0]]), Tensor([[0.0]])).item() == pytest.approx(2 * math.log(2), rel=1e-5)
    # confident and right: ~0; confident and wrong: 100 nats (finite, no log(0))
    assert gan.d_loss(Tensor([[100.0]]), Tensor([[-100.0]])).item() == pytest.approx(0.0, abs=1e-6)
    assert gan.d_loss(Tensor([[-100.0]]), Tensor([[-100.0]])).item() == pytest.approx(100.0, rel=1e-5)


def test_g_loss_is_non_saturating():
    # -log D(G(z)) with D(G(z)) = sigmoid(logit): large when D rejects the fakes
    assert gan.g_loss(Tensor([[0.0], [0.0]])).item() == pytest.approx(math.log(2), rel=1e-5)
    assert gan.g_loss(Tensor([[-100.0]])).item() == pytest.approx(100.0, rel=1e-5)


def test_shapes_and_generator_range():
    Tensor.manual_seed(0)
    G, D = gan.Generator((4, 8, 12)), gan.Discriminator((12, 8, 1))   # MNIST: (64, 256, 512, 784)
    images = G(Tensor(Z * 50))                                       # huge codes
    assert images.shape == (5, 12)
    values = images.numpy()
    assert values.min() >= -1 and values.max() <= 1                  # tanh output
    assert D(images).shape == (5, 1)
    assert D(Tensor.zeros(5, 3, 4)).shape == (5, 1)                   # images are flattened


def test_each_step_moves_only_its_own_network():
    Tensor.manual_seed(1)
    G, D = gan.Generator((4, 8, 12)), gan.Discriminator((12, 8, 1))
    opt_g, opt_d = SGD(G.parameters(), lr=0.1), SGD(D.parameters(), lr=0.1)
    real, z = Tensor(REAL), Tensor(Z)
    g_before = [p.numpy().copy() for p in G.parameters()]
    gan.train_step_d(G, D, opt_d, real, z)
    for before, after in zip(g_before, G.parameters()):
        np.testing.assert_array_equal(before, after.numpy())          # G untouched by the D step
    d_before = [p.numpy().copy() for p in D.parameters()]
    gan.train_step_g(G, D, opt_g, z)
    for before, after in zip(d_before, D.parameters()):
        np.testing.assert_array_equal(before, after.numpy())          # D untouched by the G step
    assert any(not np.array_equal(b, a.numpy()) for b, a in zip(g_before, G.parameters()))


def test_discriminator_learns_a_fixed_batch():
    Tensor.manual_seed(2)
    G, D = gan.Generator((4, 8, 12)), gan.Discriminator((12, 8, 1))
    opt_d = SGD(D.parameters(), lr=1.0)
    real, z = Tensor(REAL), Tensor(Z)
    losses = [gan.train_step_d(G, D, opt_d, real, z).item() for _ in range(8)]
    assert losses[-1] < 0.5 * losses[0]
