"""Hidden checks for Exercise 7.2: parameter and FLOP counts against the shapes tinygrad itself
computes (stride, padding, dilation, groups, with and without bias, tied weights), step counters
against the grader's own reading of GlobalCounters (no leaks, lazy results realized), matmul
bytes, the roofline's knee, NumPy peak and bandwidth timed with scripted clocks, the benchmark
harness on synthetic timings (warm-up excluded, synchronization inside the timed region, p95 by
interpolation, even-count median), the bootstrap interval against a large bootstrap of the
grader's own, and the DEBUG=2 parser on recorded lines."""
import math

import numpy as np
from tinygrad import Device, GlobalCounters, Tensor, nn

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise

mine = exercise("7.2")


def _same_int(got, want, what):
    if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
        raise Mismatch(f"{what}: expected an int, got {type(got).__name__}")
    assert_matches(int(got), int(want), what=what, rtol=0, atol=0)


def _unique_numel(model):
    seen = {id(p): p for p in nn.state.get_parameters(model)}
    return sum(math.prod(p.shape) for p in seen.values())


def _conv_oracle(layer, shape, count_bias=True):
    """FLOPs of a Conv2d from the output shape tinygrad computes (lazy, no kernel runs)."""
    out = layer(Tensor.empty(*shape)).shape
    c_out, c_in_g, kh, kw = layer.weight.shape
    outputs = math.prod(out)
    return 2 * outputs * c_in_g * kh * kw + (outputs if count_bias and layer.bias is not None else 0), out


def _measure(fn):
    """The grader's own reading of GlobalCounters for one call of fn."""
    GlobalCounters.reset()
    out = fn()
    outs = out if isinstance(out, (list, tuple)) else [out]
    ts = [t for t in outs if isinstance(t, Tensor)]
    if ts:
        Tensor.realize(*ts)
    Device[Device.DEFAULT].synchronize()
    return GlobalCounters.kernel_count, GlobalCounters.global_ops, GlobalCounters.global_mem


# ---------------------------------------------------------------- counting by hand

def test_count_params_random_stacks_tied_and_biasless():
    a, b = nn.Linear(6, 6), nn.Linear(6, 6, bias=False)
    b.weight = a.weight
    _same_int(mine.count_params([a, b]), 36 + 6, what="count_params with a weight shared by two layers")
    _same_int(mine.count_params([a, a]), 36 + 6, what="count_params of the same layer listed twice")

    class Net:
        def __init__(self):
            self.conv = nn.Conv2d(3, 4, 3, bias=False)
            self.head = nn.Linear(4, 2)
    _same_int(mine.count_params(Net()), 4 * 3 * 9 + 4 * 2 + 2, what="count_params of an object with layer attributes")
    rng = np.random.default_rng(72)
    for _ in range(6):
        layers = []
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.5:
                layers.append(nn.Linear(int(rng.integers(1, 9)), int(rng.integers(1, 9)), bias=bool(rng.random() < 0.6)))
            else:
                layers.append(nn.Conv2d(int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4)),
                                        bias=bool(rng.random() < 0.6)))
        _same_int(mine.count_params(layers), _unique_numel(layers),
                  what=f"count_params of {len(layers)} Linear/Conv2d layers (some without bias)")


def _tinygrad_conv_hw(h, w, k, **kwargs):
    """(H_out, W_out) tinygrad computes for a 1-channel conv (lazy; nn.Conv2d calls this conv2d)."""
    kh, kw = (k, k) if isinstance(k, int) else k
    return Tensor.empty(1, 1, h, w).conv2d(Tensor.empty(1, 1, kh, kw), **kwargs).shape[2:]


