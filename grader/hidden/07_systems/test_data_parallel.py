"""Hidden checks for Exercise 7.4: shard sizes, order and contents against numpy.array_split; the
all-reduce as a weighted mean on every device (never a sum, never the plain mean of uneven shards),
bitwise identical copies; bucket layouts at their boundaries, one all-reduce per bucket, shapes
restored; and the trainer against single-device SGD with momentum on the whole batch (tinygrad's
update rule, in NumPy float64), step by step: losses before the update, parameters, replicas
bitwise identical and on their devices, each replica run on its own shard, micro-batches, buckets,
bad input."""
import numpy as np
from tinygrad import Tensor
from tinygrad.nn.state import get_parameters

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise

mine = exercise("7.4")
D2 = ("CPU", "CPU:1")
D3 = ("CPU:1", "CPU", "CPU:2")        # the first device is not the default one


# ----------------------------------------------------------------------------------------------
# shard_batch
# ----------------------------------------------------------------------------------------------

def test_shard_batch_sizes_order_and_contents():
    rng = np.random.default_rng(74)
    xs = rng.normal(size=(13, 3)).astype(np.float32)
    ys = rng.integers(0, 100, 13).astype(np.int32)
    x, y = Tensor(xs).realize(), Tensor(ys).realize()
    for batch, n in ((13, 5), (13, 1), (13, 13), (12, 4), (7, 3), (13, 4)):
        xb, yb = (x, y) if batch == 13 else (x[:batch], y[:batch])
        shards = mine.shard_batch(xb, yb, n)
        want = np.array_split(np.arange(batch), n)
        what = f"shard_batch of a batch of {batch} into n={n}"
        if not isinstance(shards, (list, tuple)) or len(shards) != n:
            raise Mismatch(f"{what}: expected a list of {n} (x_k, y_k) pairs")
        sizes = [int(s[0].shape[0]) for s in shards]
        if sizes != [len(w) for w in want]:
            raise Mismatch(f"{what}: shard sizes {sizes}; they must differ by at most one, the first "
                           "B % n shards taking one extra row")
        for k, ((xk, yk), rows) in enumerate(zip(shards, want)):
            assert_matches(xk.numpy(), xs[rows], what=f"{what}: x of shard {k} (contiguous rows, in order)")
            assert_matches(yk.numpy(), ys[rows], what=f"{what}: y of shard {k}")


def test_shard_batch_bad_input():
    x, y = Tensor(np.zeros((3, 2), np.float32)), Tensor(np.zeros(3, np.int32))
    for n in (0, -1, 4):
        assert_raises(ValueError, mine.shard_batch, x, y, n, what=f"shard_batch(batch of 3, n={n})")
    assert_raises(ValueError, mine.shard_batch, x, Tensor(np.zeros(2, np.int32)), 1,
                  what="shard_batch with 3 rows of x and 2 of y")


# ----------------------------------------------------------------------------------------------
# allreduce_mean
# ----------------------------------------------------------------------------------------------

def _check_allreduce(arrays, devices, weights, what):
    tensors = [Tensor(a, device=d).realize() for a, d in zip(arrays, devices)]
    out = mine.allreduce_mean(tensors, weights) if weights is not None else mine.allreduce_mean(tensors)
    if not isinstance(out, (list, tuple)) or len(out) != len(devices):
        raise Mismatch(f"{what}: expected a list of {len(devices)} tensors, one per device")
    w = np.full(len(arrays), 1.0 / len(arrays)) if weights is None else np.asarray(weights, np.float64)
    want = sum(wk * a.astype(np.float64) for wk, a in zip(w, arrays)).astype(np.float32)
    first = None
    for k, (t, dev) in enumerate(zip(out, devices)):
        if t.device != dev:
            raise Mismatch(f"{what}: result {k} is on {t.device}, expected on {dev} (the device of input {k})")
        if not t.uop.is_realized:
            raise Mismatch(f"{what}: result {k} is not realized")
        got = t.numpy()
        assert_matches(got, want, what=f"{what}: result on {dev}", rtol=1e-5, atol=1e-6)
        if first is None:
            first = got
        elif not np.array_equal(got, first):
            raise Mismatch(f"{what}: the results on {devices[0]} and {dev} are not bitwise identical")
    for k, (t, a) in enumerate(zip(tensors, arrays)):
        if not np.array_equal(t.numpy(), a):
            raise Mismatch(f"{what}: input {k} was changed")


