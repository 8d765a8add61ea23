"""Hidden checks for Exercise 2.4: fitted weights, probabilities and loss curves vs the reference."""
import numpy as np
import pytest

from grader.compare import assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("2.4"), reference("2.4")
rng = np.random.default_rng(24)
X = rng.normal(size=(64, 5)) * [1.0, 2.0, 0.5, 1.0, 3.0] + [0.0, 1.0, -1.0, 2.0, 0.0]
W_TRUE = np.array([1.5, -0.7, 2.0, 0.0, 0.3])
Y_REG = X @ W_TRUE - 1.0 + 0.3 * rng.normal(size=64)
Y_BIN = (X @ W_TRUE + rng.normal(size=64) > 1.0).astype(np.int64)
Y_MULTI = np.argmax(X @ rng.normal(size=(5, 4)) + rng.normal(size=(64, 4)), axis=1)


@pytest.mark.parametrize("kw", [dict(lr=0.05, n_iters=40), dict(lr=0.02, n_iters=60, l2=0.5), dict(lr=0.02, n_iters=60, l1=0.3)])
def test_linear_regression_matches_reference(kw):
    a, b = mine.LinearRegression(**kw).fit(X, Y_REG), ref.LinearRegression(**kw).fit(X, Y_REG)
    what = f"LinearRegression({', '.join(f'{k}={v}' for k, v in kw.items())})"
    assert_matches(a.coef_, b.coef_, what=f"{what}.coef_ after fit", rtol=1e-6, atol=1e-9, n=64)
    assert_matches(a.intercept_, b.intercept_, what=f"{what}.intercept_ after fit", rtol=1e-6, atol=1e-9, n=64)
    assert_matches(np.asarray(a.loss_history_), np.asarray(b.loss_history_), what=f"{what}.loss_history_", rtol=1e-6, atol=1e-9)
    Xt = rng.normal(size=(6, 5))
    assert_matches(a.predict(Xt), b.predict(Xt), what=f"{what}.predict on 6 new rows", rtol=1e-6, atol=1e-9)
    assert_matches(a.score(X, Y_REG), b.score(X, Y_REG), what=f"{what}.score (R^2)", rtol=1e-6)


def test_linear_regression_single_step_is_mean_gradient():
    # one step from zero: the gradient must be X^T r / N; without 1/N it is 64 times too large
    a, b = mine.LinearRegression(lr=0.01, n_iters=1).fit(X, Y_REG), ref.LinearRegression(lr=0.01, n_iters=1).fit(X, Y_REG)
    assert_matches(a.coef_, b.coef_, what="LinearRegression coef_ after one step from zero", rtol=1e-9, n=64)


@pytest.mark.parametrize("kw", [dict(lr=0.1, n_iters=50), dict(lr=0.3, n_iters=30, l2=0.2)])
def test_logistic_regression_matches_reference(kw):
    a, b = mine.LogisticRegression(**kw).fit(X, Y_BIN), ref.LogisticRegression(**kw).fit(X, Y_BIN)
    what = f"LogisticRegression({', '.join(f'{k}={v}' for k, v in kw.items())})"
    assert_matches(a.coef_, b.coef_, what=f"{what}.coef_ after fit", rtol=1e-6, atol=1e-9, n=64)
    assert_matches(a.intercept_, b.intercept_, what=f"{what}.intercept_ after fit", rtol=1e-6, atol=1e-9, n=64)
    assert_matches(np.asarray(a.loss_history_), np.asarray(b.loss_history_), what=f"{what}.loss_history_", rtol=1e-6, atol=1e-9)
    Xt = rng.normal(size=(7, 5)) * 3
    assert_matches(a.predict_proba(Xt), b.predict_proba(Xt), what=f"{what}.predict_proba on 7 new rows", rtol=1e-6, atol=1e-9)
    assert_matches(np.asarray(a.predict(Xt)), b.predict(Xt), what=f"{what}.predict on 7 new rows", check_dtype=False)