def test_conv2d_output_size_matches_tinygrad():
    assert_raises(ValueError, mine.conv2d_output_size, 4, 4, 5, what="conv2d_output_size: 5x5 kernel on a 4x4 input")
    assert_raises(ValueError, mine.conv2d_output_size, 5, 5, 3, dilation=3,
                  what="conv2d_output_size: 3x3 kernel with dilation 3 (spans 7) on a 5x5 input")
    # floor, not truncation toward zero: (4 - 5) / 2 truncates to 0 and would give one output row
    assert_raises(ValueError, mine.conv2d_output_size, 4, 4, 5, stride=2,
                  what="conv2d_output_size: 5x5 kernel with stride 2 on a 4x4 input (floor of a negative quotient)")
    for h, w in ((4, 9), (9, 4)):
        assert_raises(ValueError, mine.conv2d_output_size, h, w, 5,
                      what=f"conv2d_output_size: 5x5 kernel on a {h}x{w} input (one axis too small is enough)")
    for h, w, k, pad, dil in ((2, 3, 3, 1, 1), (1, 1, 3, 1, 1), (3, 3, 3, 2, 2), (2, 2, (3, 2), (1, 0), 1)):
        want = _tinygrad_conv_hw(h, w, k, padding=pad, dilation=dil)
        got = mine.conv2d_output_size(h, w, k, padding=pad, dilation=dil)
        if got is None or tuple(int(v) for v in got) != tuple(want):
            raise Mismatch(f"conv2d_output_size({h}, {w}, kernel {k}, padding={pad}, dilation={dil}): "
                           "the padded input fits the kernel. Only a padded input smaller than the "
                           "dilated kernel raises")
    rng = np.random.default_rng(7)
    for _ in range(30):
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        stride = int(rng.integers(1, 4)) if rng.random() < 0.5 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        dilation = int(rng.integers(1, 3)) if rng.random() < 0.5 else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        kind = rng.integers(0, 3)
        padding = (int(rng.integers(0, 3)) if kind == 0 else
                   (int(rng.integers(0, 3)), int(rng.integers(0, 3))) if kind == 1 else
                   tuple(int(v) for v in rng.integers(0, 3, size=4)))
        h, w = int(rng.integers(9, 17)), int(rng.integers(9, 17))
        want = _tinygrad_conv_hw(h, w, (kh, kw), stride=stride, padding=padding, dilation=dilation)
        got = mine.conv2d_output_size(h, w, (kh, kw), stride=stride, padding=padding, dilation=dilation)
        if got is None or tuple(int(v) for v in got) != tuple(want):
            raise Mismatch(f"conv2d_output_size({h}, {w}, kernel {(kh, kw)}, stride={stride}, padding={padding}, "
                           f"dilation={dilation}) differs from the shape tinygrad's Conv2d produces")


def test_analytic_flops_conv_stride_padding_groups_bias():
    rng = np.random.default_rng(11)
    cases = [nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.Conv2d(4, 8, (3, 1), stride=(1, 2), padding=(2, 0), bias=False),
             nn.Conv2d(4, 4, 3, groups=2, dilation=2), nn.Conv2d(4, 6, 2, padding=(1, 0, 0, 1)),
             nn.Conv2d(4, 8, 5, stride=3, padding=2, groups=4)]
    for layer in cases:
        shape = (int(rng.integers(1, 4)), 4, int(rng.integers(9, 15)), int(rng.integers(9, 15)))
        for count_bias in (True, False):
            want, _ = _conv_oracle(layer, shape, count_bias)
            _same_int(mine.analytic_flops([layer], shape, count_bias=count_bias), want,
                      what=f"analytic_flops of Conv2d(weight {layer.weight.shape}, stride={layer.stride}, "
                           f"padding={layer.padding}, dilation={layer.dilation}, groups={layer.groups}, "
                           f"bias={layer.bias is not None}) on {shape}, count_bias={count_bias}")
    # a stack: conv, activation, pooling, flatten, Linear
    c1, c2, fc = nn.Conv2d(3, 5, 3, padding=1), nn.Conv2d(5, 7, 3, stride=2), nn.Linear(7 * 3 * 3, 4)
    f1, s1 = _conv_oracle(c1, (2, 3, 14, 14))
    f2, s2 = _conv_oracle(c2, (2, 5, 7, 7))
    want = f1 + f2 + 2 * 2 * 63 * 4 + 2 * 4
    got = mine.analytic_flops([c1, Tensor.relu, lambda x: x.max_pool2d(2), c2, Tensor.relu, lambda x: x.flatten(1), fc],
                              (2, 3, 14, 14))
    _same_int(got, want, what="analytic_flops of conv(pad 1) -> relu -> max_pool2d -> conv(stride 2) -> flatten -> Linear")


