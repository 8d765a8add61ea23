"""Self-test: Phase 1 reference solutions against trusted oracles (NumPy, SciPy, scikit-learn).

The hidden checks compare a learner with the reference; this file is why the reference deserves that
trust. Run: pytest grader/tests/test_oracle_01_math.py
"""
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score as sk_r2

from grader import data, registry
from grader.target import reference

matrix, calculus, prob, linreg = (reference(i) for i in ("1.1", "1.2", "1.3", "1.4"))
rng = np.random.default_rng(99)


# ---- 1.1 Matrix vs numpy.linalg -------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_matrix_linear_algebra_against_numpy(n):
    a = rng.normal(size=(n, n)) + n * np.eye(n)
    b, c = rng.normal(size=n), rng.normal(size=(n, 3))
    m = matrix.Matrix(a.tolist())
    np.testing.assert_allclose(m.determinant(), np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(m.inverse().tolist(), np.linalg.inv(a), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.solve(b.tolist()), np.linalg.solve(a, b), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose((m @ matrix.Matrix(c.tolist())).tolist(), a @ c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.transpose().tolist(), a.T)
    np.testing.assert_allclose((m.inverse() @ m).tolist(), np.eye(n), atol=1e-10)


def test_matrix_inverse_is_accurate_on_an_ill_conditioned_matrix():
    a = np.array([[1.0 / (i + j + 1) for j in range(6)] for i in range(6)])   # Hilbert, cond ~ 1.5e7
    inv = np.array(matrix.Matrix(a.tolist()).inverse().tolist())
    np.testing.assert_allclose(inv @ a, np.eye(6), atol=1e-7)


def test_power_iteration_against_numpy_eigh():
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    a = q @ np.diag([-9.0, 4.0, 3.0, 1.0, -0.5, 0.1]) @ q.T
    value, vector = matrix.Matrix(a.tolist()).power_iteration(iters=5000, tol=1e-13)
    values, vectors = np.linalg.eigh(a)
    k = int(np.argmax(np.abs(values)))
    np.testing.assert_allclose(value, values[k], rtol=1e-10)
    np.testing.assert_allclose(abs(np.dot(vector, vectors[:, k])), 1.0, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(vector), 1.0, atol=1e-12)


# ---- 1.2 calculus vs analytic derivatives ------------------------------------------------------------

def test_calculus_against_analytic_derivatives():
    x = rng.normal(size=5)
    np.testing.assert_allclose(calculus.gradient(lambda v: float(np.sum(np.exp(v) * v)), x), np.exp(x) * (1 + x), rtol=1e-8)
    W = rng.normal(size=(3, 5))
    np.testing.assert_allclose(calculus.jacobian(lambda v: np.tanh(W @ v), x), (1 - np.tanh(W @ x) ** 2)[:, None] * W, atol=1e-8)


# ---- 1.3 probability vs scipy.stats ----------------------------------------------------------------

@pytest.mark.parametrize("mu,sigma", [(0.0, 1.0), (-3.0, 0.2), (12.0, 7.5)])
def test_gaussian_against_scipy(mu, sigma):
    x = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 101)
    g, oracle = prob.GaussianDistribution(mu, sigma), scipy.stats.norm(mu, sigma)
    np.testing.assert_allclose(g.pdf(x), oracle.pdf(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g.logpdf(x), oracle.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(g.cdf(x), oracle.cdf(x), rtol=1e-10, atol=1e-300)
    data = oracle.rvs(size=500, random_state=1)
    fitted = prob.GaussianDistribution.fit(data)
    np.testing.assert_allclose((fitted.mu, fitted.sigma), scipy.stats.norm.fit(data), rtol=1e-10)


def test_sample_distribution_passes_a_kolmogorov_smirnov_test():
    g = prob.GaussianDistribution(2.0, 3.0)
    assert scipy.stats.kstest(g.sample(5000, np.random.default_rng(0)), scipy.stats.norm(2.0, 3.0).cdf).pvalue > 0.01


def test_information_measures_against_scipy():
    for zeros in (0, 3):
        p, q = rng.dirichlet(np.ones(10)), rng.dirichlet(np.ones(10))
        p[:zeros] = 0.0
        p /= p.sum()
        np.testing.assert_allclose(prob.entropy(p), scipy.stats.entropy(p), rtol=1e-12)
        np.testing.assert_allclose(prob.kl_divergence(p, q), scipy.stats.entropy(p, q), rtol=1e-10)
        np.testing.assert_allclose(prob.cross_entropy(p, q), scipy.stats.entropy(p) + scipy.stats.entropy(p, q), rtol=1e-10)
    assert prob.kl_divergence([0.5, 0.5], [1.0, 0.0]) == scipy.stats.entropy([0.5, 0.5], [1.0, 0.0]) == math.inf


@pytest.mark.parametrize("params", [(0.0, 1.0, 1.0, 2.0), (2.0, 0.5, -1.0, 1.5), (0.3, 3.0, 0.0, 0.7)])
def test_kl_gaussians_against_numerical_integration(params):
    mu1, s1, mu2, s2 = params
    p, q = scipy.stats.norm(mu1, s1), scipy.stats.norm(mu2, s2)
    integral, _ = scipy.integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), mu1 - 15 * s1, mu1 + 15 * s1)
    np.testing.assert_allclose(prob.kl_gaussians(*params), integral, rtol=1e-7)


def test_bayes_against_direct_enumeration():
    prior, likelihood = rng.dirichlet(np.ones(5)), rng.uniform(size=5)
    joint = [prior[i] * likelihood[i] for i in range(5)]
    np.testing.assert_allclose(prob.bayes(prior, likelihood), [j / math.fsum(joint) for j in joint], rtol=1e-12)


# ---- 1.4 linear regression vs scikit-learn ------------------------------------------------------------

def test_linear_regression_against_sklearn():
    X = rng.normal(size=(120, 6))
    y = 0.7 + X @ rng.normal(size=6) + rng.normal(scale=0.5, size=120)
    oracle = LinearRegression().fit(X, y)
    w = linreg.fit_normal_equations(X, y)
    np.testing.assert_allclose(w[0], oracle.intercept_, rtol=1e-10)
    np.testing.assert_allclose(w[1:], oracle.coef_, rtol=1e-10)
    np.testing.assert_allclose(linreg.predict(X, w), oracle.predict(X), rtol=1e-10)
    w_gd, history = linreg.fit_gradient_descent(X, y, lr=0.1, epochs=2000)
    np.testing.assert_allclose(w_gd, w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(history[-1], np.mean((oracle.predict(X) - y) ** 2), rtol=1e-10)
    for pred in (oracle.predict(X), y + 1.0, np.zeros_like(y)):
        np.testing.assert_allclose(linreg.r2_score(y, pred), sk_r2(y, pred), rtol=1e-12)


def test_diabetes_milestone_smoke_passes_with_the_reference(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADSCHOOL_TARGET", "reference")
    from grader.milestones import diabetes
    ms = registry.exercise("1.4").milestone
    metrics = diabetes.run("smoke", tmp_path)
    assert ms.passed(metrics[ms.metric], "smoke"), metrics
    assert metrics["weight_gap"] < 0.1, metrics
    assert (tmp_path / "curves.png").stat().st_size > 0
    X_train, y_train, X_test, y_test = diabetes.split(*data.diabetes())
    oracle = LinearRegression().fit(X_train, y_train)
    np.testing.assert_allclose(metrics["test_r2_normal"], sk_r2(y_test, oracle.predict(X_test)), rtol=1e-10)
