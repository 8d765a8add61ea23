"""Exercise 1.3: probability and information.

The Gaussian is the noise model behind least squares; entropy, cross-entropy and the KL divergence are
the losses of every classifier and of the VAE in Phase 5; Bayes' rule is how evidence updates belief.
All logarithms are natural (results in nats).
"""
from __future__ import annotations

import math

import numpy as np

LOG_2PI = math.log(2.0 * math.pi)


def _scalar_or_array(values: np.ndarray):
    return float(values) if values.ndim == 0 else values


class GaussianDistribution:
    """The normal distribution N(mu, sigma^2) with mean mu and standard deviation sigma > 0."""

    def __init__(self, mu: float, sigma: float):
        """Raises ValueError unless sigma > 0 and both parameters are finite."""
        raise NotImplementedError("Exercise 1.3: implement GaussianDistribution.__init__ (see its docstring)")

    def logpdf(self, x):
        """log p(x) = -(x - mu)^2 / (2 sigma^2) - log(sigma) - log(2 pi) / 2.

        x: a float or an array-like; returns a float for a scalar x, else a float64 array of x's shape.
        Computed directly in log space, so it stays finite far in the tails where pdf underflows to 0.
        """
        raise NotImplementedError("Exercise 1.3: implement GaussianDistribution.logpdf (see its docstring)")

    def pdf(self, x):
        """p(x) = exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi)). Same input/output rules as logpdf."""
        raise NotImplementedError("Exercise 1.3: implement GaussianDistribution.pdf (see its docstring)")

    def cdf(self, x):
        """P(X <= x) = (1 + erf((x - mu) / (sigma sqrt 2))) / 2, with erf from the math module.

        Same input/output rules as logpdf. (0.5 * erfc(-z / sqrt 2) is the same value and keeps its
        relative accuracy in the far left tail.)
        """
        raise NotImplementedError("Exercise 1.3: implement GaussianDistribution.cdf (see its docstring)")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n independent draws as a float64 array of shape (n,), using only `rng` (a NumPy Generator),
        so that the same seed gives the same samples."""
        raise NotImplementedError("Exercise 1.3: implement GaussianDistribution.sample (see its docstring)")

    @classmethod
    def fit(cls, data) -> "GaussianDistribution":
        """Maximum-likelihood fit: mu = mean(data), sigma = sqrt(mean((data - mu)^2)).

        The MLE divides by N, not N - 1 (it is the biased estimate). data: a 1-D array-like of numbers.
        Raises ValueError for fewer than 2 values or when all values are equal (sigma would be 0).
        """
        raise NotImplementedError("Exercise 1.3: implement GaussianDistribution.fit (see its docstring)")

    def __repr__(self) -> str:
        return f"GaussianDistribution(mu={self.mu!r}, sigma={self.sigma!r})"


def _distribution(p, name: str) -> np.ndarray:
    """p as a float64 1-D array after checking it is a probability vector (else ValueError). Given."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} has negative or non-finite entries")
    if abs(p.sum() - 1.0) > 1e-6:
        raise ValueError(f"{name} sums to {p.sum():.6g}, not 1")
    return p


def entropy(p) -> float:
    """H(p) = -sum_i p_i log p_i for a discrete distribution p (1-D, p_i >= 0, sum 1 within 1e-6).

    Terms with p_i = 0 contribute 0 (the limit of t log t as t -> 0). Returns a float >= 0.
    Raises ValueError for an invalid distribution.
    """
    raise NotImplementedError("Exercise 1.3: implement entropy (see its docstring)")


def cross_entropy(p, q) -> float:
    """H(p, q) = -sum_i p_i log q_i: the expected code length under q of data drawn from p.

    Terms with p_i = 0 contribute 0; a q_i = 0 where p_i > 0 gives inf. H(p, q) = H(p) + KL(p || q).
    Raises ValueError for invalid distributions or different lengths.
    """
    raise NotImplementedError("Exercise 1.3: implement cross_entropy (see its docstring)")


def kl_divergence(p, q) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) >= 0, zero exactly when p == q. Not symmetric.

    Terms with p_i = 0 contribute 0; a q_i = 0 where p_i > 0 gives inf.
    Raises ValueError for invalid distributions or different lengths.
    """
    raise NotImplementedError("Exercise 1.3: implement kl_divergence (see its docstring)")


def kl_gaussians(mu1: float, s1: float, mu2: float, s2: float) -> float:
    """KL(N(mu1, s1^2) || N(mu2, s2^2)) in closed form:

        log(s2 / s1) + (s1^2 + (mu1 - mu2)^2) / (2 s2^2) - 1/2

    s1, s2 are standard deviations (not variances). Raises ValueError unless s1 > 0 and s2 > 0.
    """
    raise NotImplementedError("Exercise 1.3: implement kl_gaussians (see its docstring)")


def bayes(prior, likelihood) -> np.ndarray:
    """Posterior over discrete hypotheses: posterior_i = prior_i * likelihood_i / sum_j prior_j * likelihood_j.

    prior: a probability vector (ValueError if invalid). likelihood: P(evidence | hypothesis i), same
    shape, entries >= 0 (they need not sum to 1). Returns a float64 array that sums to 1.
    Raises ValueError for mismatched shapes, negative likelihoods, or zero evidence (sum_j prior_j * likelihood_j == 0).
    """
    raise NotImplementedError("Exercise 1.3: implement bayes (see its docstring)")