def test_analytic_flops_linear_rows_and_bias():
    l1, l2 = nn.Linear(5, 7), nn.Linear(7, 3, bias=False)
    _same_int(mine.analytic_flops([l1, Tensor.gelu, l2], (4, 6, 5)), 2 * 24 * (5 * 7 + 7 * 3) + 24 * 7,
              what="analytic_flops of Linear(5, 7) -> gelu -> Linear(7, 3, bias=False) on a (4, 6, 5) input")
    _same_int(mine.analytic_flops([l1, l2], (3, 5), count_bias=False), 2 * 3 * (5 * 7 + 7 * 3),
              what="analytic_flops(..., count_bias=False) of two Linear layers on (3, 5)")
    _same_int(mine.analytic_flops([], (3, 5)), 0, what="analytic_flops of no layers")
    assert_raises(ValueError, mine.analytic_flops, [l1, nn.Linear(6, 2)], (3, 5),
                  what="analytic_flops: Linear(5, 7) followed by Linear(6, 2)")
    assert_raises(ValueError, mine.analytic_flops, [nn.Conv2d(4, 6, 3)], (2, 3, 9, 9),
                  what="analytic_flops: Conv2d(4, 6, 3) on 3 input channels")
    assert_raises(ValueError, mine.analytic_flops, [nn.Conv2d(3, 5, 3, padding=1), nn.Conv2d(4, 4, 3)],
                  (2, 3, 9, 9), what="analytic_flops: Conv2d(3, 5) followed by Conv2d(4, 4)")


def test_analytic_flops_within_ten_percent_of_global_ops():
    layers = [nn.Linear(24, 40), Tensor.relu, nn.Linear(40, 12)]
    rng = np.random.default_rng(24)
    for layer in layers[::2]:   # weights from NumPy: copies, not the random-init kernels to compile
        layer.weight = Tensor(rng.standard_normal(layer.weight.shape, dtype=np.float32)).realize()
        layer.bias = Tensor(rng.standard_normal(layer.bias.shape, dtype=np.float32)).realize()
    x = Tensor.ones(6, 24).contiguous().realize()
    analytic = mine.analytic_flops(layers, (6, 24))
    _, ops, _ = _measure(lambda: layers[2](layers[1](layers[0](x))))
    if analytic is None or not abs(ops - analytic) <= 0.1 * ops:
        raise Mismatch("analytic_flops of Linear(24, 40) -> relu -> Linear(40, 12) on (6, 24) is more than 10 % "
                       "away from GlobalCounters.global_ops of that forward pass (multiply-add = 2 FLOPs?)")


def test_matmul_cost_against_formula_and_global_mem():
    rng = np.random.default_rng(3)
    for _ in range(10):
        m, k, n, itemsize = (int(v) for v in (*rng.integers(1, 300, size=3), rng.choice([1, 2, 4, 8])))
        got = mine.matmul_cost(m, k, n, itemsize=itemsize)
        assert_matches(np.asarray(got, dtype=np.int64), np.array([2 * m * k * n, (m * k + k * n + m * n) * itemsize]),
                       what=f"matmul_cost({m}, {k}, {n}, itemsize={itemsize}) as (flops, bytes)", rtol=0, atol=0)
    a, b = Tensor.ones(6, 10).contiguous().realize(), Tensor.ones(10, 5).contiguous().realize()
    _, _, mem = _measure(lambda: a @ b)
    assert_matches(mine.matmul_cost(6, 10, 5)[1], mem, what="matmul_cost(6, 10, 5) bytes vs tinygrad's global_mem",
                   rtol=0, atol=0, check_dtype=False)
    for bad in ((0, 3, 3), (3, 3, 3, 0)):
        assert_raises(ValueError, mine.matmul_cost, *bad, what=f"matmul_cost{bad}")


# ---------------------------------------------------------------- counting what ran

def test_step_counters_against_the_graders_own_reading():
    a, b = Tensor.ones(1000).contiguous().realize(), Tensor.ones(1000).contiguous().realize()
    p, q = Tensor.ones(6, 10).contiguous().realize(), Tensor.ones(10, 5).contiguous().realize()
    def realized_inside():
        (a + b).realize()

    cases = [("a + b (lazy result)", lambda: a + b),
             ("p @ q (lazy result)", lambda: p @ q),
             ("(a * 2, p @ q) (a tuple of lazy results)", lambda: (a * 2, p @ q)),
             ("[a * 2, p @ q] (a list of lazy results)", lambda: [a * 2, p @ q]),
             ("fn realizing a + b itself, returning None", realized_inside)]
    for label, fn in cases:
        (a - b).realize()                       # earlier work that must not leak into the count
        got = mine.step_counters(fn)
        want = _measure(fn)
        for field, w in zip(("kernels", "flops", "bytes"), want):
            _same_int(getattr(got, field, None), w, what=f"step_counters({label}).{field}")


