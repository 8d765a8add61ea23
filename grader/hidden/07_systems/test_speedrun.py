"""Hidden checks for Exercise 7.5: fast_train against the grader's float64 NumPy run of the same
training (numpy_train) on small seeded data: batch sizes that do not divide N and several passes
over the data (wrap-around), batch 1 and batch N, one, two and three layers, float64 inputs,
float32 results, independent calls (other shapes, other values) in one process, the caller's arrays
left alone, bad input."""
import numpy as np

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.milestones.speedrun_baseline import numpy_train
from grader.target import exercise

mine = exercise("7.5")
rng = np.random.default_rng(7500)
X = rng.random((7, 6)).astype(np.float32)
Y = np.array([2, 0, 1, 1, 0, 2, 1])
LR = 0.5


def _params(*sizes, scale=0.6):
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        out += [rng.normal(0, scale, (fan_in, fan_out)).astype(np.float32),
                rng.normal(0, 0.1, fan_out).astype(np.float32)]
    return out


P2 = _params(6, 5, 3)


def _check(what, X, Y, params, steps, batch_size, lr=LR, got=None):
    # got: fast_train's result for these arguments when the test has it already
    losses, trained = got if got is not None else mine.fast_train(X, Y, params, steps, batch_size, lr)
    want_losses, want_params = numpy_train(X, Y, params, steps, batch_size, lr)
    losses = np.asarray(losses)
    if losses.shape != (steps,):
        raise Mismatch(f"{what}: losses must have shape ({steps},), one per step")
    assert_matches(losses, want_losses.astype(np.float32), what=f"the losses of {what}",
                   rtol=1e-4, atol=1e-6)
    if len(trained) != len(params):
        raise Mismatch(f"{what}: expected {len(params)} trained parameters, got {len(trained)}")
    for k, (got, want) in enumerate(zip(trained, want_params)):
        assert_matches(np.asarray(got), want.astype(np.float32), rtol=1e-4, atol=1e-5,
                       what=f"trained parameter {k} ({'W' if k % 2 == 0 else 'b'}{k // 2 + 1}) of {what}")


def test_batches_that_do_not_divide_n_wrap_around():
    # 6 steps of 3 rows over N = 7: 18 rows, 2.6 passes; batches cross the end of the data
    _check("6 steps of 3 rows over N = 7", X, Y, P2, 6, 3)


def test_batch_of_one_row_and_of_all_rows():
    _check("5 steps of 1 row over N = 7", X, Y, P2, 5, 1)
    _check("3 steps of all 7 rows", X, Y, P2, 3, 7)


def test_one_and_three_layers():
    _check("a single layer (softmax regression), 4 steps of 3 rows", X, Y, _params(6, 3), 4, 3)
    _check("three layers 6-5-4-3, 4 steps of 3 rows", X, Y, _params(6, 5, 4, 3), 4, 3)


def test_large_logits_do_not_overflow():
    # every logit near 100: exp() overflows float32 (above about 88) unless the row maximum is taken out
    # first; the softmax does not change when the same number is added to all the logits
    shifted = P2[:-1] + [P2[-1] + np.float32(100.0)]
    _check("4 steps of 3 rows with logits near 100 (an output bias of about 100 on every class)",
           X, Y, shifted, 4, 3)


def test_float64_inputs_give_float32_results():
    args = X.astype(np.float64), Y.astype(np.int32), [p.astype(np.float64) for p in P2], 4, 3, LR
    losses, trained = got = mine.fast_train(*args)
    dtypes = [np.asarray(losses).dtype] + [np.asarray(p).dtype for p in trained]
    if any(d != np.float32 for d in dtypes):
        raise Mismatch("fast_train must return float32 losses and float32 parameters (the training "
                       f"runs in float32), got {[str(d) for d in dtypes]} for float64 inputs")
    _check("4 steps of 3 rows from float64 inputs", *args, got=got)


def test_calls_are_independent():
    # each call has its own parameters, shapes and step: nothing is kept from an earlier call
    _check("a first call (hidden width 5)", X, Y, P2, 4, 3)
    # the same shapes, other data: nothing of X or Y may be kept on the device between calls
    _check("a second call on other rows and labels of the same shape", X[::-1].copy(), Y[::-1].copy(),
           P2, 4, 3)
    _check("a third call with hidden width 8", X, Y, _params(6, 8, 3), 4, 3)
    _check("a fourth call, hidden width 5 again, other values", X, Y, _params(6, 5, 3, scale=0.3), 4, 3)
    _check("a fifth call with another learning rate", X, Y, P2, 4, 3, lr=0.05)


def test_the_callers_arrays_are_not_changed():
    params = [p.copy() for p in P2]
    X_in, Y_in = X.copy(), Y.copy()
    mine.fast_train(X_in, Y_in, params, 4, 3, LR)
    changed = [k for k, (p, q) in enumerate(zip(params, P2)) if not np.array_equal(p, q)]
    if changed or not np.array_equal(X_in, X) or not np.array_equal(Y_in, Y):
        raise Mismatch("fast_train changed the caller's arrays (parameters "
                       f"{changed}, X or Y): it must return new ones")


def test_bad_input_raises_value_error():
    cases = {"batch_size > N": (X, Y, P2, 2, 8, LR), "batch_size 0": (X, Y, P2, 2, 0, LR),
             "steps 0": (X, Y, P2, 0, 3, LR), "lr 0": (X, Y, P2, 2, 3, 0.0),
             "a label equal to C": (X, np.array([0, 1, 3, 1, 0, 2, 1]), P2, 2, 3, LR),
             "W1 with 5 input rows for 6 features": (X, Y, _params(5, 5, 3), 2, 3, LR),
             "an odd number of parameters": (X, Y, P2[:3], 2, 3, LR),
             "6 labels for 7 rows": (X, Y[:6], P2, 2, 3, LR)}
    for what, args in cases.items():
        assert_raises(ValueError, mine.fast_train, *args, what=f"fast_train with {what}")