def test_logistic_regression_extreme_inputs_stay_finite():
    Xe, ye = np.array([[800.0], [-800.0], [1.0]]), np.array([1, 0, 1])
    with np.errstate(all="ignore"):
        a = mine.LogisticRegression(lr=1.0, n_iters=20).fit(Xe, ye)
    b = ref.LogisticRegression(lr=1.0, n_iters=20).fit(Xe, ye)
    assert_matches(np.asarray(a.loss_history_), np.asarray(b.loss_history_), what="LogisticRegression.loss_history_ with huge logits", rtol=1e-6, atol=1e-9)
    assert_matches(a.coef_, b.coef_, what="LogisticRegression.coef_ with huge logits", rtol=1e-6)


@pytest.mark.parametrize("kw", [dict(lr=0.1, n_iters=40), dict(lr=0.2, n_iters=25, l2=0.1, n_classes=6)])
def test_softmax_regression_matches_reference(kw):
    a, b = mine.SoftmaxRegression(**kw).fit(X, Y_MULTI), ref.SoftmaxRegression(**kw).fit(X, Y_MULTI)
    what = f"SoftmaxRegression({', '.join(f'{k}={v}' for k, v in kw.items())})"
    assert_matches(a.coef_, b.coef_, what=f"{what}.coef_ (D x K) after fit", rtol=1e-6, atol=1e-9, n=64)
    assert_matches(a.intercept_, b.intercept_, what=f"{what}.intercept_ (K,) after fit", rtol=1e-6, atol=1e-9, n=64)
    assert_matches(np.asarray(a.loss_history_), np.asarray(b.loss_history_), what=f"{what}.loss_history_", rtol=1e-6, atol=1e-9)
    Xt = rng.normal(size=(5, 5))
    assert_matches(a.predict_proba(Xt), b.predict_proba(Xt), what=f"{what}.predict_proba on 5 new rows", rtol=1e-6, atol=1e-9)
    assert_matches(np.asarray(a.predict(Xt)), b.predict(Xt), what=f"{what}.predict on 5 new rows", check_dtype=False)


def test_predict_before_fit_raises():
    for name in ("LinearRegression", "SoftmaxRegression"):
        assert_raises(mine.NotFittedError, getattr(mine, name)().predict, X, what=f"{name}().predict before fit")
    for name in ("LogisticRegression", "SoftmaxRegression"):  # the probabilities need the weights too
        assert_raises(mine.NotFittedError, getattr(mine, name)().predict_proba, X,
                      what=f"{name}().predict_proba before fit")