def test_arithmetic_intensity():
    rng = np.random.default_rng(5)
    for _ in range(5):
        f, b = float(rng.uniform(0, 1e9)), float(rng.uniform(1, 1e9))
        assert_matches(mine.arithmetic_intensity(f, b), f / b, what=f"arithmetic_intensity({f:.3g}, {b:.3g})",
                       check_dtype=False)
    assert_matches(mine.arithmetic_intensity(0.0, 64.0), 0.0, check_dtype=False,
                   what="arithmetic_intensity(0, 64): a pure copy does no FLOPs (0 is valid, only < 0 is an error)")
    assert_raises(ValueError, mine.arithmetic_intensity, 10.0, 0, what="arithmetic_intensity with 0 bytes")
    assert_raises(ValueError, mine.arithmetic_intensity, -1.0, 10.0, what="arithmetic_intensity with negative FLOPs")


# ---------------------------------------------------------------- the roofline

def test_roofline_min_and_knee():
    rng = np.random.default_rng(9)
    for _ in range(5):
        peak, bw = float(rng.uniform(10, 1000)), float(rng.uniform(5, 200))
        knee = peak / bw
        assert_matches(mine.ridge_point(peak, bw), knee, what=f"ridge_point({peak:.4g}, {bw:.4g})", check_dtype=False)
        xs = np.array([0.0, knee / 8, knee / 2, knee, 2 * knee, 30 * knee])
        assert_matches(np.asarray(mine.roofline(xs, peak, bw), dtype=np.float64), np.minimum(peak, xs * bw),
                       what=f"roofline(array of intensities, {peak:.4g}, {bw:.4g})")
        for x in (knee / 3, 3 * knee):
            got = mine.roofline(float(x), peak, bw)
            if not isinstance(got, (float, np.floating)):
                raise Mismatch(f"roofline(a float, ...) returned {type(got).__name__}; expected a float")
            assert_matches(got, min(peak, x * bw), what=f"roofline({x:.4g}, {peak:.4g}, {bw:.4g})", check_dtype=False)
    for x, want in ((3.99, "memory"), (4.0, "compute"), (4.01, "compute"), (0.0, "memory"), (1e6, "compute")):
        got = mine.bound(x, 200.0, 50.0)
        if got != want:
            raise Mismatch(f"bound({x}, peak 200, bandwidth 50): the knee is at 4 FLOP/byte; got {got!r}")
    for fn, args in ((mine.roofline, (1.0, 0.0, 10.0)), (mine.roofline, (1.0, 10.0, -1.0)),
                     (mine.roofline, (-1.0, 10.0, 10.0)), (mine.ridge_point, (0.0, 1.0)),
                     (mine.bound, (1.0, 10.0, 0.0)), (mine.bound, (-1.0, 10.0, 10.0)),
                     (mine.ridge_point, (10.0, -1.0)), (mine.ridge_point, (-10.0, 1.0)),
                     (mine.bound, (1.0, 10.0, -2.0)),
                     (mine.roofline, (np.array([1.0, -0.5, 2.0]), 10.0, 10.0))):
        assert_raises(ValueError, fn, *args, what=f"{fn.__name__}{args}")


def _ticks(durations):
    """A clock read twice per timed run: start, start + duration."""
    times, now = [], 100.0
    for d in durations:
        times += [now, now + d]
        now += d + 1.0
    it = iter(times)

    def clock():
        try:
            return next(it)
        except StopIteration:
            raise Mismatch("the clock was read more than twice per timed repeat "
                           "(warm-up timed, or extra reads)") from None
    return clock