def test_allreduce_mean_is_a_weighted_mean_on_every_device():
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=(8, 4)).astype(np.float32) for _ in D3]
    _check_allreduce(arrays, D3, None, "allreduce_mean of 3 tensors of shape (8, 4), default weights")
    _check_allreduce(arrays, D3, [3 / 8, 3 / 8, 2 / 8],
                     "allreduce_mean with weights 3/8, 3/8, 2/8 (shards of 3, 3 and 2 rows)")
    _check_allreduce(arrays, D3, [1.0, 0.0, 0.0], "allreduce_mean with weights (1, 0, 0)")
    # these three add up to 1 - 1e-16 in floating point: the docstring's tolerance must accept them
    _check_allreduce(arrays, D3, [0.7, 0.2, 0.1],
                     "allreduce_mean with weights 0.7, 0.2, 0.1 (a float sum of 1 - 1e-16)")
    _check_allreduce(arrays[:2], D2, [0.8, 0.2], "allreduce_mean of 2 tensors with weights (0.8, 0.2)")
    _check_allreduce(arrays[:1], ("CPU:1",), None, "allreduce_mean of a single tensor")


def test_allreduce_mean_bad_input():
    a, b = Tensor(np.ones(3, np.float32)).realize(), Tensor(np.ones(3, np.float32), device="CPU:1").realize()
    assert_raises(ValueError, mine.allreduce_mean, [], what="allreduce_mean([])")
    for w in ([0.5, 0.4], [1.5, -0.5], [1.0], [0.5, 0.25, 0.25], [1.0, 1.0], [0.5, 0.499]):
        assert_raises(ValueError, mine.allreduce_mean, [a, b], w, what=f"allreduce_mean with weights {w}")
    c = Tensor(np.ones(4, np.float32), device="CPU:1").realize()
    assert_raises(ValueError, mine.allreduce_mean, [a, c], what="allreduce_mean of shapes (3,) and (4,)")
    m, t = Tensor(np.ones((2, 3), np.float32)).realize(), Tensor(np.ones((3, 2), np.float32), device="CPU:1").realize()
    assert_raises(ValueError, mine.allreduce_mean, [m, t],
                  what="allreduce_mean of shapes (2, 3) and (3, 2) (the same size is not the same shape)")
    h = Tensor(np.ones(3, np.float16), device="CPU:1").realize()
    assert_raises(ValueError, mine.allreduce_mean, [a, h], what="allreduce_mean of dtypes float32 and float16")


# ----------------------------------------------------------------------------------------------
# bucketed_allreduce
# ----------------------------------------------------------------------------------------------

def _layout(nbytes, limit):
    layout, used = [], 0
    for i, b in enumerate(nbytes):
        if layout and used + b <= limit:
            layout[-1].append(i)
            used += b
        else:
            layout.append([i])
            used = b
    return layout


SHAPES = [(3,), (2, 2), (5,), (1,), (2, 3), (4,)]      # 12, 16, 20, 4, 24, 16 bytes in float32


