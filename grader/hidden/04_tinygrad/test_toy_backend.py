"""Hidden checks for Exercise 4.6: the interpreter on kernels with casts, reductions, gates; TOY vs CPU or NumPy."""
import time

import numpy as np
from tinygrad import Context, Tensor, dtypes, nn

from grader import toy_device
from grader.compare import Mismatch, assert_matches
from grader.target import exercise

mine = exercise("4.6")
DEV = toy_device.register(mine.interpret)
rng = np.random.default_rng(46)


def on_both(make, *arrays):
    cpu = make(*[Tensor(a, device="CPU") for a in arrays]).numpy()
    toy = make(*[Tensor(a, device=DEV) for a in arrays]).numpy()
    return toy, cpu


def on_toy(make, *arrays):
    return make(*[Tensor(a, device=DEV) for a in arrays]).numpy()


def test_reductions_and_row_ops():
    # plain math: the oracle is NumPy float64 (cast to float32), not a second tinygrad run on CPU
    A = rng.normal(size=(5, 7)).astype(np.float32)
    a = A.astype(np.float64)
    e = np.exp(a - a.max(1, keepdims=True))
    want = e / e.sum(1, keepdims=True) + a.sum(0, keepdims=True) / 7
    assert_matches(on_toy(lambda t: t.softmax(1) + t.sum(0, keepdim=True) / 7, A), want.astype(np.float32),
                   what="softmax + column mean on TOY vs NumPy", rtol=1e-5, atol=1e-6)
    want = (a.max(1) + a.argmax(1)).astype(np.float32)
    assert_matches(on_toy(lambda t: t.max(1) + t.argmax(1).float(), A), want,
                   what="max + argmax (int results cast to float) on TOY vs NumPy", rtol=1e-5, atol=1e-6)