def test_measure_peak_and_bandwidth_with_scripted_clocks():
    durations = [0.4, 0.1, 0.3, 0.25]
    got = mine.measure_peak_gflops(n=32, repeats=4, clock=_ticks(durations))
    assert_matches(got, 2 * 32 ** 3 / 0.1 / 1e9, what="measure_peak_gflops(n=32) with timed runs of 0.4, 0.1, 0.3, "
                   "0.25 s", rtol=1e-6, check_dtype=False)
    got = mine.measure_peak_gflops(n=48, repeats=1, clock=_ticks([0.5]))
    assert_matches(got, 2 * 48 ** 3 / 0.5 / 1e9, what="measure_peak_gflops(n=48, repeats=1)", rtol=1e-6,
                   check_dtype=False)
    got = mine.measure_bandwidth(nbytes=4096, repeats=3, clock=_ticks([2e-6, 3e-6, 1e-6]))
    assert_matches(got, 2 * 4096 / 1e-6 / 1e9, what="measure_bandwidth(nbytes=4096) with timed copies of 2, 3, 1 us",
                   rtol=1e-6, check_dtype=False)
    for fn, kwargs in ((mine.measure_peak_gflops, dict(repeats=0)), (mine.measure_peak_gflops, dict(n=0)),
                       (mine.measure_bandwidth, dict(repeats=0)), (mine.measure_bandwidth, dict(nbytes=0)),
                       (mine.measure_bandwidth, dict(nbytes=3))):
        assert_raises(ValueError, fn, **kwargs, what=f"{fn.__name__}({kwargs})")
    for fn, kwargs in ((mine.measure_peak_gflops, dict(n=64, repeats=2)), (mine.measure_bandwidth, dict(nbytes=1 << 16))):
        v = fn(**kwargs)
        if not isinstance(v, (float, np.floating)) or not math.isfinite(v) or v <= 0:
            raise Mismatch(f"{fn.__name__}({kwargs}) with the real clock should be a positive finite float")


# ---------------------------------------------------------------- benchmarks

class FakeDevice:
    """fn() queues work that takes durations[i] seconds; it only shows on the clock once sync()
    waits for it (an asynchronous device)."""
    def __init__(self, durations, launch=1e-6):
        self.now, self.pending, self.calls, self.durations, self.launch = 0.0, 0.0, 0, list(durations), launch

    def clock(self):
        return self.now

    def fn(self):
        if self.calls >= len(self.durations):
            raise Mismatch("benchmark called fn more than warmup + repeats times")
        self.now += self.launch
        self.pending += self.durations[self.calls]
        self.calls += 1

    def sync(self):
        self.now += self.pending
        self.pending = 0.0


def _check_result(r, samples, what):
    s = np.asarray(samples, dtype=np.float64)
    got = getattr(r, "samples", None)
    if not isinstance(got, np.ndarray) or got.dtype != np.float64:
        raise Mismatch(f"{what}: samples should be a float64 NumPy array. "
                       f"Got {type(got).__name__}")
    if got is None or np.asarray(got).shape != s.shape:
        raise Mismatch(f"{what}: samples should hold the {s.size} timed repeats only (warm-up excluded), in order")
    assert_matches(np.asarray(got, dtype=np.float64), s, what=f"{what}: samples (in call order)", rtol=1e-9, atol=1e-12)
    for field, want in (("median", np.median(s)), ("p95", np.percentile(s, 95)), ("mean", s.mean()), ("std", s.std())):
        assert_matches(getattr(r, field, None), float(want), what=f"{what}: {field}", rtol=1e-9, atol=1e-12,
                       check_dtype=False)


def test_benchmark_warmup_excluded_on_synthetic_timings():
    rng = np.random.default_rng(21)
    for warmup, repeats in ((3, 20), (0, 8), (5, 1), (2, 31)):
        timed = rng.lognormal(-4, 0.5, size=repeats)
        dev = FakeDevice([50.0] * warmup + list(timed), launch=0.0)
        r = mine.benchmark(dev.fn, warmup=warmup, repeats=repeats, clock=dev.clock, sync=dev.sync)
        if dev.calls != warmup + repeats:
            raise Mismatch(f"benchmark(warmup={warmup}, repeats={repeats}) called fn {dev.calls} times")
        _check_result(r, timed, f"benchmark(warmup={warmup}, repeats={repeats}) on synthetic timings")


def test_benchmark_synchronizes_inside_the_timed_region():
    timed = [0.02, 0.03, 0.01, 0.04]
    dev = FakeDevice([7.0, 7.0] + timed, launch=1e-4)
    r = mine.benchmark(dev.fn, warmup=2, repeats=4, clock=dev.clock, sync=dev.sync)
    _check_result(r, np.array(timed) + 1e-4, "benchmark with an asynchronous fn and sync= (launch 0.1 ms, "
                  "work shown at sync; warm-up work must be waited for too)")
    dev = FakeDevice([0.5, 0.25, 0.75], launch=0.0)
    r = mine.benchmark(dev.fn, warmup=0, repeats=3, clock=dev.clock)      # no sync: fn's own time only
    _check_result(r, [0.0, 0.0, 0.0], "benchmark of an asynchronous fn without sync (work never waited for)")