def test_bucketed_allreduce_layout_values_and_one_call_per_bucket(monkeypatch):
    rng = np.random.default_rng(11)
    arrays = [[rng.normal(size=s).astype(np.float32) for s in SHAPES] for _ in D2]
    grads = [[Tensor(a, device=d).realize() for a in arrs] for arrs, d in zip(arrays, D2)]
    nbytes = [int(np.prod(s)) * 4 for s in SHAPES]
    inner = mine.allreduce_mean
    calls = []

    def counting(tensors, weights=None):
        calls.append([int(np.prod(t.shape)) if t.ndim == 1 else -1 for t in tensors])
        return inner(tensors, weights)

    monkeypatch.setattr(getattr(mine, "_module", mine), "allreduce_mean", counting)   # the module's global
    weights = [0.7, 0.3]
    want = [0.7 * a.astype(np.float64) + 0.3 * b.astype(np.float64) for a, b in zip(*arrays)]
    # 28: exactly full after two; 20: the 24-byte gradient alone; 1: every one alone; 10**6: one bucket
    for limit in (28, 20, 32, 1, 10 ** 6):
        what = f"bucketed_allreduce of gradients of {nbytes} bytes with bucket_bytes={limit}"
        calls.clear()
        reduced, layout = mine.bucketed_allreduce(grads, limit, weights)
        expected = _layout(nbytes, limit)
        if [list(b) for b in layout] != expected:
            raise Mismatch(f"{what}: bucket layout {layout}; expected the gradients in order, a new bucket "
                           "whenever the next one would take the bucket past bucket_bytes")
        sizes = [sum(int(np.prod(SHAPES[i])) for i in b) for b in expected]
        if len(calls) != len(expected) or any(c != [s] * len(D2) for c, s in zip(calls, sizes)):
            raise Mismatch(f"{what}: expected one allreduce_mean call per bucket on the flat 1-D bucket "
                           f"tensors ({len(expected)} calls), saw {len(calls)}")
        for k, dev in enumerate(D2):
            if len(reduced[k]) != len(SHAPES):
                raise Mismatch(f"{what}: replica {k} got {len(reduced[k])} gradients back, expected {len(SHAPES)}")
            for i, (g, w) in enumerate(zip(reduced[k], want)):
                if g.device != dev:
                    raise Mismatch(f"{what}: gradient {i} of replica {k} is on {g.device}, expected {dev}")
                assert_matches(g.numpy(), w.astype(np.float32), what=f"{what}: gradient {i} of replica {k}",
                               rtol=1e-5, atol=1e-6)


def test_bucketed_allreduce_bad_input():
    g = [[Tensor(np.ones(3, np.float32))], [Tensor(np.ones(3, np.float32), device="CPU:1")]]
    for limit in (0, -8):
        assert_raises(ValueError, mine.bucketed_allreduce, g, limit, what=f"bucket_bytes={limit}")
    bad = [[Tensor(np.ones(3, np.float32))], [Tensor(np.ones(4, np.float32), device="CPU:1")]]
    assert_raises(ValueError, mine.bucketed_allreduce, bad, 64, what="replicas with gradients of shapes (3,) and (4,)")
    turned = [[Tensor(np.ones((2, 3), np.float32))], [Tensor(np.ones((3, 2), np.float32), device="CPU:1")]]
    assert_raises(ValueError, mine.bucketed_allreduce, turned, 64,
                  what="replicas with gradients of shapes (2, 3) and (3, 2) (same size, other shape)")
    extra = [g[0], [g[1][0], Tensor(np.ones(3, np.float32), device="CPU:1")]]
    assert_raises(ValueError, mine.bucketed_allreduce, extra, 64, what="replicas with 1 and 2 gradients")
    mixed = [[g[0][0], Tensor(np.ones(3, np.float16))],
             [g[1][0], Tensor(np.ones(3, np.float16), device="CPU:1")]]
    assert_raises(ValueError, mine.bucketed_allreduce, mixed, 64, what="gradients of float32 and float16")


