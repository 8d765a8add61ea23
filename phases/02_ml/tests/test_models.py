"""Visible tests for Exercise 2.4 (linear, logistic and softmax regression). Run: make phase2"""
import numpy as np
import pytest

from grader.target import exercise

models = exercise("2.4")
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))


def test_linear_regression_recovers_a_line():
    y = X @ np.array([2.0, -1.0, 0.5]) + 3.0
    m = models.LinearRegression(lr=0.1, n_iters=500).fit(X, y)
    np.testing.assert_allclose(m.coef_, [2.0, -1.0, 0.5], atol=1e-3)
    assert m.intercept_ == pytest.approx(3.0, abs=1e-3)
    assert m.score(X, y) == pytest.approx(1.0, abs=1e-6)
    assert m.loss_history_[0] > m.loss_history_[-1] and len(m.loss_history_) == 500


def test_first_step_by_hand():
    # from w = 0, b = 0 the first step is w = lr * X^T y / N, b = lr * mean(y)
    Xs, ys = np.array([[1.0], [3.0]]), np.array([2.0, 4.0])
    m = models.LinearRegression(lr=0.5, n_iters=1).fit(Xs, ys)
    np.testing.assert_allclose(m.coef_, [0.5 * (2 + 12) / 2])
    assert m.intercept_ == pytest.approx(1.5)


def test_l2_shrinks_weights():
    y = X @ np.array([2.0, -1.0, 0.5])
    plain = models.LinearRegression(n_iters=300).fit(X, y)
    ridge = models.LinearRegression(n_iters=300, l2=1.0).fit(X, y)
    assert np.linalg.norm(ridge.coef_) < 0.7 * np.linalg.norm(plain.coef_)


def test_logistic_regression_separates_two_blobs():
    Xb = np.vstack([rng.normal(-2, 1, size=(50, 2)), rng.normal(2, 1, size=(50, 2))])
    yb = np.repeat([0, 1], 50)
    m = models.LogisticRegression(lr=0.5, n_iters=200).fit(Xb, yb)
    p = m.predict_proba(Xb)
    assert p.shape == (100,) and np.all((p > 0) & (p < 1))
    assert m.score(Xb, yb) > 0.95
    assert set(np.unique(m.predict(Xb))) == {0, 1}


def test_softmax_regression_three_classes():
    centers = np.array([[0.0, 4.0], [-4.0, -2.0], [4.0, -2.0]])
    yc = np.repeat([0, 1, 2], 40)
    Xc = centers[yc] + rng.normal(size=(120, 2))
    m = models.SoftmaxRegression(lr=0.5, n_iters=200).fit(Xc, yc)
    P = m.predict_proba(Xc)
    assert P.shape == (120, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert m.score(Xc, yc) > 0.95


def test_predict_before_fit_raises():
    with pytest.raises(models.NotFittedError):
        models.LogisticRegression().predict(X)