def test_benchmark_bad_arguments_call_nothing():
    for kwargs in (dict(repeats=0), dict(repeats=-3), dict(warmup=-1)):
        dev = FakeDevice([0.1] * 50)
        assert_raises(ValueError, mine.benchmark, dev.fn, clock=dev.clock, what=f"benchmark(fn, {kwargs})", **kwargs)
        if dev.calls:
            raise Mismatch(f"benchmark(fn, {kwargs}) called fn before rejecting its arguments")


def test_summarize_percentile_median_and_errors():
    rng = np.random.default_rng(4)
    for n in (1, 2, 4, 10, 19, 20, 37):
        s = rng.exponential(0.01, size=n)
        _check_result(mine.summarize(list(s)), s, f"summarize of {n} samples")
    s = np.array([5.0, 1.0, 3.0, 2.0, 100.0, 4.0])                # even count, one outlier
    _check_result(mine.summarize(s), s, "summarize of 6 samples with an outlier")
    for bad in ([], [1.0, float("nan")], [1.0, -0.5], [float("inf")]):
        assert_raises(ValueError, mine.summarize, bad, what=f"summarize({bad})")


def _oracle_stats(x, stat_axis, b=40000, seed=12345):
    """The grader's percentile bootstrap: the resampled statistic, b of them."""
    idx = np.random.default_rng(seed).integers(0, x.size, size=(b, x.size))
    return stat_axis(x[idx], axis=1)


def _interval(stats, level):
    return np.percentile(stats, [100 * (1 - level) / 2, 100 * (1 + level) / 2])


def test_bootstrap_ci_against_a_large_bootstrap():
    # Monte Carlo error of an endpoint with 10,000 resamples: about 0.03 standard deviations of the
    # resampled statistic (largest over 200 seeds: 0.09); tails at level and 1 - level are 0.29 off
    rng = np.random.default_rng(31)
    x = rng.normal(3.0, 0.7, size=60)
    y = rng.exponential(1.0, size=25)
    # the skewed median first (cheapest learner call): a reflected interval shows there
    low, high = mine.bootstrap_ci(y, stat=np.median, level=0.9, n_resamples=4000, seed=2)
    want = _interval(_oracle_stats(y, np.median), 0.9)
    assert_matches(np.array([low, high]), want, what="bootstrap_ci of the median of 25 samples, level=0.9",
                   rtol=0, atol=0.08 * (want[1] - want[0]))
    stats = _oracle_stats(x, np.mean)
    for level in (0.95, 0.8, 0.5):
        low, high = mine.bootstrap_ci(x, stat=np.mean, level=level, n_resamples=10000, seed=8)
        assert_matches(np.array([low, high]), _interval(stats, level),
                       what=f"bootstrap_ci of the mean of 60 samples, level={level}", rtol=0, atol=0.15 * stats.std())


def test_bootstrap_ci_contains_narrows_and_repeats():
    rng = np.random.default_rng(17)
    small, large = rng.normal(1.0, 0.2, size=20), rng.normal(1.0, 0.2, size=500)
    lo, hi = mine.bootstrap_ci(small, stat=np.mean, n_resamples=1, seed=4)   # cheapest call first
    if lo != hi:
        raise Mismatch("bootstrap_ci(n_resamples=1) gave an interval of width > 0. "
                       "It draws n_resamples resamples: one statistic, low == high")
    lo95, hi95 = mine.bootstrap_ci(large, stat=np.mean, level=0.95, n_resamples=1000, seed=1)
    lo50, hi50 = mine.bootstrap_ci(large, stat=np.mean, level=0.5, n_resamples=1000, seed=1)
    if not lo95 < lo50 < hi50 < hi95:
        raise Mismatch("bootstrap_ci: the 50 % interval should lie strictly inside the 95 % one")
    widths = []
    for x in (small, large):
        low, high = mine.bootstrap_ci(x, n_resamples=1000, seed=5)
        if not low <= np.median(x) <= high:
            raise Mismatch(f"bootstrap_ci of the median of {x.size} normal samples does not contain their median")
        widths.append(high - low)
    if not widths[1] < 0.5 * widths[0]:
        raise Mismatch("bootstrap_ci should narrow with more samples (500 vs 20: about 5 times narrower)")
    a = mine.bootstrap_ci(small, stat=np.mean, n_resamples=500, seed=99)
    b = mine.bootstrap_ci(small, stat=np.mean, n_resamples=500, seed=99)
    c = mine.bootstrap_ci(small, stat=np.mean, n_resamples=500, seed=100)
    if tuple(a) != tuple(b):
        raise Mismatch("bootstrap_ci with the same seed gave different intervals")
    if tuple(a) == tuple(c):
        raise Mismatch("bootstrap_ci gave the same interval for seeds 99 and 100 (is the seed used?)")