def test_bucketed_allreduce_counts_bytes_of_the_gradients_dtype():
    # float16: 6, 8, 10, 2, 12, 8 bytes. bucket_bytes=14 gives [0, 1], [2, 3], [4], [5]
    rng = np.random.default_rng(12)
    arrays = [[rng.normal(size=s).astype(np.float16) for s in SHAPES] for _ in D2]
    grads = [[Tensor(a, device=d).realize() for a in arrs] for arrs, d in zip(arrays, D2)]
    reduced, layout = mine.bucketed_allreduce(grads, 14, [0.5, 0.5])
    if [list(b) for b in layout] != _layout([int(np.prod(s)) * 2 for s in SHAPES], 14):
        raise Mismatch(f"bucketed_allreduce of float16 gradients, bucket_bytes=14: layout {layout}. "
                       "A gradient's size is numel * itemsize of its dtype (2 for float16)")
    got = sorted({str(g.dtype) for gs in reduced for g in gs})
    if got != ["dtypes.half"]:
        raise Mismatch(f"bucketed_allreduce of float16 gradients returned gradients of {got}: a reduced gradient "
                       "keeps the dtype of the gradients (accumulate wider if you like, but cast back)")
    for i, (g, a, b) in enumerate(zip(reduced[1], *arrays)):
        want = (0.5 * a.astype(np.float64) + 0.5 * b.astype(np.float64)).astype(np.float16)
        assert_matches(np.asarray(g.numpy(), np.float32), want.astype(np.float32), rtol=2e-3, atol=2e-3,
                       what=f"bucketed_allreduce of float16 gradients: gradient {i} of replica 1")


# ----------------------------------------------------------------------------------------------
# DataParallelTrainer against single-device SGD
# ----------------------------------------------------------------------------------------------

_BUILT = [0]


class MLP:
    """16 -> 8 -> 4; every instance draws different weights (the trainer must copy replica 0's)
    and records the device and batch size of every call."""

    def __init__(self, weights=None):
        _BUILT[0] += 1
        rng = np.random.default_rng(1000 + _BUILT[0])
        w = weights or [rng.normal(0, 0.5, (16, 8)), rng.normal(0, 0.1, 8), rng.normal(0, 0.5, (8, 4)),
                        rng.normal(0, 0.1, 4)]
        self.w1, self.b1, self.w2, self.b2 = (Tensor(np.asarray(a, np.float32)) for a in w)
        self.calls = []

    def __call__(self, x):
        self.calls.append((x.device, int(x.shape[0])))
        return (x @ self.w1 + self.b1).relu() @ self.w2 + self.b2


def mse(out, y):
    return (out - y).square().mean()


def _data(batch, steps, seed, regression=False):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        x = rng.normal(size=(batch, 16)).astype(np.float32)
        y = rng.normal(size=(batch, 4)).astype(np.float32) if regression else rng.integers(0, 4, batch).astype(np.int32)
        out.append((x, y))
    return out


def _oracle(init, data, lr, momentum, regression):
    """Single-device SGD on the whole batch in NumPy float64, by tinygrad's update rule (SGD, classic=False):
    b = momentum * b + g (b starts at 0), p = p - lr * b. Parameters come back as float32."""
    params = [a.astype(np.float64) for a in init]                   # w1, b1, w2, b2
    bufs = [np.zeros_like(p) for p in params]
    params_after, losses = [], []
    for x, y in data:
        w1, b1, w2, b2 = params
        x = x.astype(np.float64)
        h = x @ w1 + b1
        a = np.maximum(h, 0.0)
        out = a @ w2 + b2
        if regression:                                              # mse: mean over every entry
            diff = out - y.astype(np.float64)
            losses.append(float(np.mean(diff ** 2)))
            g_out = 2.0 * diff / diff.size
        else:                                       # the default loss, softmax cross-entropy: mean over rows
            z = out - out.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            rows = np.arange(len(y))
            losses.append(float(-logp[rows, y].mean()))
            g_out = np.exp(logp)
            g_out[rows, y] -= 1.0
            g_out /= len(y)
        g_h = (g_out @ w2.T) * (h > 0)
        grads = [x.T @ g_h, g_h.sum(axis=0), a.T @ g_out, g_out.sum(axis=0)]
        for i, g in enumerate(grads):
            if momentum:
                bufs[i] = momentum * bufs[i] + g
                g = bufs[i]
            params[i] = params[i] - lr * g
        params_after.append([p.astype(np.float32) for p in params])
    return params_after, losses


