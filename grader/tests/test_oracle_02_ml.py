"""Self-test: the Phase 2 reference solutions against scikit-learn and NumPy (test-only oracles).

Learners are graded against the reference; this file is what makes the reference trustworthy.
Run: python -m pytest grader/tests/test_oracle_02_ml.py
"""
import numpy as np
import pytest
from sklearn import cluster, linear_model, metrics, model_selection, preprocessing

from grader import data
from grader.numeric import numerical_gradient
from grader.target import reference

losses, pre, opt, models, km, pipe = (reference(i) for i in ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6"))
rng = np.random.default_rng(2)


def test_losses_against_sklearn_log_loss_and_mse():
    y = rng.integers(0, 2, size=50)
    p = rng.uniform(0.02, 0.98, size=50)
    assert losses.binary_cross_entropy(p, y) == pytest.approx(metrics.log_loss(y, p), rel=1e-10)
    z = rng.normal(scale=3, size=50)
    assert losses.binary_cross_entropy_with_logits(z, y) == pytest.approx(metrics.log_loss(y, 1 / (1 + np.exp(-z))), rel=1e-10)
    logits, labels = rng.normal(size=(40, 4)), rng.integers(0, 4, size=40)
    P = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert losses.categorical_cross_entropy(logits, labels) == pytest.approx(metrics.log_loss(labels, P, labels=range(4)), rel=1e-10)
    a, b = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    assert losses.mse(a, b) == pytest.approx(metrics.mean_squared_error(a.ravel(), b.ravel()), rel=1e-12)


@pytest.mark.parametrize("name, f", [
    ("mse", lambda m, v, t: m.mse(v, t)), ("bce", lambda m, v, t: m.binary_cross_entropy(1 / (1 + np.exp(-v)), t > 0)),
    ("bce_logits", lambda m, v, t: m.binary_cross_entropy_with_logits(v, t > 0)),
])
def test_loss_gradients_against_finite_differences(name, f):
    v, t = rng.normal(size=7), rng.normal(size=7)
    grads = {"mse": losses.mse_grad(v, t),
             "bce": losses.binary_cross_entropy_grad(1 / (1 + np.exp(-v)), t > 0) * (np.exp(-v) / (1 + np.exp(-v)) ** 2),
             "bce_logits": losses.binary_cross_entropy_with_logits_grad(v, t > 0)}
    np.testing.assert_allclose(grads[name], numerical_gradient(lambda x: f(losses, x, t), v), rtol=1e-5, atol=1e-9)


def test_scalers_and_metrics_against_sklearn():
    X = rng.normal(size=(30, 4)) * [1, 10, 0.1, 0]
    Xt = rng.normal(size=(5, 4))
    np.testing.assert_allclose(pre.StandardScaler().fit(X).transform(Xt), preprocessing.StandardScaler().fit(X).transform(Xt), atol=1e-12)
    np.testing.assert_allclose(pre.MinMaxScaler((-1, 2)).fit(X).transform(Xt),
                               preprocessing.MinMaxScaler((-1, 2)).fit(X).transform(Xt), atol=1e-12)
    t, p = rng.integers(0, 3, size=80), rng.integers(0, 3, size=80)
    np.testing.assert_array_equal(pre.confusion_matrix(t, p), metrics.confusion_matrix(t, p))
    P, R, F = pre.precision_recall_f1(t, p, positive=2)
    assert (P, R, F) == pytest.approx((metrics.precision_score(t, p, labels=[2], average="macro"),
                                       metrics.recall_score(t, p, labels=[2], average="macro"),
                                       metrics.f1_score(t, p, labels=[2], average="macro")))
    for n, k in ((11, 4), (20, 5), (7, 7)):
        for (a_tr, a_te), (b_tr, b_te) in zip(pre.KFold(k).split(n), model_selection.KFold(k).split(np.zeros(n))):
            np.testing.assert_array_equal(a_te, b_te)
            np.testing.assert_array_equal(np.sort(a_tr), b_tr)


def test_optimizers_against_closed_forms():
    # constant gradient g: GD moves lr*g per step, momentum lr*g*(1-beta^t)/(1-beta), Adam about lr per step
    g = np.array([0.5, -2.0])
    w_gd, w_m, w_a = np.zeros(2), np.zeros(2), np.zeros(2)
    gd, mo, ad = opt.GradientDescent(0.1), opt.Momentum(0.1, 0.9), opt.Adam(0.1)
    for _ in range(5):
        gd.step([w_gd], [g]), mo.step([w_m], [g]), ad.step([w_a], [g])
    np.testing.assert_allclose(w_gd, -0.5 * g)
    np.testing.assert_allclose(w_m, -0.1 * g * sum((1 - 0.9 ** t) / 0.1 for t in range(1, 6)))
    np.testing.assert_allclose(w_a, -0.5 * np.sign(g), rtol=1e-6)


def _standardized(X):
    return (X - X.mean(0)) / X.std(0)


def test_linear_and_ridge_regression_against_sklearn():
    Xs = rng.normal(size=(200, 5)) @ np.diag([1.0, 2.0, 0.5, 1.0, 1.5]) + 3.0
    ys = Xs @ rng.normal(size=5) + rng.normal(size=200)
    ours = models.LinearRegression(lr=0.1, n_iters=5000).fit(_standardized(Xs), ys)
    sk = linear_model.LinearRegression().fit(_standardized(Xs), ys)
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-8)
    assert ours.score(_standardized(Xs), ys) == pytest.approx(sk.score(_standardized(Xs), ys), rel=1e-10)
    X, y = data.diabetes()
    X = _standardized(X)
    l2 = 0.1  # J = 1/(2N)||r||^2 + l2/2 ||w||^2  <=>  sklearn Ridge alpha = N * l2
    ours = models.LinearRegression(lr=0.2, n_iters=5000, l2=l2).fit(X, y)
    sk = linear_model.Ridge(alpha=len(X) * l2).fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-4, atol=1e-3)
    assert ours.intercept_ == pytest.approx(sk.intercept_, rel=1e-8)