def test_bootstrap_ci_resamples_are_full_size_draws_of_the_samples():
    # stat sees each resample: n values, all taken from the samples, n_resamples of them
    x = np.array([0.25, 1.5, 2.0, 4.0, 7.5, 9.0, 11.0])
    seen = []

    def stat(r):
        seen.append(np.array(r, dtype=np.float64, copy=True))
        return float(np.median(r))
    mine.bootstrap_ci(x, stat=stat, n_resamples=300, seed=3)
    if len(seen) < 300 or any(r.shape != x.shape for r in seen):
        raise Mismatch("bootstrap_ci(7 samples, n_resamples=300): stat should be called once per resample, each "
                       "time on a 1-D resample of the same size as the samples (7)")
    if not all(np.isin(r, x).all() for r in seen):
        raise Mismatch("bootstrap_ci: a resample holds values that are not among the samples")
    if not any(len(np.unique(r)) < x.size for r in seen):
        raise Mismatch("bootstrap_ci: no resample repeats a sample; resamples are drawn with replacement")
    # two samples 0 and 1, the mean: resampled means 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4
    lo, hi = mine.bootstrap_ci([0.0, 1.0], stat=np.mean, level=0.4, n_resamples=4000, seed=6)
    assert_matches(np.array([lo, hi], dtype=np.float64), np.array([0.5, 0.5]), atol=1e-9,
                   what="bootstrap_ci of the mean of the samples (0, 1), level 0.4 (resamples of size 2)")


def test_bootstrap_ci_bad_arguments():
    x = [1.0, 2.0, 3.0]
    for kwargs in (dict(level=0.0), dict(level=1.0), dict(level=1.5), dict(level=-0.2), dict(n_resamples=0)):
        assert_raises(ValueError, mine.bootstrap_ci, x, what=f"bootstrap_ci(x, {kwargs})", **kwargs)
    assert_raises(ValueError, mine.bootstrap_ci, [], what="bootstrap_ci of no samples")


# ---------------------------------------------------------------- DEBUG=2 lines

RECORDED = (
    "\x1b[32m*** CPU        1\x1b[0m \x1b[33mcopy       16 B,     CPU <- NPY    \x1b[0m            arg  2 mem   0.00 GB "
    "tm   1448.95us/     1.45ms (      0 GFLOPS    0|0      GB/s)\n"
    "\x1b[32m*** CPU        2\x1b[0m E\x1b[90m_\x1b[0m\x1b[33m4\x1b[0m                                            arg  2 "
    "mem   0.00 GB tm     20.44us/     1.47ms (      0 GFLOPS    0|0      GB/s)\n"
    "scheduled     2 kernels in    72.57 ms | CACHE MISS 56cdb649 |    3895 uops in cache\n"
    "*** CPU       29 E_2                                            arg  1 mem   0.00 GB tm     10.54us/     2.14ms "
    "(      0 GFLOPS    0|0      GB/s)\n"
    "*** CPU       30 E_73728_2                                      arg  3 mem   0.00 GB tm    425.53us/     2.56ms "
    "(     23 GFLOPS    1|1      GB/s)\n"
    "12280.0693359375\n"
    "*** CPU       31 r_64_128_2_3_3_96_4                            arg  2 mem   0.00 GB tm     28.64ms/    31.20ms "
    "(      4 GFLOPS    0|5      GB/s)\n"
    "*** CPU       32 r_2048_2048_4                                  arg  3 mem   0.05 GB tm      1.50s /  1531.20ms "
    "(      2 TFLOPS    3|2      TB/s)\n"
    "*** CPU       33 E_2                                            arg  1 mem   0.00 GB\n"
    "*** CPU       34 E_73728_2                                      arg  3 mem   0.00 GB tm    401.00us/  1531.60ms "
    "(     25 GFLOPS    1|1      GB/s)\n"
)
WANT = [(1, "copy       16 B,     CPU <- NPY", 1448.95e-6, 0.0, 0.0), (2, "E_4", 20.44e-6, 0.0, 0.0),
        (29, "E_2", 10.54e-6, 0.0, 0.0), (30, "E_73728_2", 425.53e-6, 23.0, 1.0),
        (31, "r_64_128_2_3_3_96_4", 28.64e-3, 4.0, 0.0), (32, "r_2048_2048_4", 1.5, 2000.0, 3000.0),
        (34, "E_73728_2", 401e-6, 25.0, 1.0)]


