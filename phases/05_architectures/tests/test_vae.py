"""Visible tests for Exercise 5.8 (VAE). Run: make phase5"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

vae = exercise("5.8")


def test_reparameterize_uses_the_standard_deviation():
    mu = Tensor([[1.0, -2.0]])
    logvar = Tensor([[0.0, 2 * math.log(3.0)]])     # sigma = 1 and sigma = 3
    eps = Tensor([[0.5, -1.0]])
    np.testing.assert_allclose(vae.reparameterize(mu, logvar, eps).numpy(), [[1.5, -5.0]], rtol=1e-5)


def test_kl_is_zero_for_the_prior_and_summed_over_latent_dims():
    zeros = Tensor.zeros(2, 3)
    np.testing.assert_allclose(vae.gaussian_kl(zeros, zeros).numpy(), [0.0, 0.0], atol=1e-6)
    mu = Tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    logvar = Tensor([[0.0, 0.0, 0.0], [math.log(2.0), 0.0, 0.0]])
    # mu = 1: mu^2 / 2 = 0.5; sigma^2 = 2: (2 - 1 - log 2) / 2
    np.testing.assert_allclose(vae.gaussian_kl(mu, logvar).numpy(), [0.5, (1 - math.log(2.0)) / 2], rtol=1e-5)


def test_bce_with_logits_is_finite_for_confident_logits():
    logits = Tensor([[100.0, -100.0, 0.0], [100.0, -100.0, 0.0]])
    x = Tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    # right and confident: 0; a fair coin: log 2; wrong and confident: 100 nats per pixel
    np.testing.assert_allclose(vae.bce_with_logits_sum(logits, x).numpy(), [math.log(2), 200 + math.log(2)], rtol=1e-5)


def test_neg_elbo_is_a_mean_over_images_of_pixel_sums():
    x = Tensor([[1.0, 0.0], [1.0, 1.0]])
    logits = Tensor.zeros(2, 2)                      # every pixel costs log 2
    mu, logvar = Tensor([[0.0], [2.0]]), Tensor.zeros(2, 1)   # KL 0 and 2
    expected = ((2 * math.log(2) + 0.0) + (2 * math.log(2) + 2.0)) / 2
    assert vae.neg_elbo(x, logits, mu, logvar).item() == pytest.approx(expected, rel=1e-5)


def test_encoder_and_decoder_shapes():
    Tensor.manual_seed(0)
    encoder, decoder = vae.Encoder(12, 8, 2), vae.Decoder(2, 8, 12)   # MNIST: 784, 400, 20
    mu, logvar = encoder(Tensor.zeros(3, 1, 3, 4))            # images are flattened
    assert mu.shape == (3, 2) and logvar.shape == (3, 2)
    assert decoder(mu).shape == (3, 12)
    assert len(encoder.parameters()) == 6 and len(decoder.parameters()) == 4


def test_sample_and_latent_grid_give_pixel_probabilities():
    Tensor.manual_seed(0)
    decoder = vae.Decoder(2, 8, 12)
    images = vae.sample(decoder, 5, seed=3)
    assert images.shape == (5, 12) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1
    np.testing.assert_array_equal(images, vae.sample(decoder, 5, seed=3))    # same seed, same images
    grid = vae.latent_grid(decoder, n=3, span=2.0)
    assert grid.shape == (3, 3, 12)
    centre = decoder(Tensor.zeros(1, 2)).sigmoid().numpy()[0]
    np.testing.assert_allclose(grid[1, 1], centre, rtol=1e-5)      # the middle of the grid is z = 0
