"""Hidden checks for Exercise 4.1: the learner's MLP against NumPy forward/backward computations."""
import math

import numpy as np
from tinygrad import Tensor, TinyJit, dtypes
from tinygrad.nn.optim import SGD

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise

mine = exercise("4.1")

# Shapes shared with the visible tests (their forward test's MLP, their training step's MLP and batch), so a
# check compiles and schedules few kernels of its own; the training step's batch has 64 rows, 8 features.
SMALL, TRAIN = (6, 5, 4, 3), (8, 16, 2)


def _realized(sizes, seed):
    """A fresh TinygradNN(sizes) after Tensor.manual_seed(seed), its parameters realized one by one (as the
    visible tests read them: the same schedules)."""
    Tensor.manual_seed(seed)
    model = mine.TinygradNN(sizes)
    for t in model.weights + model.biases:
        t.realize()
    return model


def _jitted_step(model, lr):
    """The learner's make_train_step with SGD(lr), its lr realized: step 1 then has the graph of every later step."""
    opt = SGD(model.parameters(), lr=lr)
    opt.lr.realize()
    return mine.make_train_step(model, opt)


def _numpy64(model):
    return [w.numpy().astype(np.float64) for w in model.weights], [b.numpy().astype(np.float64) for b in model.biases]


def _np_forward(Ws, bs, x):
    hs = [x]
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = hs[-1] @ W + b
        hs.append(np.maximum(z, 0) if k < len(Ws) - 1 else z)
    return hs


def _np_sgd_step(Ws, bs, x, y, lr):
    """One SGD step of mean cross-entropy, in float64; returns (loss, new Ws, new bs)."""
    hs = _np_forward(Ws, bs, x)
    z = hs[-1] - hs[-1].max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    d = p.copy(); d[np.arange(len(y)), y] -= 1; d /= len(y)
    gW, gb = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        gW[k], gb[k] = hs[k].T @ d, d.sum(0)
        d = (d @ Ws[k].T) * (hs[k] > 0)
    return loss, [W - lr * g for W, g in zip(Ws, gW)], [b - lr * g for b, g in zip(bs, gb)]


def test_every_layer_is_kaiming_normal():
    model = _realized((300, 200, 50, 10), 11)   # large enough for a 8% tolerance on the std
    if len(model.weights) != 3 or len(model.biases) != 3:
        raise Mismatch(f"TinygradNN((300, 200, 50, 10)) should have 3 weights and 3 biases, got {len(model.weights)} and {len(model.biases)}")
    for k, (w, n_in) in enumerate(zip(model.weights, (300, 200, 50))):
        w = w.numpy()
        assert_matches(np.array([float(w.std())]), np.array([math.sqrt(2 / n_in)]), what=f"std of layer {k + 1} weights (fan-in {n_in})", rtol=0.08)
        assert_matches(np.array([float(w.mean())]), np.array([0.0]), what=f"mean of layer {k + 1} weights", atol=5 * math.sqrt(2 / n_in / w.size))
        assert_matches(model.biases[k].numpy(), np.zeros(w.shape[1], np.float32), what=f"initial bias of layer {k + 1}")


def test_initialisation_follows_tinygrad_seed():
    a, b, c = ([w.numpy() for w in _realized(SMALL, seed).weights] for seed in (5, 5, 6))
    for k, (wa, wb) in enumerate(zip(a, b)):
        assert_matches(wa, wb, what=f"layer {k + 1} weights after the same Tensor.manual_seed (use Tensor.randn, not NumPy)", rtol=0, atol=0)
    if all(np.array_equal(wa, wc) for wa, wc in zip(a, c)):
        raise Mismatch(f"TinygradNN({SMALL}) has the same weights after Tensor.manual_seed(5) and manual_seed(6); "
                       "the caller's seed should decide the initialisation (a seed set inside __init__?)")


def test_forward_matches_numpy_with_nonzero_biases():
    rng = np.random.default_rng(3)
    model = _realized(SMALL, 3)
    Ws = [rng.normal(size=w.shape).astype(np.float32) for w in model.weights]
    bs = [rng.normal(size=b.shape).astype(np.float32) for b in model.biases]
    Tensor.realize(*[t.assign(Tensor(v)) for t, v in zip(model.weights + model.biases, Ws + bs)])
    x = rng.normal(size=(10, 2, 3)).astype(np.float32)
    assert_matches(model(Tensor(x)).numpy(), _np_forward(Ws, bs, x.reshape(10, 6))[-1].astype(np.float32),
                   what=f"logits of a {SMALL} MLP on a (10, 2, 3) batch", rtol=1e-4, atol=1e-5)


