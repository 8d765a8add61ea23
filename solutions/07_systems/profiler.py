"""Exercise 7.2: profiling and benchmarks.

Before making a model faster, measure where the time goes and what the hardware could do. This
module builds the four instruments of that habit.

1. **Counting by hand.** Parameters and FLOPs of Linear and Conv2d stacks from their shapes.
   Convention: one multiply-add is 2 FLOPs, so x @ W for x (M, K) and W (K, N) is 2*M*K*N FLOPs;
   a bias adds 1 FLOP per output element (`count_bias=True`); activations, pooling and reshapes
   are not counted (they are cheap next to the matmuls and only change the shape).
2. **Counting what the framework ran.** tinygrad's `GlobalCounters` (`from tinygrad import
   GlobalCounters`) adds up, for every kernel it runs: `kernel_count`, `global_ops` (its FLOP
   estimate of the kernel) and `global_mem` (bytes read from and written to device memory).
   `GlobalCounters.reset()` zeroes them. Measured with tinygrad 0.14 on the CPU: a + b of two
   float32 (N,) tensors is 1 kernel, N ops and 3*N*4 bytes (two inputs read, one output
   written); an (M, K) @ (K, N) matmul is 1 kernel and (M*K + K*N + M*N)*4 bytes; its ops are
   2*M*K*N for large shapes (512^3) and M*N*(2K - 1) for small ones, where the first of the K
   products starts the accumulator instead of being added to 0. Analytic counts therefore agree
   with `global_ops` to a few percent, not exactly. Laziness matters: nothing runs until a
   tensor is realized, so a step that returns unrealized tensors has run no kernel yet.
3. **The roofline.** A kernel that does F FLOPs and moves B bytes has arithmetic intensity
   I = F / B (FLOP/byte). With peak compute P (GFLOP/s) and memory bandwidth W (GB/s) it can at
   best reach min(P, I * W) GFLOP/s. Below the knee I = P / W the kernel is memory-bound (more
   FLOPs per byte would help), at or above it compute-bound. P and W are measured here with NumPy
   (a BLAS matmul and a large copy), best of several repeats. For scale, one core of the 2-core
   development machine gave about 90 GFLOP/s and 21 GB/s (knee near 4.5 FLOP/byte), while a
   tinygrad forward pass of a 784-128-10 MLP at batch 128 (26 MFLOP, 2 kernels) took about 24 ms:
   about 1 GFLOP/s, far under both roofs, because small kernels are bound by per-call overhead.
4. **Benchmarks.** One timing is noise. Run warm-up calls first (compilation, caches: never part
   of the samples), then time each call alone, including a device synchronization when the work
   is asynchronous, and report robust statistics: median, p95, mean and standard deviation, and
   a bootstrap confidence interval for the median. The clock is a parameter so that the harness
   can be tested with synthetic timings.

Finally, `parse_kernel_lines` reads the per-kernel lines that tinygrad prints at `DEBUG=2` (the
environment variable, or `with Context(DEBUG=2): ...`) and `hotspots` ranks the kernels by the
time they took. At DEBUG >= 2 tinygrad waits for each kernel and times it (so
`GlobalCounters.time_sum_s` is 0 below that level). Kernel names: `E_` elementwise, `r_` with a
reduction, the numbers are loop extents; `copy` lines are transfers between devices.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from tinygrad import Device, GlobalCounters, Tensor, nn
from tinygrad.nn.state import get_parameters


# ---------------------------------------------------------------- counting by hand

def count_params(model) -> int:
    """Number of scalar parameters of `model` (anything `tinygrad.nn.state.get_parameters`
    accepts: a layer, a list of layers, an object with layer attributes).

    Every entry of every parameter tensor counts (weights and biases); a tensor reachable under
    two names (tied weights, the same layer listed twice) counts once. Returns a Python int."""
    ### BEGIN SOLUTION
    seen: dict[int, Tensor] = {}
    for p in get_parameters(model):
        seen.setdefault(id(p), p)
    return int(sum(math.prod(p.shape) for p in seen.values()))
    ### END SOLUTION


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv2d_output_size(h: int, w: int, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """(H_out, W_out) of a 2-D convolution on an H x W input, with tinygrad's conventions:

        H_out = floor((H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h) + 1

    and the same for W. `kernel_size`, `stride`, `dilation`: an int or an (h, w) pair.
    `padding`: an int (all four sides), an (h, w) pair (both sides of each axis), or the
    4-tuple (left, right, top, bottom) that tinygrad's Conv2d uses (width first).
    Raises ValueError when the (padded) input is smaller than the dilated kernel."""
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    if isinstance(padding, int):
        top = bottom = left = right = padding
    elif len(padding) == 2:
        (top, bottom), (left, right) = (padding[0],) * 2, (padding[1],) * 2
    else:
        left, right, top, bottom = padding
    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d_output_size: a {kh}x{kw} kernel does not fit a {h}x{w} input")
    return ho, wo
    ### END SOLUTION


def analytic_flops(layers: Sequence, input_shape: Sequence[int], count_bias: bool = True) -> int:
    """FLOPs of one forward pass of `layers` (applied in order) on an input of `input_shape`
    (batch first), counted by hand from the shapes.

    nn.Linear(in, out) on an input (..., in): 2 * rows * in * out, rows = product of the leading
    dimensions; plus rows * out for the bias when `count_bias` and the layer has one.
    nn.Conv2d on (N, C, H, W) with weight (C_out, C/groups, kh, kw) and output (N, C_out, Ho, Wo)
    (`conv2d_output_size`): 2 * N * C_out * Ho * Wo * (C/groups) * kh * kw, plus N * C_out * Ho * Wo
    for the bias. Any other callable (activation, pooling, flatten) counts 0 FLOPs; its output
    shape is found by applying it to `Tensor.empty(*shape)` (lazy: no kernel runs).
    Raises ValueError when a layer's input size does not match the running shape. Returns an int."""
    ### BEGIN SOLUTION
    shape = tuple(int(s) for s in input_shape)
    total = 0
    for layer in layers:
        if isinstance(layer, nn.Linear):
            out_f, in_f = layer.weight.shape
            if shape[-1] != in_f:
                raise ValueError(f"analytic_flops: Linear({in_f}, {out_f}) got an input of shape {shape}")
            rows = math.prod(shape[:-1])
            total += 2 * rows * in_f * out_f
            if count_bias and layer.bias is not None:
                total += rows * out_f
            shape = shape[:-1] + (out_f,)
        elif isinstance(layer, nn.Conv2d):
            c_out, c_in_g, kh, kw = layer.weight.shape
            if len(shape) != 4 or shape[1] != c_in_g * layer.groups:
                raise ValueError(f"analytic_flops: Conv2d with weight {layer.weight.shape} got {shape}")
            n, _, h, w = shape
            ho, wo = conv2d_output_size(h, w, (kh, kw), layer.stride, layer.padding, layer.dilation)
            outputs = n * c_out * ho * wo
            total += 2 * outputs * c_in_g * kh * kw
            if count_bias and layer.bias is not None:
                total += outputs
            shape = (n, c_out, ho, wo)
        else:
            shape = tuple(layer(Tensor.empty(*shape)).shape)
    return int(total)
    ### END SOLUTION


def matmul_cost(m: int, k: int, n: int, itemsize: int = 4) -> tuple[int, int]:
    """(FLOPs, bytes) of one (m, k) @ (k, n) matmul in the ideal model: 2*m*k*n FLOPs, and each
    input read once and the output written once: (m*k + k*n + m*n) * itemsize bytes.
    Raises ValueError for a dimension or itemsize < 1."""
    ### BEGIN SOLUTION
    if min(m, k, n, itemsize) < 1:
        raise ValueError(f"matmul_cost: dimensions and itemsize must be >= 1, got {(m, k, n, itemsize)}")
    return 2 * m * k * n, (m * k + k * n + m * n) * itemsize
    ### END SOLUTION


# ---------------------------------------------------------------- counting what ran

@dataclass
class StepCounters:
    """What tinygrad ran for one call: kernels launched, FLOPs (`global_ops`) and bytes moved
    (`global_mem`)."""
    kernels: int
    flops: int
    bytes: int


def step_counters(fn: Callable[[], object]) -> StepCounters:
    """Run `fn()` once and report what tinygrad executed for it.

    Reset `GlobalCounters`, call `fn()`, realize what it returns (a Tensor, or a list/tuple of
    Tensors; anything else is ignored) so that lazy work is counted, synchronize the default
    device, then read `kernel_count`, `global_ops` and `global_mem`. Counts of earlier work never
    leak in. Returns StepCounters of ints."""
    ### BEGIN SOLUTION
    GlobalCounters.reset()
    out = fn()
    outs = out if isinstance(out, (list, tuple)) else [out]
    tensors = [t for t in outs if isinstance(t, Tensor)]
    if tensors:
        Tensor.realize(*tensors)
    Device[Device.DEFAULT].synchronize()
    return StepCounters(int(GlobalCounters.kernel_count), int(GlobalCounters.global_ops),
                        int(GlobalCounters.global_mem))
    ### END SOLUTION


def arithmetic_intensity(flops: float, nbytes: float) -> float:
    """FLOPs per byte moved: flops / nbytes. Raises ValueError when nbytes <= 0 or flops < 0."""
    ### BEGIN SOLUTION
    if nbytes <= 0 or flops < 0:
        raise ValueError(f"arithmetic_intensity: need flops >= 0 and bytes > 0, got {flops}, {nbytes}")
    return float(flops) / float(nbytes)
    ### END SOLUTION


# ---------------------------------------------------------------- the roofline

def measure_peak_gflops(n: int = 256, repeats: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Peak compute in GFLOP/s, measured with a NumPy float32 (n, n) @ (n, n) matmul.

    One untimed warm-up product, then `repeats` timed ones (clock read right before and right
    after each); the best (shortest) time t gives 2 * n**3 / t / 1e9. The best, not the mean:
    interference only ever makes a run slower. Raises ValueError for n < 1 or repeats < 1."""
    ### BEGIN SOLUTION
    if n < 1 or repeats < 1:
        raise ValueError(f"measure_peak_gflops: need n >= 1 and repeats >= 1, got {n}, {repeats}")
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = math.inf
    for _ in range(repeats):
        t0 = clock()
        a @ b
        best = min(best, clock() - t0)
    return 2 * n ** 3 / max(best, 1e-12) / 1e9
    ### END SOLUTION


def measure_bandwidth(nbytes: int = 1 << 24, repeats: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Memory bandwidth in GB/s (1 GB = 1e9 bytes), measured by copying a float32 array of
    `nbytes` bytes into another one with `np.copyto`.

    A copy reads nbytes and writes nbytes: 2 * nbytes moved. One untimed warm-up copy, then
    `repeats` timed ones; the best time t gives 2 * nbytes / t / 1e9.
    Raises ValueError for nbytes < 4 or repeats < 1."""
    ### BEGIN SOLUTION
    if nbytes < 4 or repeats < 1:
        raise ValueError(f"measure_bandwidth: need nbytes >= 4 and repeats >= 1, got {nbytes}, {repeats}")
    src = np.ones(nbytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = math.inf
    for _ in range(repeats):
        t0 = clock()
        np.copyto(dst, src)
        best = min(best, clock() - t0)
    return 2 * src.nbytes / max(best, 1e-12) / 1e9
    ### END SOLUTION


def roofline(intensity, peak_gflops: float, bandwidth_gbs: float):
    """Attainable GFLOP/s at arithmetic intensity `intensity` (FLOP/byte; a float or an array):
    min(peak_gflops, intensity * bandwidth_gbs). Returns a float for a float, an array for an array.
    Raises ValueError when peak or bandwidth <= 0 or any intensity < 0."""
    ### BEGIN SOLUTION
    if peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError(f"roofline: peak and bandwidth must be > 0, got {peak_gflops}, {bandwidth_gbs}")
    i = np.asarray(intensity, dtype=np.float64)
    if np.any(i < 0):
        raise ValueError("roofline: arithmetic intensity must be >= 0")
    out = np.minimum(float(peak_gflops), i * float(bandwidth_gbs))
    return float(out) if out.ndim == 0 else out
    ### END SOLUTION


def ridge_point(peak_gflops: float, bandwidth_gbs: float) -> float:
    """The knee of the roofline: the intensity peak_gflops / bandwidth_gbs (FLOP/byte) at which
    the memory roof meets the compute roof. Raises ValueError when either is <= 0."""
    ### BEGIN SOLUTION
    if peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError(f"ridge_point: peak and bandwidth must be > 0, got {peak_gflops}, {bandwidth_gbs}")
    return float(peak_gflops) / float(bandwidth_gbs)
    ### END SOLUTION


def bound(intensity: float, peak_gflops: float, bandwidth_gbs: float) -> str:
    """"memory" when intensity < ridge_point(peak, bandwidth), else "compute" (the knee itself is
    compute-bound: both roofs give the same rate there). Raises ValueError like `roofline`."""
    ### BEGIN SOLUTION
    if intensity < 0:
        raise ValueError("bound: arithmetic intensity must be >= 0")
    return "memory" if intensity < ridge_point(peak_gflops, bandwidth_gbs) else "compute"
    ### END SOLUTION


# ---------------------------------------------------------------- benchmarks

@dataclass
class BenchResult:
    """Timings of the measured calls (seconds, float64, warm-up excluded, in call order) and
    their statistics."""
    samples: np.ndarray
    median: float
    p95: float
    mean: float
    std: float


def summarize(samples: Sequence[float]) -> BenchResult:
    """Statistics of timing samples (seconds): median (the mean of the two middle values for an
    even count), p95 = the 95th percentile with linear interpolation between order statistics
    (NumPy's default: position 0.95 * (n - 1) in the sorted samples), mean, and the population
    standard deviation (ddof=0). `samples` is stored as a float64 array in the given order.
    Raises ValueError for no samples or a non-finite or negative one."""
    ### BEGIN SOLUTION
    s = np.asarray(samples, dtype=np.float64).reshape(-1)
    if s.size == 0 or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("summarize: need at least one finite, non-negative sample")
    return BenchResult(samples=s, median=float(np.median(s)), p95=float(np.percentile(s, 95)),
                       mean=float(s.mean()), std=float(s.std()))
    ### END SOLUTION


def benchmark(fn: Callable[[], object], warmup: int = 3, repeats: int = 20,
              clock: Callable[[], float] = time.perf_counter,
              sync: Callable[[], object] | None = None) -> BenchResult:
    """Time `fn()`: `warmup` untimed calls, then `repeats` calls timed one by one.

    Each sample is clock() after the call minus clock() before it; when `sync` is given (e.g.
    `Device[Device.DEFAULT].synchronize`) it is called after fn() *inside* the timed region, so
    asynchronous work is finished before the clock stops (warm-up calls are synchronized too).
    Returns `summarize` of the `repeats` samples.
    Raises ValueError for warmup < 0 or repeats < 1 (before calling fn)."""
    ### BEGIN SOLUTION
    if warmup < 0 or repeats < 1:
        raise ValueError(f"benchmark: need warmup >= 0 and repeats >= 1, got {warmup}, {repeats}")
    for _ in range(warmup):
        fn()
        if sync is not None:
            sync()
    samples = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        if sync is not None:
            sync()
        samples.append(clock() - t0)
    return summarize(samples)
    ### END SOLUTION


def bootstrap_ci(samples: Sequence[float], stat: Callable[[np.ndarray], float] = np.median,
                 level: float = 0.95, n_resamples: int = 2000, seed: int | None = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval (low, high) for `stat` of `samples`.

    Draw `n_resamples` resamples of the same size as `samples`, *with replacement*, from
    np.random.default_rng(seed); compute `stat` of each; the interval is the (1 - level)/2 and
    (1 + level)/2 quantiles of those values (np.percentile, linear interpolation). The same
    seed gives the same interval. Raises ValueError for no samples, level outside (0, 1) or
    n_resamples < 1."""
    ### BEGIN SOLUTION
    s = np.asarray(samples, dtype=np.float64).reshape(-1)
    if s.size == 0:
        raise ValueError("bootstrap_ci: no samples")
    if not 0.0 < level < 1.0:
        raise ValueError(f"bootstrap_ci: level must be in (0, 1), got {level}")
    if n_resamples < 1:
        raise ValueError(f"bootstrap_ci: n_resamples must be >= 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, s.size, size=(n_resamples, s.size))
    stats = np.array([stat(s[row]) for row in idx], dtype=np.float64)
    low, high = np.percentile(stats, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(low), float(high)
    ### END SOLUTION


# ---------------------------------------------------------------- DEBUG=2 lines

@dataclass
class KernelRow:
    """One kernel launch from a DEBUG=2 line: its number, name, time in seconds, GFLOP/s and
    GB/s as tinygrad printed them."""
    index: int
    name: str
    time_s: float
    gflops: float
    gbs: float


### BEGIN SOLUTION
_LINE = re.compile(r"^\*\*\*\s+(\S+)\s+(\d+)\s+(.*?)\s+arg\s+\d+\s+mem\s+[\d.]+\s+GB\s+tm\s+([\d.]+)(us|ms|s)\s*/"
                   r"\s*[\d.]+ms\s+\(\s*([\d.]+)\s+(GFLOPS|TFLOPS)\s+([\d.]+)\|[\d.]+\s+(GB/s|TB/s)\)")
### END SOLUTION
_ANSI = re.compile("\x1b\\[(K|.*?m)")


def parse_kernel_lines(text: str) -> list[KernelRow]:
    """Parse the per-kernel lines tinygrad prints at DEBUG=2, e.g.

        *** CPU       27 E_32768_2         arg  3 mem   0.00 GB tm    226.93us/     2.37ms (     19 GFLOPS    1|1      GB/s)

    into KernelRow(index=27, name="E_32768_2", time_s=226.93e-6, gflops=19.0, gbs=1.0), in the
    order of the text. The time unit is us, ms or s; TFLOPS and TB/s are converted to GFLOP/s and
    GB/s (x 1000). Colour codes are ignored; lines that are not kernel lines (scheduler,
    compiler, program output, a kernel line without timing) are skipped."""
    ### BEGIN SOLUTION
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    rows = []
    for line in text.splitlines():
        m = _LINE.match(_ANSI.sub("", line).strip())
        if m is None:
            continue
        _, index, name, t, unit, fl, fl_unit, bw, bw_unit = m.groups()
        rows.append(KernelRow(index=int(index), name=name.strip(), time_s=float(t) * scale[unit],
                              gflops=float(fl) * (1000.0 if fl_unit == "TFLOPS" else 1.0),
                              gbs=float(bw) * (1000.0 if bw_unit == "TB/s" else 1.0)))
    return rows
    ### END SOLUTION


def hotspots(rows: Sequence[KernelRow], k: int = 5) -> list[tuple[str, float, int, float]]:
    """The k kernels that took the most time, as (name, total_time_s, calls, share) where the
    rows of the same name are added up (a kernel launched in every layer is one hotspot), share
    = total_time_s / the time of all rows. Sorted by total time, longest first; equal times keep
    the order in which the names first appear. Fewer than k names: all of them.
    Raises ValueError for k < 1."""
    ### BEGIN SOLUTION
    if k < 1:
        raise ValueError(f"hotspots: k must be >= 1, got {k}")
    totals: dict[str, list] = {}
    for r in rows:
        entry = totals.setdefault(r.name, [0.0, 0])
        entry[0] += r.time_s
        entry[1] += 1
    grand = sum(r.time_s for r in rows)
    ranked = sorted(totals.items(), key=lambda item: -item[1][0])
    return [(name, t, calls, t / grand if grand > 0 else 0.0) for name, (t, calls) in ranked[:k]]
    ### END SOLUTION
