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
    raise NotImplementedError("Exercise 7.2: implement count_params (see its docstring)")


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv2d_output_size(h: int, w: int, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """(H_out, W_out) of a 2-D convolution on an H x W input, with tinygrad's conventions:

        H_out = floor((H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h) + 1

    and the same for W. `kernel_size`, `stride`, `dilation`: an int or an (h, w) pair.
    `padding`: an int (all four sides), an (h, w) pair (both sides of each axis), or the
    4-tuple (left, right, top, bottom) that tinygrad's Conv2d uses (width first).
    Raises ValueError when the (padded) input is smaller than the dilated kernel."""
    raise NotImplementedError("Exercise 7.2: implement conv2d_output_size (see its docstring)")


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
    raise NotImplementedError("Exercise 7.2: implement analytic_flops (see its docstring)")


def matmul_cost(m: int, k: int, n: int, itemsize: int = 4) -> tuple[int, int]:
    """(FLOPs, bytes) of one (m, k) @ (k, n) matmul in the ideal model: 2*m*k*n FLOPs, and each
    input read once and the output written once: (m*k + k*n + m*n) * itemsize bytes.
    Raises ValueError for a dimension or itemsize < 1."""
    raise NotImplementedError("Exercise 7.2: implement matmul_cost (see its docstring)")


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
    raise NotImplementedError("Exercise 7.2: implement step_counters (see its docstring)")


def arithmetic_intensity(flops: float, nbytes: float) -> float:
    """FLOPs per byte moved: flops / nbytes. Raises ValueError when nbytes <= 0 or flops < 0."""
    raise NotImplementedError("Exercise 7.2: implement arithmetic_intensity (see its docstring)")


# ---------------------------------------------------------------- the roofline

def measure_peak_gflops(n: int = 256, repeats: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Peak compute in GFLOP/s, measured with a NumPy float32 (n, n) @ (n, n) matmul.

    One untimed warm-up product, then `repeats` timed ones (clock read right before and right
    after each); the best (shortest) time t gives 2 * n**3 / t / 1e9. The best, not the mean:
    interference only ever makes a run slower. Raises ValueError for n < 1 or repeats < 1."""
    raise NotImplementedError("Exercise 7.2: implement measure_peak_gflops (see its docstring)")


def measure_bandwidth(nbytes: int = 1 << 24, repeats: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """Memory bandwidth in GB/s (1 GB = 1e9 bytes), measured by copying a float32 array of
    `nbytes` bytes into another one with `np.copyto`.

    A copy reads nbytes and writes nbytes: 2 * nbytes moved. One untimed warm-up copy, then
    `repeats` timed ones; the best time t gives 2 * nbytes / t / 1e9.
    Raises ValueError for nbytes < 4 or repeats < 1."""
    raise NotImplementedError("Exercise 7.2: implement measure_bandwidth (see its docstring)")


def roofline(intensity, peak_gflops: float, bandwidth_gbs: float):
    """Attainable GFLOP/s at arithmetic intensity `intensity` (FLOP/byte; a float or an array):
    min(peak_gflops, intensity * bandwidth_gbs). Returns a float for a float, an array for an array.
    Raises ValueError when peak or bandwidth <= 0 or any intensity < 0."""
    raise NotImplementedError("Exercise 7.2: implement roofline (see its docstring)")


def ridge_point(peak_gflops: float, bandwidth_gbs: float) -> float:
    """The knee of the roofline: the intensity peak_gflops / bandwidth_gbs (FLOP/byte) at which
    the memory roof meets the compute roof. Raises ValueError when either is <= 0."""
    raise NotImplementedError("Exercise 7.2: implement ridge_point (see its docstring)")


def bound(intensity: float, peak_gflops: float, bandwidth_gbs: float) -> str:
    """"memory" when intensity < ridge_point(peak, bandwidth), else "compute" (the knee itself is
    compute-bound: both roofs give the same rate there). Raises ValueError like `roofline`."""
    raise NotImplementedError("Exercise 7.2: implement bound (see its docstring)")


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
    raise NotImplementedError("Exercise 7.2: implement summarize (see its docstring)")


def benchmark(fn: Callable[[], object], warmup: int = 3, repeats: int = 20,
              clock: Callable[[], float] = time.perf_counter,
              sync: Callable[[], object] | None = None) -> BenchResult:
    """Time `fn()`: `warmup` untimed calls, then `repeats` calls timed one by one.

    Each sample is clock() after the call minus clock() before it; when `sync` is given (e.g.
    `Device[Device.DEFAULT].synchronize`) it is called after fn() *inside* the timed region, so
    asynchronous work is finished before the clock stops (warm-up calls are synchronized too).
    Returns `summarize` of the `repeats` samples.
    Raises ValueError for warmup < 0 or repeats < 1 (before calling fn)."""
    raise NotImplementedError("Exercise 7.2: implement benchmark (see its docstring)")


def bootstrap_ci(samples: Sequence[float], stat: Callable[[np.ndarray], float] = np.median,
                 level: float = 0.95, n_resamples: int = 2000, seed: int | None = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval (low, high) for `stat` of `samples`.

    Draw `n_resamples` resamples of the same size as `samples`, *with replacement*, from
    np.random.default_rng(seed); compute `stat` of each; the interval is the (1 - level)/2 and
    (1 + level)/2 quantiles of those values (np.percentile, linear interpolation). The same
    seed gives the same interval. Raises ValueError for no samples, level outside (0, 1) or
    n_resamples < 1."""
    raise NotImplementedError("Exercise 7.2: implement bootstrap_ci (see its docstring)")


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


_ANSI = re.compile("\x1b\\[(K|.*?m)")


def parse_kernel_lines(text: str) -> list[KernelRow]:
    """Parse the per-kernel lines tinygrad prints at DEBUG=2, e.g.

        *** CPU       27 E_32768_2         arg  3 mem   0.00 GB tm    226.93us/     2.37ms (     19 GFLOPS    1|1      GB/s)

    into KernelRow(index=27, name="E_32768_2", time_s=226.93e-6, gflops=19.0, gbs=1.0), in the
    order of the text. The time unit is us, ms or s; TFLOPS and TB/s are converted to GFLOP/s and
    GB/s (x 1000). Colour codes are ignored; lines that are not kernel lines (scheduler,
    compiler, program output, a kernel line without timing) are skipped."""
    raise NotImplementedError("Exercise 7.2: implement parse_kernel_lines (see its docstring)")


def hotspots(rows: Sequence[KernelRow], k: int = 5) -> list[tuple[str, float, int, float]]:
    """The k kernels that took the most time, as (name, total_time_s, calls, share) where the
    rows of the same name are added up (a kernel launched in every layer is one hotspot), share
    = total_time_s / the time of all rows. Sorted by total time, longest first; equal times keep
    the order in which the names first appear. Fewer than k names: all of them.
    Raises ValueError for k < 1."""
    raise NotImplementedError("Exercise 7.2: implement hotspots (see its docstring)")