def test_lasso_against_sklearn():
    X, y = data.diabetes()
    X = _standardized(X)
    ours = models.LinearRegression(lr=0.05, n_iters=5000, l1=1.0).fit(X, y)  # subgradient descent: close, not exact
    sk = linear_model.Lasso(alpha=1.0).fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=0.3)


def test_logistic_regression_against_sklearn():
    X, y = data.breast_cancer()
    X = _standardized(X)
    l2 = 0.01  # J = mean BCE + l2/2 ||w||^2  <=>  sklearn C = 1 / (N * l2)
    ours = models.LogisticRegression(lr=1.0, n_iters=5000, l2=l2).fit(X, y)
    sk = linear_model.LogisticRegression(C=1 / (len(X) * l2), tol=1e-10, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_[0], atol=2e-3)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X)[:, 1], atol=1e-3)


def test_softmax_regression_against_sklearn():
    X, y = data.iris()
    X = _standardized(X)
    l2 = 0.01
    ours = models.SoftmaxRegression(lr=1.0, n_iters=5000, l2=l2).fit(X, y)
    sk = linear_model.LogisticRegression(C=1 / (len(X) * l2), tol=1e-10, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=2e-3)
    # softmax weights are defined up to a constant per feature; compare centred weights
    np.testing.assert_allclose(ours.coef_ - ours.coef_.mean(1, keepdims=True), (sk.coef_ - sk.coef_.mean(0)).T, atol=5e-3)


def test_kmeans_against_sklearn_from_the_same_centres():
    X, _ = data.iris()
    for seed in range(3):
        init = X[np.random.default_rng(seed).choice(len(X), 3, replace=False)]
        ours = km.KMeans(3, tol=1e-4).fit(X, init=init)
        sk = cluster.KMeans(3, init=init, n_init=1, tol=1e-4, algorithm="lloyd").fit(X)
        np.testing.assert_allclose(ours.cluster_centers_, sk.cluster_centers_, atol=1e-8)
        np.testing.assert_array_equal(ours.labels_, sk.labels_)
        assert ours.inertia_ == pytest.approx(sk.inertia_, rel=1e-9)
    ours = km.KMeans(3, n_init=10, seed=0).fit(X)
    sk = cluster.KMeans(3, n_init=10, random_state=0).fit(X)
    assert ours.inertia_ == pytest.approx(sk.inertia_, rel=1e-6)


def test_pipeline_matches_sklearn_pipeline():
    from sklearn.pipeline import make_pipeline
    X, y = data.breast_cancer()
    Xtr, Xte, ytr, yte = pre.train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    l2 = 0.01
    ours = pipe.Pipeline([pre.StandardScaler(), models.LogisticRegression(lr=1.0, n_iters=5000, l2=l2)]).fit(Xtr, ytr)
    sk = make_pipeline(preprocessing.StandardScaler(), linear_model.LogisticRegression(C=1 / (len(Xtr) * l2), tol=1e-10, max_iter=10000)).fit(Xtr, ytr)
    np.testing.assert_allclose(ours.predict_proba(Xte), sk.predict_proba(Xte)[:, 1], atol=2e-3)
    assert ours.score(Xte, yte) == pytest.approx(sk.score(Xte, yte), abs=0.01)


@pytest.mark.slow
def test_milestone_smoke_tier_passes_with_the_reference(monkeypatch, tmp_path):
    from grader import registry
    from grader.milestones import breast_cancer
    monkeypatch.setenv("GRADSCHOOL_TARGET", "reference")
    ms = registry.exercise("2.6").milestone
    result = breast_cancer.run("smoke", tmp_path)
    assert ms.passed(result[ms.metric], "smoke")
    assert result["digits_test_accuracy"] > 0.9 and result["cv_accuracy_mean"] > 0.95
    assert {p.name for p in tmp_path.iterdir()} >= {"report.json", "curves.png", "learning_curve.png"}
