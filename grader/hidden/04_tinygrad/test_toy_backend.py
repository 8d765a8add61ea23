"""Hidden checks for Exercise 4.6: the interpreter on kernels with casts, reductions, gates; TOY vs CPU."""
import time

import numpy as np
from tinygrad import Tensor, dtypes

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


def test_reductions_and_row_ops():
    A = rng.normal(size=(5, 7)).astype(np.float32)
    toy, cpu = on_both(lambda a: a.softmax(1) + a.sum(0, keepdim=True) / 7, A)
    assert_matches(toy, cpu, what="softmax + column mean on TOY vs CPU", rtol=1e-5, atol=1e-6)
    toy, cpu = on_both(lambda a: a.max(1) + a.argmax(1).float(), A)
    assert_matches(toy, cpu, what="max + argmax (int results cast to float) on TOY vs CPU", rtol=1e-5, atol=1e-6)


def test_integer_casts_and_division():
    A = (rng.normal(size=(9,)) * 20).astype(np.float32)
    toy, cpu = on_both(lambda a: (a.cast(dtypes.int32) // 3 + a.cast(dtypes.int32) % 5).cast(dtypes.float32) + a.cast(dtypes.int32).cast(dtypes.uint8).cast(dtypes.float32), A)
    assert_matches(toy, cpu, what="float -> int32, // and %, int32 -> uint8 (wraps) on TOY vs CPU (casts applied?)", rtol=0, atol=0)


def test_loop_bounds_exact():
    for n in (1, 3, 17):
        A = rng.normal(size=(n, n)).astype(np.float32)
        toy, cpu = on_both(lambda a: (a @ a).sum(1), A)
        assert_matches(toy, cpu, what=f"row sums of a {n}x{n} matmul on TOY vs CPU (loop ends?)", rtol=1e-5, atol=1e-5)


def test_padding_uses_gated_loads():
    img = rng.normal(size=(1, 1, 6, 6)).astype(np.float32)
    w = rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    toy, cpu = on_both(lambda x, k: x.conv2d(k, padding=1), img, w)
    assert_matches(toy, cpu, what="padded conv2d on TOY vs CPU (gated loads: alt value when the gate is off)", rtol=1e-5, atol=1e-5)
    A = rng.normal(size=(16, 20)).astype(np.float32)            # large enough to stay a loop (small ones unroll)
    toy, cpu = on_both(lambda a: a.pad(((1, 1), (2, 0))) * 2 + 1, A)
    assert_matches(toy, cpu, what="zero padding on TOY vs CPU (gated loads: alt value when the gate is off)", rtol=1e-6, atol=1e-6)


def test_float_results_rounded_to_float32_after_every_op():
    # a + b rounds to float32 before the max: on CPU 1 + 1e-8 is exactly 1, so the difference vanishes;
    # kept in float64 between ops it would survive
    A = np.array([1.0, 1e8, 3.0, -2.5], np.float32)
    B = np.array([1e-8, 1.0, 1 / 3, 1e-7], np.float32)
    toy, cpu = on_both(lambda a, b: (a + b).maximum(-1e9) - a, A, B)
    assert_matches(toy, cpu, what="(a + b).maximum(-1e9) - a on TOY vs CPU (float ALU results cast to float32 after "
                   "every op, not only int ones?)", rtol=0, atol=0)


def test_training_losses_match_cpu():
    got, want = toy_device.train_losses(DEV, steps=3, seed=3), toy_device.train_losses("CPU", steps=3, seed=3)
    assert_matches(np.array(got), np.array(want), what="3 SGD steps of an MLP on TOY vs CPU", rtol=1e-5)


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
    """Stands in for a lazy Tensor: realizing it (by .realize() or .numpy()) takes 0.1 s, once."""
    def __init__(self):
        self.done = False

    def realize(self):
        if not self.done:
            time.sleep(0.1)
            self.done = True
        return self

    def numpy(self):
        self.realize()
        return np.array([1.0, 2.0], np.float32)


def test_compare_devices_times_the_realize():
    res = mine.compare_devices(lambda dev: _SlowToRealize(), ["CPU"], repeats=2)
    val, seconds = res["CPU"]
    assert_matches(np.asarray(val), np.array([1.0, 2.0], np.float32), what="compare_devices value")
    if not seconds >= 0.09:
        raise Mismatch(f"compare_devices reported {seconds:.3f} s where computing the result takes 0.1 s: the timer "
                       "must include realizing the result (.numpy()), not only building the lazy Tensor")


def test_compare_devices_reports_the_best_of_repeats():
    # every device's 1st and 3rd runs sleep 0.3 s, the 2nd does not: the best of 3 is the fast one
    # (milliseconds); the last, the mean (0.2 s) and the median would all be >= 0.15 s
    result = Tensor([1.0, 2.0]).realize()
    calls = {}

    def fn(dev):
        calls[dev] = calls.get(dev, 0) + 1
        if calls[dev] != 2:
            time.sleep(0.3)
        return result

    res = mine.compare_devices(fn, ["CPU", "PYTHON"], repeats=3)
    if calls != {"CPU": 3, "PYTHON": 3}:
        raise Mismatch(f"compare_devices(..., repeats=3) called fn {calls} times per device; 3 runs each expected")
    for dev, (val, seconds) in res.items():
        assert_matches(np.asarray(val), np.array([1.0, 2.0], np.float32), what=f"compare_devices value on {dev}")
        if not 0 < seconds < 0.15:
            raise Mismatch(f"compare_devices reported {seconds:.3f} s on {dev}, where runs took >= 0.3 s, fast, >= 0.3 s: "
                           "report the best (smallest) time of the repeats")
