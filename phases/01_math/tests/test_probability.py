"""Visible tests for Exercise 1.3 (probability and information). Run: make phase1"""
import math

import numpy as np
import pytest

from grader.target import exercise

prob = exercise("1.3")


def test_standard_normal_pdf_and_cdf():
    g = prob.GaussianDistribution(0.0, 1.0)
    assert g.pdf(0.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert g.cdf(0.0) == pytest.approx(0.5)
    assert g.cdf(1.96) == pytest.approx(0.9750021, abs=1e-6)


def test_logpdf_is_log_of_pdf_and_arrays_keep_their_shape():
    g = prob.GaussianDistribution(1.0, 2.0)
    x = np.array([[-1.0, 0.0], [1.0, 3.5]])
    assert g.logpdf(x).shape == (2, 2)
    np.testing.assert_allclose(g.logpdf(x), np.log(g.pdf(x)))
    assert g.logpdf(1.0) == pytest.approx(-math.log(2.0) - 0.5 * math.log(2 * math.pi))


def test_sigma_must_be_positive():
    with pytest.raises(ValueError):
        prob.GaussianDistribution(0.0, 0.0)


def test_sample_is_reproducible_and_has_the_right_moments():
    g = prob.GaussianDistribution(3.0, 0.5)
    a = g.sample(10_000, np.random.default_rng(0))
    b = g.sample(10_000, np.random.default_rng(0))
    assert a.shape == (10_000,)
    np.testing.assert_array_equal(a, b)
    assert a.mean() == pytest.approx(3.0, abs=0.03)
    assert a.std() == pytest.approx(0.5, abs=0.02)


def test_fit_is_the_maximum_likelihood_estimate():
    g = prob.GaussianDistribution.fit([1.0, 2.0, 3.0, 4.0])
    assert g.mu == pytest.approx(2.5)
    assert g.sigma == pytest.approx(math.sqrt(1.25))   # divide by N, not N - 1


def test_entropy():
    assert prob.entropy([0.5, 0.5]) == pytest.approx(math.log(2))
    assert prob.entropy([1.0, 0.0, 0.0]) == pytest.approx(0.0)       # 0 log 0 = 0
    assert prob.entropy(np.full(4, 0.25)) == pytest.approx(math.log(4))


def test_cross_entropy_and_kl():
    p, q = [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]
    assert prob.cross_entropy(p, q) == pytest.approx(math.log(4))
    assert prob.kl_divergence(p, q) == pytest.approx(math.log(2))
    assert prob.kl_divergence(q, q) == pytest.approx(0.0)
    assert prob.kl_divergence(q, p) == math.inf


def test_invalid_distributions_are_rejected():
    with pytest.raises(ValueError):
        prob.entropy([0.5, 0.6])
    with pytest.raises(ValueError):
        prob.kl_divergence([1.2, -0.2], [0.5, 0.5])


def test_kl_between_gaussians():
    assert prob.kl_gaussians(0.0, 1.0, 0.0, 1.0) == pytest.approx(0.0)
    assert prob.kl_gaussians(1.0, 1.0, 0.0, 1.0) == pytest.approx(0.5)
    assert prob.kl_gaussians(0.0, 1.0, 0.0, 2.0) == pytest.approx(math.log(2) + 1 / 8 - 0.5)


def test_bayes_rule():
    # a test with 99% sensitivity and 95% specificity, for a condition with 1% prevalence
    posterior = prob.bayes([0.01, 0.99], [0.99, 0.05])
    assert posterior.sum() == pytest.approx(1.0)
    assert posterior[0] == pytest.approx(0.0099 / (0.0099 + 0.0495))