def test_parse_kernel_lines_recorded_and_units():
    rows = mine.parse_kernel_lines(RECORDED)
    if rows is None or len(rows) != len(WANT):
        raise Mismatch(f"parse_kernel_lines found {None if rows is None else len(rows)} kernel lines with timings "
                       f"in a recorded DEBUG=2 output that has {len(WANT)} (colour codes, copies, a line without "
                       "timing, program output)")
    for r, (index, name, t, gf, gb) in zip(rows, WANT):
        if (getattr(r, "index", None), getattr(r, "name", None)) != (index, name):
            raise Mismatch(f"parse_kernel_lines: kernel {index} read with a wrong index or name "
                           "(colour codes stripped, spaces inside the name kept)")
        assert_matches(np.array([r.time_s, r.gflops, r.gbs], dtype=np.float64), np.array([t, gf, gb]),
                       what=f"parse_kernel_lines: (time_s, gflops, gbs) of kernel {index}", rtol=1e-9)
    if mine.parse_kernel_lines("no kernels here\n") != []:
        raise Mismatch("parse_kernel_lines of text without kernel lines should be []")


def test_hotspots_aggregate_rank_and_share():
    rows = [mine.KernelRow(index=i, name=n, time_s=t, gflops=0.0, gbs=0.0) for i, (n, t) in enumerate(
        [("a", 1.0), ("b", 3.0), ("d", 2.0), ("b", 1.0), ("c", 2.0), ("a", 0.5), ("e", 0.5)])]
    want = [("b", 4.0, 2), ("d", 2.0, 1), ("c", 2.0, 1), ("a", 1.5, 2), ("e", 0.5, 1)]
    for k in (1, 3, 5, 9):
        got = mine.hotspots(rows, k)
        w = want[:k]
        if got is None or len(got) != len(w):
            raise Mismatch(f"hotspots(rows of 5 kernel names, k={k}) returned {None if got is None else len(got)} entries")
        names = [g[0] for g in got]
        if names != [n for n, _, _ in w] or [int(g[2]) for g in got] != [c for _, _, c in w]:
            raise Mismatch(f"hotspots(k={k}): wrong names, order or call counts (rows of one name are added up; "
                           "longest total first; equal totals in order of first appearance)")
        assert_matches(np.array([[g[1], g[3]] for g in got], dtype=np.float64),
                       np.array([[t, t / 10.0] for _, t, _ in w]), what=f"hotspots(k={k}): (total_time_s, share)")
    assert_raises(ValueError, mine.hotspots, rows, 0, what="hotspots(rows, 0)")


def test_hotspots_ties_whatever_the_call_counts_and_no_rows():
    # p (2 s, 1 call) ties q (2 s, 2 calls); then r (3 s, 3 calls) ties s (3 s, 1 call): first appearance decides
    rows = [mine.KernelRow(index=i, name=n, time_s=t, gflops=0.0, gbs=0.0) for i, (n, t) in enumerate(
        [("p", 2.0), ("q", 1.0), ("r", 1.0), ("q", 1.0), ("r", 1.0), ("s", 3.0), ("r", 1.0)])]
    got = mine.hotspots(rows, 4)
    if got is None or [g[0] for g in got] != ["r", "s", "p", "q"]:
        raise Mismatch("hotspots: equal totals must keep the order in which the names first appear, whatever "
                       "their numbers of calls")
    got = mine.hotspots([], 3)
    if got is None or list(got) != []:
        raise Mismatch("hotspots of no rows should be [] (no kernel names; nothing to divide)")