MODELS = {"LinearRegression": (dict(lr=0.05, n_iters=15, l1=0.1, l2=0.1), Y_REG),
          "LogisticRegression": (dict(lr=0.1, n_iters=15, l2=0.1), Y_BIN),
          "SoftmaxRegression": (dict(lr=0.1, n_iters=15, l2=0.1), Y_MULTI)}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_second_fit_starts_afresh(name):
    kw, y = MODELS[name]
    other_X = rng.normal(size=(40, 5))
    other_y = {"LinearRegression": other_X[:, 0] - 2.0, "LogisticRegression": (other_X[:, 1] > 0).astype(int),
               "SoftmaxRegression": np.argmax(other_X[:, :3], axis=1)}[name]   # 3 classes after 4
    X_before, y_before = X.copy(), y.copy()
    model = getattr(mine, name)(**kw).fit(X, y)
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before), f"{name}.fit changed the caller's X or y"
    model.fit(other_X, other_y)
    fresh = getattr(ref, name)(**kw).fit(other_X, other_y)
    assert_matches(model.coef_, fresh.coef_, what=f"{name}.coef_ after a second fit on other data (each fit starts from zero "
                   "weights; n_classes is not fixed by the first fit)", rtol=1e-6, atol=1e-9)
    assert_matches(np.asarray(model.loss_history_), np.asarray(fresh.loss_history_), what=f"{name}.loss_history_ after a second "
                   "fit (one entry per step of this fit only)", rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_zero_iterations_leave_the_zero_model(name):
    # n_iters=0 takes no step: the fitted model is the all-zero one, with an empty loss history
    kw, y = MODELS[name]
    a, b = getattr(mine, name)(**{**kw, "n_iters": 0}).fit(X, y), getattr(ref, name)(**{**kw, "n_iters": 0}).fit(X, y)
    assert_matches(a.coef_, b.coef_,
                   what=f"{name}.coef_ after fit with n_iters=0 (set the weights after the loop, not in it)")
    assert_matches(np.asarray(a.loss_history_, dtype=np.float64), np.zeros(0),
                   what=f"{name}.loss_history_ with n_iters=0")
    method = "predict" if name == "LinearRegression" else "predict_proba"
    assert_matches(getattr(a, method)(X[:3]), getattr(b, method)(X[:3]),
                   what=f"{name}.{method} after fit with n_iters=0")


def test_softmax_regression_with_huge_inputs_stays_finite():
    Xh, yh = X * 400.0, Y_MULTI
    with np.errstate(all="ignore"):
        a = mine.SoftmaxRegression(lr=0.5, n_iters=6).fit(Xh, yh)
    b = ref.SoftmaxRegression(lr=0.5, n_iters=6).fit(Xh, yh)
    assert_matches(np.asarray(a.loss_history_), np.asarray(b.loss_history_), what="SoftmaxRegression.loss_history_ with logits in "
                   "the thousands (log-softmax with the row maximum subtracted, never log of a probability)", rtol=1e-6)
    with np.errstate(all="ignore"):
        got = a.predict_proba(Xh[:6])
    assert_matches(got, b.predict_proba(Xh[:6]),
                   what="SoftmaxRegression.predict_proba with logits in the thousands (subtract the row maximum "
                        "before exp)", rtol=1e-6, atol=1e-9)


def test_softmax_regression_classes_run_to_the_largest_label():
    # label 1 never occurs: K is still max(y) + 1 = 4 and class 1 keeps its own column
    y = np.where(Y_MULTI == 1, 0, Y_MULTI)
    a, b = mine.SoftmaxRegression(lr=0.1, n_iters=10).fit(X, y), ref.SoftmaxRegression(lr=0.1, n_iters=10).fit(X, y)
    assert_matches(a.coef_, b.coef_,
                   what="SoftmaxRegression.coef_ when a label below the largest never occurs (K = max(y) + 1, "
                        "not the number of distinct labels)", rtol=1e-6, atol=1e-9)
    assert_matches(a.predict_proba(X[:4]), b.predict_proba(X[:4]),
                   what="SoftmaxRegression.predict_proba with an absent label", rtol=1e-6, atol=1e-9)


def test_prediction_conventions_and_dtypes():
    logistic = mine.LogisticRegression()
    logistic.coef_, logistic.intercept_ = np.array([1.0, -1.0]), 0.0
    got = logistic.predict(np.array([[1.0, 1.0], [2.5, 2.5], [1.0, 1.5]]))
    assert_matches(got, np.array([1, 1, 0], dtype=np.int64), what="LogisticRegression.predict where the probability is exactly "
                   "0.5 (class 1 where predict_proba >= 0.5), int64")
    softmax = mine.SoftmaxRegression()
    softmax.coef_, softmax.intercept_ = np.zeros((2, 3)), np.array([0.0, 1.0, 1.0])
    assert_matches(softmax.predict(np.array([[1.0, 2.0], [-3.0, 0.5]])), np.array([1, 1], dtype=np.int64),
                   what="SoftmaxRegression.predict when two classes are equally probable (the lower index wins), int64")
    fitted = mine.LogisticRegression(lr=0.1, n_iters=10).fit(X, Y_BIN.astype(bool))
    assert_matches(fitted.coef_, ref.LogisticRegression(lr=0.1, n_iters=10).fit(X, Y_BIN).coef_,
                   what="LogisticRegression.coef_ fitted with boolean labels", rtol=1e-6, atol=1e-9)
    assert_matches(fitted.predict(X[:9]), ref.LogisticRegression(lr=0.1, n_iters=10).fit(X, Y_BIN).predict(X[:9]),
                   what="LogisticRegression.predict (int64 labels, not booleans)")
    lin = mine.LinearRegression(lr=0.05, n_iters=10).fit(X.astype(np.float32), Y_REG.astype(np.float32))
    assert_matches(lin.predict(X[:5].astype(np.float32)), ref.LinearRegression(lr=0.05, n_iters=10).fit(
        X.astype(np.float32), Y_REG.astype(np.float32)).predict(X[:5].astype(np.float32)),
        what="LinearRegression.predict for float32 data (float64)", rtol=1e-5, atol=1e-6)
    assert isinstance(lin.intercept_, float), f"LinearRegression.intercept_ should be a Python float, got {type(lin.intercept_).__name__}"
