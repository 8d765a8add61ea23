"""Visible tests for Exercise 7.5 (the training speedrun). Run: make phase7

`naive_train` (grader/milestones/speedrun_baseline.py) is the slow loop to make fast; `numpy_train`
is the same training in float64 NumPy. fast_train must follow their loss curve."""
import numpy as np

from grader.milestones.speedrun_baseline import naive_train, numpy_train
from grader.target import exercise

sr = exercise("7.5")
rng = np.random.default_rng(75)
X = rng.random((10, 6)).astype(np.float32)          # N = 10 rows of D = 6 features
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])         # C = 3 classes
PARAMS = [rng.normal(0, 0.5, (6, 5)).astype(np.float32), np.zeros(5, np.float32),
          rng.normal(0, 0.5, (5, 3)).astype(np.float32), np.zeros(3, np.float32)]


def test_zero_weights_start_at_log_c():
    zeros = [np.zeros_like(p) for p in PARAMS]
    losses, _ = sr.fast_train(X, Y, zeros, steps=1, batch_size=4, lr=0.1)
    np.testing.assert_allclose(losses, [np.log(3)], rtol=1e-6)     # uniform softmax over 3 classes


def test_same_loss_curve_as_the_naive_loop():
    # 3 steps of 4 rows: rows 0-3, 4-7, then 8, 9, 0, 1 (wrapping around the end of the data)
    losses, params = sr.fast_train(X, Y, PARAMS, steps=3, batch_size=4, lr=0.5)
    slow_losses, slow_params = naive_train(X, Y, PARAMS, steps=3, batch_size=4, lr=0.5)
    np.testing.assert_allclose(losses, slow_losses, rtol=1e-4)
    for p, q in zip(params, slow_params):
        np.testing.assert_allclose(p, q, atol=1e-5)


def test_float32_results_of_the_declared_shapes():
    losses, params = sr.fast_train(X, Y, PARAMS, steps=3, batch_size=4, lr=0.5)
    assert losses.dtype == np.float32 and losses.shape == (3,)
    assert [p.dtype for p in params] == [np.float32] * 4
    assert [p.shape for p in params] == [(6, 5), (5,), (5, 3), (3,)]


def test_many_passes_over_the_data():
    # 8 steps of 4 rows go 3.2 times through the 10 rows
    losses, params = sr.fast_train(X, Y, PARAMS, steps=8, batch_size=4, lr=0.5)
    expected, expected_params = numpy_train(X, Y, PARAMS, steps=8, batch_size=4, lr=0.5)
    np.testing.assert_allclose(losses, expected, rtol=1e-4)
    for p, q in zip(params, expected_params):
        np.testing.assert_allclose(p, q, atol=1e-5)


def test_each_call_starts_from_its_own_parameters():
    first, _ = sr.fast_train(X, Y, PARAMS, steps=3, batch_size=4, lr=0.5)
    other = [2 * p for p in PARAMS]
    second, _ = sr.fast_train(X, Y, other, steps=3, batch_size=4, lr=0.5)
    np.testing.assert_allclose(second, numpy_train(X, Y, other, 3, 4, 0.5)[0], rtol=1e-4)
    before = [p.copy() for p in PARAMS]
    sr.fast_train(X, Y, PARAMS, steps=3, batch_size=4, lr=0.5)
    for p, q in zip(PARAMS, before):
        np.testing.assert_array_equal(p, q)                         # the caller's arrays are not changed


def test_bad_input_raises_value_error():
    for kwargs in (dict(steps=0, batch_size=4, lr=0.5), dict(steps=3, batch_size=11, lr=0.5),
                   dict(steps=3, batch_size=4, lr=0.0)):
        try:
            sr.fast_train(X, Y, PARAMS, **kwargs)
        except ValueError:
            continue
        raise AssertionError(f"fast_train(..., {kwargs}) did not raise ValueError")
