"""Hidden checks for Exercise 1.3: learner vs reference on inputs the visible tests do not use."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("1.3"), reference("1.3")
rng = np.random.default_rng(7)


@settings(max_examples=30, deadline=None)
@given(mu=st.floats(-50, 50), sigma=st.floats(0.05, 20), seed=st.integers(0, 2**16))
def test_density_functions_match_reference(mu, sigma, seed):
    x = np.random.default_rng(seed).normal(mu, 3 * sigma, size=(3, 4))
    g, r = mine.GaussianDistribution(mu, sigma), ref.GaussianDistribution(mu, sigma)
    label = f"for N(mu={mu:.3g}, sigma={sigma:.3g}) on a 3x4 x"
    assert_matches(g.logpdf(x), r.logpdf(x), what="logpdf " + label, rtol=1e-9, atol=1e-9, check_dtype=False)
    assert_matches(g.pdf(x), r.pdf(x), what="pdf " + label, rtol=1e-9, atol=1e-300, check_dtype=False)
    assert_matches(g.cdf(x), r.cdf(x), what="cdf " + label, rtol=1e-7, atol=1e-14, check_dtype=False)


def test_scalar_input_gives_a_number_and_tails_stay_finite():
    g, r = mine.GaussianDistribution(2.0, 0.5), ref.GaussianDistribution(2.0, 0.5)
    for x in (2.0, -1.0, 3.7):
        for name in ("pdf", "logpdf", "cdf"):
            got = getattr(g, name)(x)
            assert np.ndim(got) == 0, f"{name}(x) for a float x should be a number, got shape {np.shape(got)}"
            assert_matches(got, getattr(r, name)(x), what=f"{name}({x}) for N(2, 0.5^2)", rtol=1e-9, atol=1e-15)
    # 60 standard deviations out the density underflows to 0, but its log is an ordinary number
    assert_matches(g.logpdf(32.0), r.logpdf(32.0), what="logpdf 60 sigma from the mean (compute it in log space)", rtol=1e-9)
    assert_matches(g.cdf(np.array([-10.0, 14.0])), r.cdf(np.array([-10.0, 14.0])), what="cdf far in both tails", rtol=1e-6, atol=1e-15, check_dtype=False)


def test_constructor_rejects_bad_sigma():
    for mu, sigma in ((0.0, -1.0), (0.0, 0.0), (math.nan, 1.0), (0.0, math.inf)):
        assert_raises(ValueError, mine.GaussianDistribution, mu, sigma, what=f"GaussianDistribution({mu}, {sigma})")


def test_sample_uses_the_generator_and_has_the_right_moments():
    g = mine.GaussianDistribution(-4.0, 2.5)
    np.random.seed(1)  # the global generator in two different states: `rng` alone must decide the draws
    a = g.sample(40_000, np.random.default_rng(11))
    np.random.seed(2)
    b = g.sample(40_000, np.random.default_rng(11))
    assert isinstance(a, np.ndarray) and a.shape == (40_000,), f"sample(40000, rng) should be an array of shape (40000,), got {np.shape(a)}"
    assert np.array_equal(a, b), "two generators with the same seed gave different samples: draw from `rng`, not from np.random"
    c = g.sample(40_000, np.random.default_rng(12))
    assert not np.array_equal(a, c), "generators with different seeds gave the same samples"
    # the standard errors are 2.5/200 = 0.0125 (mean) and about 0.009 (std): 5 of them is a safe margin
    assert_matches(a.mean(), -4.0, what="mean of 40000 samples of N(-4, 2.5^2)", atol=0.07, rtol=0)
    assert_matches(a.std(), 2.5, what="standard deviation of 40000 samples of N(-4, 2.5^2) (sigma, not the variance)", atol=0.05, rtol=0)


def test_fit_matches_reference():
    for n in (2, 5, 200):
        data = rng.normal(3.0, 1.7, size=n)
        g, r = mine.GaussianDistribution.fit(data), ref.GaussianDistribution.fit(data)
        assert_matches(g.mu, r.mu, what=f"fitted mu from {n} values", rtol=1e-10)
        assert_matches(g.sigma, r.sigma, what=f"fitted sigma from {n} values (maximum likelihood)", rtol=1e-10)
    assert isinstance(mine.GaussianDistribution.fit([1.0, 2.0]), mine.GaussianDistribution), "fit should return a GaussianDistribution"
    assert_raises(ValueError, mine.GaussianDistribution.fit, [1.0], what="fit on a single value")
    assert_raises(ValueError, mine.GaussianDistribution.fit, [2.0, 2.0, 2.0], what="fit on constant data")


def _random_distribution(k, zeros=0):
    p = rng.dirichlet(np.ones(k))
    p[rng.choice(k, size=zeros, replace=False)] = 0.0
    return p / p.sum()


@pytest.mark.parametrize("k,zeros", [(2, 0), (5, 0), (8, 3), (30, 10)])
def test_information_measures_match_reference(k, zeros):
    p, q = _random_distribution(k, zeros), _random_distribution(k)
    label = f"{k} outcomes, {zeros} of them with p = 0"
    assert_matches(mine.entropy(p), ref.entropy(p), what=f"entropy, {label}", rtol=1e-9)
    assert_matches(mine.cross_entropy(p, q), ref.cross_entropy(p, q), what=f"cross_entropy(p, q), {label}", rtol=1e-9)
    assert_matches(mine.kl_divergence(p, q), ref.kl_divergence(p, q), what=f"kl_divergence(p, q), {label}", rtol=1e-9, atol=1e-12)
    assert_matches(mine.kl_divergence(q, p), ref.kl_divergence(q, p), what=f"kl_divergence(q, p) where p has zeros, {label}", rtol=1e-9, atol=1e-12)
    assert_matches(mine.kl_divergence(p, p), 0.0, what=f"kl_divergence(p, p), {label}", atol=1e-12)


def test_measures_accept_lists_and_reject_invalid_input():
    assert_matches(mine.entropy([0.2, 0.3, 0.5]), ref.entropy([0.2, 0.3, 0.5]), what="entropy of a Python list", rtol=1e-9)
    for bad, label in (([0.7, 0.7], "sums to 1.4"), ([1.5, -0.5], "has a negative entry"), ([[0.5, 0.5]], "is 2-D"), ([], "is empty")):
        assert_raises(ValueError, mine.entropy, bad, what=f"entropy of a vector that {label}")
        assert_raises(ValueError, mine.cross_entropy, bad, [0.5, 0.5], what=f"cross_entropy with a p that {label}")
        assert_raises(ValueError, mine.kl_divergence, [0.5, 0.5], bad, what=f"kl_divergence with a q that {label}")
    assert_raises(ValueError, mine.kl_divergence, [0.5, 0.5], [0.2, 0.3, 0.5], what="kl_divergence of distributions of different lengths")
    assert_raises(ValueError, mine.cross_entropy, [1.0], [0.5, 0.5], what="cross_entropy of distributions of different lengths")


@settings(max_examples=40, deadline=None)
@given(mu1=st.floats(-5, 5), s1=st.floats(0.1, 5), mu2=st.floats(-5, 5), s2=st.floats(0.1, 5))
def test_kl_gaussians_matches_reference(mu1, s1, mu2, s2):
    assert_matches(mine.kl_gaussians(mu1, s1, mu2, s2), ref.kl_gaussians(mu1, s1, mu2, s2),
                   what=f"kl_gaussians({mu1:.3g}, {s1:.3g}, {mu2:.3g}, {s2:.3g})", rtol=1e-9, atol=1e-12)


def test_kl_gaussians_rejects_bad_sigma():
    assert_raises(ValueError, mine.kl_gaussians, 0.0, 0.0, 0.0, 1.0, what="kl_gaussians with s1 = 0")
    assert_raises(ValueError, mine.kl_gaussians, 0.0, 1.0, 0.0, -2.0, what="kl_gaussians with s2 < 0")


def test_bayes_matches_reference():
    for k in (2, 6, 20):
        prior, likelihood = _random_distribution(k, zeros=k // 4), rng.uniform(0, 3, size=k)
        assert_matches(mine.bayes(prior, likelihood), ref.bayes(prior, likelihood), what=f"posterior over {k} hypotheses", rtol=1e-9, atol=1e-15)
    assert_raises(ValueError, mine.bayes, [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], what="bayes when the evidence has probability 0")
    assert_raises(ValueError, mine.bayes, [0.5, 0.5], [0.1, 0.2, 0.3], what="bayes with prior and likelihood of different lengths")
    assert_raises(ValueError, mine.bayes, [0.5, 0.5], [0.1, -0.2], what="bayes with a negative likelihood")
    assert_raises(ValueError, mine.bayes, [0.6, 0.6], [0.1, 0.2], what="bayes with a prior that does not sum to 1")


def test_sample_follows_the_normal_law():
    # Kolmogorov-Smirnov distance between 40000 draws and N(mu, sigma^2). False alarm: P(D > 0.0135) is
    # about 2 exp(-2 n 0.0135^2) = 1e-6 for a correct sampler (and the seed is fixed). Power: a uniform or
    # Laplace law with the right mean and std is about 0.03 away, 2x the threshold (caught with certainty).
    mu, sigma = 1.5, 0.8
    draws = np.sort(mine.GaussianDistribution(mu, sigma).sample(40_000, np.random.default_rng(2026)))
    assert isinstance(draws, np.ndarray) and draws.dtype == np.float64, "sample should return a float64 array"
    cdf = np.asarray(ref.GaussianDistribution(mu, sigma).cdf(draws))
    n = draws.size
    distance = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert distance < 0.0135, (f"40000 samples of N({mu}, {sigma}^2) do not follow a normal law (Kolmogorov-Smirnov distance "
                               f"{distance:.3f}); draw with rng.standard_normal or rng.normal")
    assert mine.GaussianDistribution(0.0, 1.0).sample(0, np.random.default_rng(0)).shape == (0,), "sample(0, rng) should have shape (0,)"


def test_densities_return_python_floats_and_float64_arrays():
    g = mine.GaussianDistribution(0.5, 2.0)
    for name in ("pdf", "logpdf", "cdf"):
        for x in (1.25, 3, np.float32(0.5)):
            got = getattr(g, name)(x)
            assert isinstance(got, float), f"{name}({x!r}) should be a Python float, got {type(got).__name__}"
        for x, label in ((np.array([0.1, -2.0, 4.0], dtype=np.float32), "float32"), (np.array([[1, 2], [-3, 0]]), "int")):
            got = getattr(g, name)(x)
            assert_matches(got, getattr(ref.GaussianDistribution(0.5, 2.0), name)(x), what=f"{name} of a {label} array "
                           "(the result is float64 whatever the input dtype)", rtol=1e-6, atol=1e-12)


def test_p_zero_q_zero_boundaries():
    cases = (([1.0, 0.0, 0.0], [0.2, 0.3, 0.5], "p is a point mass"), ([0.5, 0.5, 0.0], [0.25, 0.75, 0.0], "q = 0 only where p = 0"),
             ([0.0, 1.0], [0.0, 1.0], "p = q with a zero"))
    for p, q, label in cases:
        assert_matches(mine.entropy(p), ref.entropy(p), what=f"entropy when {label} (0 log 0 = 0)", rtol=1e-12, atol=1e-15)
        assert_matches(mine.cross_entropy(p, q), ref.cross_entropy(p, q), what=f"cross_entropy when {label} (finite: skip p = 0 "
                       "terms, not q = 0 ones)", rtol=1e-12, atol=1e-15)
        assert_matches(mine.kl_divergence(p, q), ref.kl_divergence(p, q), what=f"kl_divergence when {label}", rtol=1e-12, atol=1e-15)
    for p, q in (([0.5, 0.5], [1.0, 0.0]), ([0.001, 0.999], [0.0, 1.0])):
        for name in ("cross_entropy", "kl_divergence"):
            got = getattr(mine, name)(p, q)
            assert got == math.inf, (f"{name}(p, q) with q = 0 where p > 0 should be inf exactly (no clipping of q), "
                                     f"got {type(got).__name__} {'nan' if got != got else 'finite' if math.isfinite(got) else got}")


def test_kl_divergence_is_never_negative():
    # for nearly equal p and q the sum can round to about -1e-16; the docstring promises >= 0
    gen = np.random.default_rng(99)
    for _ in range(200):
        p = gen.dirichlet(np.ones(6))
        q = p * (1 + gen.normal(0, 1e-15, 6))
        q /= q.sum()
        got = mine.kl_divergence(p, q)
        assert got >= 0.0, "kl_divergence of two nearly equal distributions is negative (rounding; clip at 0)"


def test_inputs_are_left_unchanged():
    p, q = np.array([0.5, 0.0, 0.5]), np.array([0.25, 0.25, 0.5])
    data = np.array([1.0, 2.0, 4.0, 8.0])
    prior, likelihood = np.array([0.25, 0.75]), np.array([0.5, 0.1])
    copies = [a.copy() for a in (p, q, data, prior, likelihood)]
    mine.entropy(p)
    mine.cross_entropy(p, q)
    mine.kl_divergence(p, q)
    mine.GaussianDistribution.fit(data)
    mine.bayes(prior, likelihood)
    for name, a, b in zip(("p", "q", "data", "prior", "likelihood"), (p, q, data, prior, likelihood), copies):
        assert np.array_equal(a, b), f"the caller's {name} array was changed (work on a copy, not in place)"


# --- parameters and inputs at their edges ---

def test_constructor_rejects_every_non_finite_parameter():
    for mu, sigma in ((0.0, math.nan), (math.inf, 1.0), (-math.inf, 1.0), (1.0, -math.inf)):
        assert_raises(ValueError, mine.GaussianDistribution, mu, sigma, what=f"GaussianDistribution({mu}, {sigma}) "
                      "(both parameters must be finite: math.isfinite covers nan and inf)")


def test_densities_take_lists_and_keep_one_element_arrays():
    g, r = mine.GaussianDistribution(-1.0, 1.5), ref.GaussianDistribution(-1.0, 1.5)
    for name in ("pdf", "logpdf", "cdf"):
        assert_matches(getattr(g, name)([0.5, -2.0, 1.0]), getattr(r, name)([0.5, -2.0, 1.0]),
                       what=f"{name} of a Python list (an array-like: convert it with np.asarray)", rtol=1e-9,
                       atol=1e-15)
        assert_matches(getattr(g, name)(np.array([0.25])), getattr(r, name)(np.array([0.25])),
                       what=f"{name} of an array of shape (1,) (only a scalar x gives a float)", rtol=1e-9)


def test_sample_draws_are_independent():
    # 400 batches of 5 from one generator: the batch means spread with variance sigma^2 / 5. Draws rescaled
    # to the exact mean and std in each call have no spread at all. The variance ratio is chi^2(399) / 399:
    # outside [0.7, 1.3] with probability below 1e-6.
    rng_ = np.random.default_rng(31)
    g = mine.GaussianDistribution(2.0, 3.0)
    batches = np.array([g.sample(5, rng_) for _ in range(400)])
    ratio = float(batches.mean(axis=1).var(ddof=1) / (9.0 / 5))
    if not 0.7 < ratio < 1.3:
        raise Mismatch("the means of 400 batches of 5 samples do not vary as independent normal draws would: "
                       "return the draws as they come, without rescaling them to the exact mean and std")


def test_fit_at_a_tiny_scale():
    data = 1e-13 * np.array([0.3, -1.2, 2.5, 0.8, -0.4])
    g, r = mine.GaussianDistribution.fit(data), ref.GaussianDistribution.fit(data)
    assert_matches(g.sigma, r.sigma, what="fitted sigma for 5 values about 1e-13 apart (only sigma == 0 is an error, "
                   "not a small sigma)", rtol=1e-9)


def test_kl_gaussians_rejects_two_negative_sigmas():
    assert_raises(ValueError, mine.kl_gaussians, 0.0, -1.0, 0.5, -2.0, what="kl_gaussians with s1 = -1 and s2 = -2 "
                  "(log(s2 / s1) is defined, but both must be > 0)")


def test_bayes_with_tiny_likelihoods():
    prior, likelihood = np.array([0.2, 0.5, 0.3]), np.array([1e-20, 3e-20, 0.0])
    got = mine.bayes(prior, likelihood)
    if not isinstance(got, np.ndarray):
        raise Mismatch(f"bayes should return a NumPy array, got {type(got).__name__}")
    assert_matches(got, ref.bayes(prior, likelihood), what="bayes with likelihoods about 1e-20 "
                   "(only an evidence of exactly 0 is an error)", rtol=1e-9)


def test_tiny_probabilities_are_not_nudged():
    # log(p + eps) is off by eps / p: invisible for p near 1, a relative error of 1e-2 for p = 1e-10
    p = np.array([1e-10, 1e-8, 0.0, 1.0 - 1e-10 - 1e-8])
    q = np.array([3e-10, 2e-9, 0.25, 0.75 - 3e-10 - 2e-9])
    label = "with entries of 1e-10 and 1e-8 (take log of the probability itself, no + epsilon)"
    assert_matches(mine.entropy(p), ref.entropy(p), what=f"entropy {label}", rtol=1e-9, atol=0)
    assert_matches(mine.cross_entropy(p, q), ref.cross_entropy(p, q), what=f"cross_entropy {label}", rtol=1e-9, atol=0)
    assert_matches(mine.kl_divergence(p, q), ref.kl_divergence(p, q), what=f"kl_divergence {label}", rtol=1e-6, atol=0)


def test_fit_far_from_zero_and_on_large_integers():
    # mean((x - mu)^2) stays accurate at any offset; mean(x^2) - mu^2 loses every digit once mu^2 >> sigma^2,
    # and squaring int64 data of size 4e9 wraps around
    data = 1e9 + np.random.default_rng(41).normal(0.0, 1.0, size=50)
    for values, label in ((data, "50 floats near 1e9 with spread 1"),
                          (np.array([4_000_000_001, 4_000_000_003, 3_999_999_998, 4_000_000_000]),
                           "4 int64 values near 4e9")):
        g, r = mine.GaussianDistribution.fit(values), ref.GaussianDistribution.fit(values)
        assert_matches(g.mu, r.mu, what=f"fitted mu for {label}", rtol=1e-12)
        assert_matches(g.sigma, r.sigma, what=f"fitted sigma for {label} (centre the data before squaring, in float64: "
                       "E[x^2] - E[x]^2 cancels catastrophically)", rtol=1e-6)


def test_sample_has_normal_tails():
    # excess kurtosis of a normal law is 0; its standard error for 400000 draws is about 0.008, so |k| < 0.05
    # is a 6-sigma band. Near-normal substitutes fail it: a sum of 12 uniforms has -0.1, a logistic law +1.2.
    draws = mine.GaussianDistribution(-0.5, 1.7).sample(400_000, np.random.default_rng(77))
    z = (np.asarray(draws, dtype=np.float64) + 0.5) / 1.7
    kurtosis = float(np.mean(z ** 4) - 3.0)
    if not abs(kurtosis) < 0.05:
        raise Mismatch("400000 samples have the wrong tails for a normal law (their fourth moment is off): draw with "
                       "rng.standard_normal or rng.normal, not an approximation such as a sum of uniforms")