def _train(devices, data, lr, momentum, what, micro_batches=1, loss_fn=None, bucket_bytes=None):
    kwargs = {} if loss_fn is None else {"loss_fn": loss_fn}
    if bucket_bytes is not None:
        kwargs["bucket_bytes"] = bucket_bytes
    trainer = mine.DataParallelTrainer(MLP, devices, lr, momentum, **kwargs)
    replicas = list(getattr(trainer, "replicas", []))
    if len(replicas) != len(devices):
        raise Mismatch(f"{what}: trainer.replicas should hold {len(devices)} models, one per device")
    init = [p.numpy() for p in get_parameters(replicas[0])]
    want_params, want_losses = _oracle(init, data, lr, momentum, loss_fn is mse)
    batch = data[0][0].shape[0]
    shard_sizes = [len(r) for r in np.array_split(np.arange(batch), len(devices))]
    for t, ((x, y), want_p, want_l) in enumerate(zip(data, want_params, want_losses), start=1):
        for r in replicas:
            r.calls.clear()
        loss = trainer.step(Tensor(x), Tensor(y), micro_batches=micro_batches)
        if not isinstance(loss, float):
            raise Mismatch(f"{what}: step {t} returned {type(loss).__name__}, expected a Python float")
        assert_matches(loss, want_l, what=f"{what}: loss of step {t} (the mean over the whole batch, "
                       "before the update)", rtol=1e-5)
        ref_params = None
        for k, (r, dev, n_k) in enumerate(zip(replicas, devices, shard_sizes)):
            devs = {c[0] for c in r.calls}
            if devs - {dev}:
                raise Mismatch(f"{what}: step {t}: replica {k} was called with inputs on {sorted(devs)}; its "
                               f"shard belongs on {dev}")
            if len(r.calls) != micro_batches or sum(c[1] for c in r.calls) != n_k:
                raise Mismatch(f"{what}: step {t}: replica {k} ran {len(r.calls)} forward pass(es) on "
                               f"{sum(c[1] for c in r.calls)} rows; expected {micro_batches} on its shard of "
                               f"{n_k} rows")
            params = get_parameters(r)
            if any(p.device != dev for p in params):
                raise Mismatch(f"{what}: replica {k}'s parameters are not all on {dev}")
            values = [p.numpy() for p in params]
            if ref_params is None:
                ref_params = values
                for i, (v, w) in enumerate(zip(values, want_p)):
                    assert_matches(v, w, what=f"{what}: parameter {i} after step {t} (vs one device, "
                                   "whole batch)", rtol=1e-5, atol=1e-6)
            elif not all(np.array_equal(v, v0) for v, v0 in zip(values, ref_params)):
                raise Mismatch(f"{what}: after step {t} replica {k} differs from replica 0: the replicas "
                               "drift apart (they must stay bitwise identical)")
    return max(float(np.abs(v - w).max()) for v, w in zip(ref_params, want_params[-1]))


def test_two_devices_even_shards_with_momentum():
    _train(D2, _data(8, 3, seed=1), 0.05, 0.9, "2 devices, batch 8")


def test_three_devices_uneven_shards():
    _train(D3, _data(8, 2, seed=2), 0.1, 0.9, f"{D3}, batch 8 (shards 3, 3, 2)")


def test_micro_batches_of_uneven_sizes():
    _train(D2, _data(14, 2, seed=3), 0.1, 0.9, "2 devices, batch 14, micro-batches 3, 2, 2",
           micro_batches=3)


def test_buckets_and_a_custom_loss():
    # parameters of 512, 32, 128 and 16 bytes: buckets [w1], [b1, w2, b2]
    _train(D3, _data(8, 2, seed=4, regression=True), 0.1, 0.9,
           "3 devices, bucket_bytes=200, MSE loss", loss_fn=mse,
           bucket_bytes=200)


def test_trainer_bad_input():
    trainer = mine.DataParallelTrainer(MLP, D2, 0.1)
    x, y = Tensor(np.zeros((4, 16), np.float32)), Tensor(np.zeros(4, np.int32))
    assert_raises(ValueError, trainer.step, x, y, micro_batches=0, what="step(micro_batches=0)")
    assert_raises(ValueError, trainer.step, x, y, micro_batches=3,
                  what="step with shards of 2 rows and micro_batches=3")
    assert_raises(ValueError, trainer.step, x[:1], y[:1], what="step with a batch of 1 on 2 devices")
