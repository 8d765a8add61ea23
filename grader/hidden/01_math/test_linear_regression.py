"""Hidden checks for Exercise 1.4: learner vs reference on random regression problems."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import refuse_calls
from grader.target import exercise, reference

mine, ref = exercise("1.4"), reference("1.4")


def problem(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = 1.5 + X @ rng.normal(size=d) + 0.3 * rng.normal(size=n)
    return X, y


def test_add_bias_matches_reference():
    X, _ = problem(7, 3, 0)
    assert_matches(mine.add_bias(X), ref.add_bias(X), what="add_bias of a 7x3 X (ones first)")
    Xi = np.arange(6).reshape(3, 2)
    assert_matches(mine.add_bias(Xi), ref.add_bias(Xi), what="add_bias of an integer 3x2 X (result is float64)")


@pytest.mark.parametrize("n,d", [(40, 1), (60, 5), (25, 12)])
def test_normal_equations_match_reference(n, d):
    X, y = problem(n, d, n + d)
    assert_matches(mine.fit_normal_equations(X, y), ref.fit_normal_equations(X, y), what=f"fit_normal_equations weights for N={n}, D={d}", rtol=1e-7, atol=1e-9)


def test_mse_and_predict_match_reference():
    X, y = problem(30, 4, 1)
    w = np.random.default_rng(2).normal(size=5)
    assert_matches(mine.mse(X, y, w), ref.mse(X, y, w), what="mse of random weights, N=30, D=4", rtol=1e-10, n=30)
    assert_matches(mine.predict(X, w), ref.predict(X, w), what="predict with random weights, N=30, D=4", rtol=1e-10)
    assert_raises(ValueError, mine.predict, X, np.ones(4), what="predict with 4 weights for D=4 (the bias is missing)")


@pytest.mark.parametrize("lr,epochs", [(0.05, 1), (0.05, 3), (0.02, 40)])
def test_gradient_descent_matches_reference(lr, epochs):
    X, y = problem(50, 3, 9)
    w, history = mine.fit_gradient_descent(X, y, lr=lr, epochs=epochs)
    w_ref, history_ref = ref.fit_gradient_descent(X, y, lr=lr, epochs=epochs)
    assert_matches(np.asarray(history), np.asarray(history_ref), what=f"loss history for lr={lr}, epochs={epochs} (history[k]: loss before update k)", rtol=1e-9)
    assert_matches(w, w_ref, what=f"weights after {epochs} gradient-descent epochs with lr={lr}", rtol=1e-9, atol=1e-12, n=50)


def test_gradient_descent_reaches_the_least_squares_solution():
    X, y = problem(80, 4, 3)
    w, history = mine.fit_gradient_descent(X, y, lr=0.1, epochs=3000)
    assert_matches(w, ref.fit_normal_equations(X, y), what="gradient-descent weights after 3000 epochs vs the least-squares weights", rtol=1e-6, atol=1e-8)
    assert all(b <= a + 1e-12 for a, b in zip(history, history[1:])), "the loss history should never increase for this small learning rate"


def test_bad_shapes_and_settings_are_rejected():
    X, y = problem(10, 2, 4)
    assert_raises(ValueError, mine.fit_normal_equations, X, y[:-1], what="fit_normal_equations with 10 rows of X and 9 targets")
    assert_raises(ValueError, mine.fit_gradient_descent, X, y[:-1], what="fit_gradient_descent with 10 rows of X and 9 targets")
    assert_raises(ValueError, mine.fit_gradient_descent, X, y, lr=0.0, what="fit_gradient_descent with lr=0")
    assert_raises(ValueError, mine.fit_gradient_descent, X, y, epochs=0, what="fit_gradient_descent with epochs=0")


def test_r2_score_matches_reference():
    rng = np.random.default_rng(5)
    y = rng.normal(10.0, 3.0, size=100)
    for noise in (0.1, 2.0, 10.0):
        pred = y + rng.normal(0, noise, size=100)
        assert_matches(mine.r2_score(y, pred), ref.r2_score(y, pred), what=f"r2_score with prediction noise {noise}", rtol=1e-10, atol=1e-12)
    assert_raises(ValueError, mine.r2_score, np.full(5, 3.0), np.arange(5.0), what="r2_score with a constant y_true")
    assert_raises(ValueError, mine.r2_score, np.arange(5.0), np.arange(4.0), what="r2_score with 5 targets and 4 predictions")


def test_r2_score_at_the_extremes():
    rng = np.random.default_rng(8)
    for v, n in ((0.1, 3), (0.1, 7), (7.7, 7), (1e8 + 0.1, 3)):
        assert_raises(ValueError, mine.r2_score, np.full(n, v), np.arange(float(n)),
                      what=f"r2_score with a constant y_true of {n} values (SS_tot rounds to about 1e-33, not exactly 0; "
                           "test the values)")
    y = 1e8 + rng.normal(0.0, 1.0, size=200)   # large mean, unit spread: sum(y^2) - N mean^2 cancels
    pred = y + rng.normal(0.0, 0.5, size=200)
    assert_matches(mine.r2_score(y, pred), ref.r2_score(y, pred), what="r2_score for targets about 1e8 with unit spread "
                   "(compute SS_tot around the mean, not as sum(y^2) - N mean^2)", rtol=1e-6)
    y = np.array([1.0, 2.0, 4.0, 7.0])
    assert_matches(mine.r2_score(y, y), 1.0, what="r2_score of a perfect prediction", rtol=0, atol=1e-15)
    assert_matches(mine.r2_score(y, np.full(4, y.mean())), 0.0, what="r2_score of predicting the mean", atol=1e-15)
    assert_raises(ValueError, mine.r2_score, y.reshape(4, 1), y, what="r2_score with y_true of shape (4, 1) and y_pred of shape "
                  "(4,) (same size, different shape: broadcasting would compare every pair)")


def test_float32_and_integer_inputs_give_float64():
    X, y = problem(20, 3, 6)
    w = np.random.default_rng(7).normal(size=4)
    for kind, Xk, yk in (("float32", X.astype(np.float32), y.astype(np.float32)), ("int", np.round(3 * X).astype(int), np.round(y).astype(int))):
        assert_matches(mine.add_bias(Xk), ref.add_bias(Xk), what=f"add_bias of a {kind} X (float64 result)")
        assert_matches(mine.predict(Xk, w.astype(np.float32)), ref.predict(Xk, w.astype(np.float32)),
                       what=f"predict for a {kind} X and float32 weights (float64 result)", rtol=1e-6)
        assert_matches(mine.fit_normal_equations(Xk, yk), ref.fit_normal_equations(Xk, yk),
                       what=f"fit_normal_equations on {kind} data (float64 weights)", rtol=1e-6, atol=1e-9)
        w_gd, history = mine.fit_gradient_descent(Xk, yk, lr=0.05, epochs=5)
        assert_matches(w_gd, ref.fit_gradient_descent(Xk, yk, lr=0.05, epochs=5)[0], what=f"fit_gradient_descent on {kind} "
                       "data (float64 weights)", rtol=1e-6, atol=1e-9)
        assert isinstance(history, list) and all(isinstance(h, float) for h in history), \
            f"the loss history should be a list of floats, got {type(history).__name__}"


def test_gradient_descent_twice_starts_afresh():
    (X1, y1), (X2, y2) = problem(30, 2, 10), problem(40, 3, 11)
    mine.fit_gradient_descent(X1, y1, lr=0.05, epochs=7)
    w, history = mine.fit_gradient_descent(X2, y2, lr=0.05, epochs=4)
    w_ref, history_ref = ref.fit_gradient_descent(X2, y2, lr=0.05, epochs=4)
    assert len(history) == 4, "the second call of fit_gradient_descent returned a history that is not `epochs` long (state kept between calls?)"
    assert_matches(np.asarray(history), np.asarray(history_ref), what="loss history of a second fit_gradient_descent call", rtol=1e-9)
    assert_matches(w, w_ref, what="weights of a second fit_gradient_descent call (each call starts from w = 0)", rtol=1e-9, atol=1e-12)


# --- shapes and settings the docstrings rule out ---

def test_targets_must_be_one_dimensional():
    X, y = problem(12, 2, 13)
    for fit in (mine.fit_normal_equations, mine.fit_gradient_descent):
        name = fit.__name__
        assert_raises(ValueError, fit, X, y[:, None], what=f"{name} with y of shape (12, 1) (y must be (N,): a column "
                      "broadcasts against Xb w into an N x N residual)")
        assert_raises(ValueError, fit, X[:, 0], y, what=f"{name} with a 1-D X (X must be (N, D))")


def test_negative_learning_rate_is_rejected():
    X, y = problem(10, 2, 4)
    assert_raises(ValueError, mine.fit_gradient_descent, X, y, lr=-0.1, what="fit_gradient_descent with lr=-0.1 "
                  "(lr <= 0 is an error, not only lr == 0)")


# --- normal equations: solved exactly, without an explicit inverse ---

def test_normal_equations_use_a_solver_not_an_inverse():
    X, y = problem(30, 3, 14)
    rule = "solve Xb^T Xb w = Xb^T y with np.linalg.solve, never form an inverse"
    with refuse_calls(np.linalg, ["inv", "pinv"], rule):
        mine.fit_normal_equations(X, y)


def test_normal_equations_at_a_small_feature_scale():
    # features about 1e-3: Xb^T Xb has eigenvalues about N * 1e-6, so a ridge term added "for stability"
    # (even 1e-10 * I) moves the weights far more than rounding does
    X, y = problem(25, 3, 15)
    X = 1e-3 * X
    assert_matches(mine.fit_normal_equations(X, y), ref.fit_normal_equations(X, y), what="fit_normal_equations with "
                   "features about 1e-3 (the exact least-squares weights: no ridge or epsilon term)", rtol=1e-7,
                   atol=1e-9)


# --- R^2 in float64, and a small spread is not a constant ---

def test_r2_score_is_computed_in_float64():
    rng = np.random.default_rng(16)
    y = rng.normal(10.0, 3.0, size=100).astype(np.float32)
    pred = (y + rng.normal(0, 1.0, size=100)).astype(np.float32)
    got = mine.r2_score(y, pred)
    assert_matches(got, ref.r2_score(y, pred), what="r2_score of float32 arrays (convert to float64 before summing)",
                   rtol=1e-10)
    if not isinstance(got, float):
        raise Mismatch(f"r2_score should return a Python float, got {type(got).__name__}")


def test_r2_score_of_a_tiny_but_real_spread():
    y = 1e-13 * np.array([1.0, -2.0, 0.5, 3.0, -1.5])
    pred = y + 1e-14 * np.array([0.3, -0.2, 0.1, 0.4, -0.6])
    assert_matches(mine.r2_score(y, pred), ref.r2_score(y, pred), what="r2_score for targets about 1e-13 apart (only "
                   "all-equal values are constant: no tolerance on the spread)", rtol=1e-9)


# --- no early exit, no silent reshaping ---

def test_gradient_descent_runs_every_epoch_even_when_diverging():
    # a step size past 2 / largest eigenvalue makes the loss grow: the function still runs `epochs` updates
    X, y = problem(20, 2, 17)
    X = 3.0 * X
    w, history = mine.fit_gradient_descent(X, y, lr=0.5, epochs=6)
    w_ref, history_ref = ref.fit_gradient_descent(X, y, lr=0.5, epochs=6)
    assert_matches(np.asarray(history), np.asarray(history_ref), what="loss history of 6 epochs with a step size that "
                   "diverges (record every epoch; no early stopping when the loss goes up)", rtol=1e-9)
    assert_matches(w, w_ref, what="weights after 6 diverging epochs", rtol=1e-9)
    assert_raises(ValueError, mine.fit_gradient_descent, X, y, epochs=-2, what="fit_gradient_descent with epochs=-2 "
                  "(any epochs < 1 is an error)")


def test_predict_rejects_column_weights():
    X, _ = problem(6, 3, 18)
    w = np.random.default_rng(19).normal(size=4)
    assert_raises(ValueError, mine.predict, X, w[:, None], what="predict with weights of shape (4, 1) for D=3 (w must "
                  "have shape (D + 1,): a column gives an (N, 1) prediction)")
    assert_raises(ValueError, mine.predict, X, np.ones(5), what="predict with 5 weights for D=3")