def test_integer_casts_and_division():
    A = (rng.normal(size=(9,)) * 20).astype(np.float32)
    toy, cpu = on_both(lambda a: (a.cast(dtypes.int32) // 3 + a.cast(dtypes.int32) % 5).cast(dtypes.float32) + a.cast(dtypes.int32).cast(dtypes.uint8).cast(dtypes.float32), A)
    assert_matches(toy, cpu, what="float -> int32, // and %, int32 -> uint8 (wraps) on TOY vs CPU (casts applied?)", rtol=0, atol=0)


def test_loop_bounds_exact():
    for n in (1, 3, 11):
        A = rng.normal(size=(n, n)).astype(np.float32)
        a = A.astype(np.float64)
        assert_matches(on_toy(lambda t: (t @ t).sum(1), A), (a @ a).sum(1).astype(np.float32),
                       what=f"row sums of a {n}x{n} matmul on TOY vs NumPy (loop ends?)", rtol=1e-5, atol=1e-5)


def test_padding_uses_gated_loads():
    img = rng.normal(size=(1, 1, 6, 6)).astype(np.float32)
    w = rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    padded = np.pad(img[0, 0].astype(np.float64), 1)
    want = np.array([[[(padded[i:i + 3, j:j + 3] * k[0]).sum() for j in range(6)] for i in range(6)] for k in w])
    assert_matches(on_toy(lambda x, k: x.conv2d(k, padding=1), img, w), want[None].astype(np.float32),
                   what="padded conv2d on TOY vs NumPy (gated loads: alt value when the gate is off)", rtol=1e-5, atol=1e-5)
    A = rng.normal(size=(16, 20)).astype(np.float32)            # large enough to stay a loop (small ones unroll)
    assert_matches(on_toy(lambda a: a.pad(((1, 1), (2, 0))) * 2 + 1, A), np.pad(A, ((1, 1), (2, 0))) * 2 + 1,
                   what="zero padding on TOY vs NumPy (gated loads: alt value when the gate is off)", rtol=1e-6, atol=1e-6)


def test_float_results_rounded_to_float32_after_every_op():
    # a + b rounds to float32 before the max: on CPU 1 + 1e-8 is exactly 1, so the difference vanishes;
    # kept in float64 between ops it would survive
    A = np.array([1.0, 1e8, 3.0, -2.5], np.float32)
    B = np.array([1e-8, 1.0, 1 / 3, 1e-7], np.float32)
    toy, cpu = on_both(lambda a, b: (a + b).maximum(-1e9) - a, A, B)
    assert_matches(toy, cpu, what="(a + b).maximum(-1e9) - a on TOY vs CPU (float ALU results cast to float32 after "
                   "every op, not only int ones?)", rtol=0, atol=0)


def _rand(device):
    """58 draws of Tensor.rand after manual_seed(3), one graph: tinygrad's random-number kernels run on `device`."""
    with Context(DEV=device):
        Tensor.manual_seed(3)
        return Tensor.rand(58).numpy()


def _mlp_params(draws):
    """A 4-8-2 MLP's weights and biases from 58 uniform draws, scaled as nn.Linear does (+-1/sqrt(fan_in))."""
    u = draws.astype(np.float64) * 2 - 1
    return [(x / np.sqrt(n)).astype(np.float32) for x, n in
            ((u[:32].reshape(8, 4), 4), (u[32:40], 4), (u[40:56].reshape(2, 8), 8), (u[56:], 8))]


def _numpy_losses(params, X, y, steps, lr=0.5):
    """The losses of `steps` SGD steps of the MLP in float64 (each loss before its step's update)."""
    W1, b1, W2, b2 = (p.astype(np.float64) for p in params)
    rows, losses = np.arange(len(X)), []
    for _ in range(steps):
        z = X @ W1.T + b1
        h = np.maximum(z, 0)
        o = h @ W2.T + b2
        o -= o.max(1, keepdims=True)
        logp = o - np.log(np.exp(o).sum(1, keepdims=True))
        losses.append(-logp[rows, y].mean())
        g = np.exp(logp)
        g[rows, y] -= 1
        g /= len(X)
        gz = (g @ W2) * (z > 0)
        W1, b1, W2, b2 = W1 - lr * gz.T @ X, b1 - lr * gz.sum(0), W2 - lr * g.T @ h, b2 - lr * g.sum(0)
    return np.array(losses)


def test_training_losses_match_cpu():
    # tinygrad's random numbers drawn on TOY (threefry: uint32 arithmetic, shifts, BITCAST to float) against CPU; an
    # MLP starts from them, then 2 SGD steps on TOY (weights, data and lr realized: step 2 reuses step 1's kernels)
    # against NumPy
    toy, cpu = _rand(DEV), _rand("CPU")
    assert_matches(toy, cpu, what="tinygrad's random numbers (Tensor.rand after manual_seed(3)) on TOY vs CPU",
                   rtol=1e-5, atol=1e-7)
    init = _mlp_params(cpu)
    data = np.random.default_rng(3)
    X, y = data.normal(size=(16, 4)).astype(np.float32), (data.normal(size=16) > 0).astype(np.int32)
    with Context(DEV=DEV):
        l1, l2 = nn.Linear(4, 8), nn.Linear(8, 2)
        l1.weight, l1.bias, l2.weight, l2.bias = params = [Tensor(p) for p in init]
        opt = nn.optim.SGD(params, lr=0.5)
        x, t = Tensor(X), Tensor(y)
        Tensor.realize(opt.lr, x, t, *params)
        losses = []
        with Context(TRAINING=1):
            for _ in range(2):
                opt.zero_grad()
                loss = l2(l1(x).relu()).sparse_categorical_crossentropy(t).backward()
                Tensor.realize(loss, *opt.schedule_step())
                losses.append(loss.item())
    assert_matches(np.array(losses), _numpy_losses(init, X.astype(np.float64), y, 2),
                   what="2 SGD steps of an MLP on TOY vs the same steps in NumPy", rtol=1e-5)


def test_compare_devices_reports_every_device():
    res = mine.compare_devices(lambda dev: Tensor([[1.0, 2.0], [3.0, 4.0]], device=dev) @ Tensor([[1.0], [1.0]], device=dev), ["CPU", "PYTHON", DEV])
    if set(res) != {"CPU", "PYTHON", DEV}:
        raise Mismatch(f"compare_devices returned results for {sorted(res)}")
    for dev, (val, seconds) in res.items():
        assert_matches(np.asarray(val), np.array([[3.0], [7.0]], np.float32), what=f"compare_devices result on {dev}")
        if not seconds > 0:
            raise Mismatch(f"compare_devices: the time for {dev} should be a positive number of seconds")


def test_special_values_match_cpu():
    A = np.array([200.0, -200.0, 0.0, -0.0, -1.0, 1.5], np.float32)
    for name, make in {"exp2": lambda a: a.exp2(), "log2": lambda a: a.log2(), "sqrt": lambda a: a.sqrt(),
                       "reciprocal": lambda a: a.reciprocal(), "where(a < 0, -a, a) * 1e38": lambda a: (a < 0).where(-a, a) * 1e38}.items():
        toy, cpu = on_both(make, A)
        assert_matches(toy, cpu, what=f"{name} at 200, -200, 0, -0, -1, 1.5 on TOY vs CPU (inf, NaN and overflow as C gives them)", rtol=1e-6, atol=0)
    U = np.array([1, 7, 2_000_000_000, 4_294_967_295], np.uint32)
    toy, cpu = on_both(lambda u: u * 3 + 5, U)
    assert_matches(toy, cpu, what="uint32 u * 3 + 5 past 2^32 on TOY vs CPU (unsigned arithmetic wraps around)")


class _SlowToRealize:
    """Stands in for a lazy Tensor: realizing it (by .realize() or .numpy()) takes 0.05 s, once."""
    def __init__(self):
        self.done = False

    def realize(self):
        if not self.done:
            time.sleep(0.05)
            self.done = True
        return self

    def numpy(self):
        self.realize()
        return np.array([1.0, 2.0], np.float32)


def test_compare_devices_times_the_realize():
    res = mine.compare_devices(lambda dev: _SlowToRealize(), ["CPU"], repeats=2)
    val, seconds = res["CPU"]
    assert_matches(np.asarray(val), np.array([1.0, 2.0], np.float32), what="compare_devices value")
    if not seconds >= 0.045:
        raise Mismatch(f"compare_devices reported {seconds:.3f} s where computing the result takes 0.05 s: the timer "
                       "must include realizing the result (.numpy()), not only building the lazy Tensor")


def test_compare_devices_reports_the_best_of_repeats():
    # every device's 1st and 3rd runs sleep 0.2 s, the 2nd 0.01 s: the best of 3 is the fast one (0.01 s;
    # 10 if reported in milliseconds); the last, the median (0.2 s) and the mean (0.137 s) are all >= 0.12 s
    result = Tensor([1.0, 2.0]).realize()
    calls = {}

    def fn(dev):
        calls[dev] = calls.get(dev, 0) + 1
        time.sleep(0.01 if calls[dev] == 2 else 0.2)
        return result

    res = mine.compare_devices(fn, ["CPU", "PYTHON"], repeats=3)
    if calls != {"CPU": 3, "PYTHON": 3}:
        raise Mismatch(f"compare_devices(..., repeats=3) called fn {calls} times per device; 3 runs each expected")
    for dev, (val, seconds) in res.items():
        assert_matches(np.asarray(val), np.array([1.0, 2.0], np.float32), what=f"compare_devices value on {dev}")
        if not 0 < seconds < 0.12:
            raise Mismatch(f"compare_devices reported {seconds:.3f} s on {dev}, where runs took >= 0.2 s, 0.01 s, >= 0.2 s: "
                           "report the best (smallest) time of the repeats")