def test_parameters_are_interleaved_weights_and_biases():
    model = mine.TinygradNN((4, 3, 2))
    shapes = [tuple(p.shape) for p in model.parameters()]
    if shapes != [(4, 3), (3,), (3, 2), (2,)]:
        raise Mismatch(f"parameters() of a (4, 3, 2) MLP has shapes {shapes}; expected [W1, b1, W2, b2]")


def test_train_step_matches_numpy_sgd_over_three_steps():
    rng = np.random.default_rng(7)
    model = _realized(TRAIN, 7)
    Ws, bs = _numpy64(model)
    step = _jitted_step(model, 0.3)
    if not isinstance(step, type(TinyJit(lambda: None))):   # TinyJit is a factory function in 0.14
        raise Mismatch(f"make_train_step returned a {type(step).__name__}; it should return the step wrapped in TinyJit "
                       "(each call would otherwise schedule and run the whole graph from scratch)")
    for i in range(3):
        x = rng.normal(size=(64, 8)).astype(np.float32)
        y = rng.integers(0, 2, size=64).astype(np.int32)
        loss = step(Tensor(x), Tensor(y))
        want, Ws, bs = _np_sgd_step(Ws, bs, x.astype(np.float64), y, 0.3)
        if not isinstance(loss, Tensor):
            raise Mismatch(f"the step returned {type(loss).__name__}; expected the loss Tensor")
        assert_matches(np.array([loss.item()]), np.array([want]), what=f"loss returned by step {i + 1} (mean cross-entropy before the update)", rtol=1e-4)
        for k in range(len(Ws)):
            assert_matches(model.weights[k].numpy().astype(np.float64), Ws[k], what=f"W{k + 1} after step {i + 1} of SGD", rtol=1e-4, atol=1e-5)
            assert_matches(model.biases[k].numpy().astype(np.float64), bs[k], what=f"b{k + 1} after step {i + 1} of SGD", rtol=1e-4, atol=1e-5)


class BatchSpy:
    """Stands in for a model: records the rows of every batch it is called on, delegates everything else."""

    def __init__(self, model):
        self.model, self.rows = model, []

    def __call__(self, x):
        self.rows.append(int(x.shape[0]))
        return self.model(x)

    def __getattr__(self, name):
        return getattr(self.model, name)


def test_evaluate_matches_numpy_with_ragged_last_batch():
    rng = np.random.default_rng(9)
    model = _realized(SMALL, 9)
    X = rng.normal(size=(23, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=23)
    Ws, bs = [w.numpy() for w in model.weights], [b.numpy() for b in model.biases]
    want = float((_np_forward(Ws, bs, X)[-1].argmax(1) == y).mean())
    spy = BatchSpy(model)
    got = mine.evaluate(spy, X, y, batch_size=10)
    assert_matches(np.array([got]), np.array([want]), what="evaluate(...) on 23 rows with batch_size=10", rtol=0, atol=1e-9)
    if not spy.rows or max(spy.rows) > 10 or sum(spy.rows) != 23:
        raise Mismatch(f"evaluate(..., batch_size=10) on 23 rows called the model on batches of {spy.rows} rows; "
                       "expected batches of at most 10 rows covering every row once")
    assert_raises(ValueError, mine.evaluate, model, X[:0], y[:0], what="evaluate on an empty set")


def test_parameters_are_float32():
    Tensor.manual_seed(2)
    model = mine.TinygradNN((6, 4, 3))
    for k, p in enumerate(model.parameters()):
        if p.dtype != dtypes.float32:
            raise Mismatch(f"parameter {k} of TinygradNN has dtype {p.dtype}; the weights and biases are float32")


def test_two_models_train_side_by_side():
    # each model has its own jitted step; stepping them alternately must not mix their parameters
    rng = np.random.default_rng(13)
    models, steps, numpy_params = [], [], []
    for seed in (1, 2):   # the shapes of the test above: both models reuse its schedule
        model = _realized(TRAIN, seed)
        models.append(model)
        numpy_params.append(_numpy64(model))
        steps.append(_jitted_step(model, 0.2))
    for i in range(3):
        for m, (model, step) in enumerate(zip(models, steps)):
            x = rng.normal(size=(64, 8)).astype(np.float32)
            y = rng.integers(0, 2, size=64).astype(np.int32)
            step(Tensor(x), Tensor(y))
            _, Ws, bs = _np_sgd_step(*numpy_params[m], x.astype(np.float64), y, 0.2)
            numpy_params[m] = (Ws, bs)
            for k in range(len(Ws)):
                assert_matches(model.weights[k].numpy().astype(np.float64), Ws[k],
                               what=f"model {m + 1} of 2, W{k + 1} after its step {i + 1} (steps of two models alternate)", rtol=1e-4, atol=1e-5)
