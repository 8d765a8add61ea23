"""Visible tests for Exercise 7.2 (profiling and benchmarks). Run: make phase7"""
import numpy as np
import pytest
from tinygrad import Tensor, nn

from grader.target import exercise

pf = exercise("7.2")

# DEBUG=2 output of tinygrad 0.14 on the CPU: an MLP forward pass with softmax, then a matmul
DEBUG2 = """\
scheduled     5 kernels in    62.53 ms | CACHE MISS ab61f492 |    2331 uops in cache
memory reduced from 0.02 MB -> 0.02 MB, 4 -> 1 bufs
*** CPU       19 r_4_32_2_4_4_16_4                              arg  4 mem   0.00 GB tm     66.53us/     1.94ms (      8 GFLOPS    1|8      GB/s)
*** CPU       20 r_32_10_32_4                                   arg  4 mem   0.00 GB tm     45.25us/     1.99ms (      2 GFLOPS    1|7      GB/s)
*** CPU       21 r_32_10                                        arg  2 mem   0.00 GB tm      5.43us/     1.99ms (      0 GFLOPS    0|0      GB/s)
*** CPU       22 r_32_10                                        arg  3 mem   0.00 GB tm     10.41us/     2.00ms (      1 GFLOPS    0|0      GB/s)
*** CPU       23 E_32_10                                        arg  4 mem   0.00 GB tm     17.04us/     2.02ms (      1 GFLOPS    0|0      GB/s)
*** CPU       31 r_64_128_2_3_3_96_4                            arg  2 mem   0.00 GB tm     28.64ms/    31.20ms (      4 GFLOPS    0|5      GB/s)
"""


def lenet():
    return [nn.Conv2d(1, 6, 5), Tensor.relu, lambda x: x.max_pool2d(2),
            nn.Conv2d(6, 16, 5), Tensor.relu, lambda x: x.max_pool2d(2), lambda x: x.flatten(1),
            nn.Linear(256, 120), Tensor.relu, nn.Linear(120, 84), Tensor.relu, nn.Linear(84, 10)]


class FakeTime:
    """A clock that only moves when fn() runs: call i takes durations[i] seconds."""
    def __init__(self, durations):
        self.now, self.durations, self.calls = 0.0, list(durations), 0

    def clock(self):
        return self.now

    def fn(self):
        self.now += self.durations[self.calls]
        self.calls += 1


def test_count_params_weights_and_biases():
    assert pf.count_params([nn.Linear(4, 3), nn.Linear(3, 2)]) == (4 * 3 + 3) + (3 * 2 + 2)   # 23
    assert pf.count_params(lenet()) == 156 + 2416 + 30840 + 10164 + 850                     # 44426


def test_count_params_counts_a_shared_tensor_once():
    a, b = nn.Linear(4, 4), nn.Linear(4, 4)
    b.weight = a.weight                      # tied weights
    assert pf.count_params([a, b]) == 16 + 4 + 4


def test_conv2d_output_size():
    assert pf.conv2d_output_size(28, 28, 5) == (24, 24)
    assert pf.conv2d_output_size(32, 32, 3, stride=2, padding=1) == (16, 16)
    assert pf.conv2d_output_size(9, 8, (3, 2), stride=(2, 1), padding=1, dilation=2) == (4, 8)


def test_analytic_flops_linear_with_and_without_bias():
    layer = nn.Linear(4, 3)
    assert pf.analytic_flops([layer], (2, 4)) == 2 * 2 * 4 * 3 + 2 * 3          # 54
    assert pf.analytic_flops([layer], (2, 4), count_bias=False) == 48


def test_analytic_flops_lenet():
    # conv1 6*24*24 outputs * (2*25 + 1); conv2 16*8*8 * (2*150 + 1); the three Linear layers
    expected = 3456 * 51 + 1024 * 301 + (2 * 256 * 120 + 120) + (2 * 120 * 84 + 84) + (2 * 84 * 10 + 10)
    assert pf.analytic_flops(lenet(), (1, 1, 28, 28)) == expected               # 567,974


def test_matmul_cost():
    assert pf.matmul_cost(8, 16, 4) == (2 * 8 * 16 * 4, (8 * 16 + 16 * 4 + 8 * 4) * 4)  # (1024, 896)


def test_step_counters_of_an_elementwise_add():
    assert pf.arithmetic_intensity(1000, 12000) == 1000 / 12000
    a, b = Tensor.ones(1000).contiguous().realize(), Tensor.ones(1000).contiguous().realize()
    c = pf.step_counters(lambda: a + b)          # the lazy result is realized by step_counters
    assert (c.kernels, c.flops, c.bytes) == (1, 1000, 3 * 1000 * 4)   # read a and b, write a + b


def test_analytic_flops_close_to_tinygrad_for_a_linear_stack():
    layers = [nn.Linear(16, 32), Tensor.relu, nn.Linear(32, 10)]
    analytic = pf.analytic_flops(layers, (8, 16))
    assert analytic == 2 * 8 * (16 * 32 + 32 * 10) + 8 * (32 + 10)   # 13,648
    x = Tensor.ones(8, 16).contiguous().realize()
    Tensor.realize(*nn.state.get_parameters(layers))
    counted = pf.step_counters(lambda: layers[2](layers[1](layers[0](x))))
    assert counted.kernels == 2                       # one per Linear (bias and relu fused in)
    assert abs(counted.flops - analytic) <= 0.1 * analytic


def test_roofline_and_its_knee():
    assert pf.roofline(0.5, 100.0, 20.0) == 10.0           # memory roof: 0.5 FLOP/B * 20 GB/s
    assert pf.roofline(10.0, 100.0, 20.0) == 100.0         # compute roof
    assert pf.ridge_point(100.0, 20.0) == 5.0
    assert pf.bound(4.9, 100.0, 20.0) == "memory" and pf.bound(5.0, 100.0, 20.0) == "compute"


def test_measure_peak_takes_the_best_repeat():
    ticks = iter([0.0, 0.5, 1.0, 1.25, 2.0, 3.0])   # timed matmuls of 0.5, 0.25 and 1.0 s
    peak = pf.measure_peak_gflops(n=64, repeats=3, clock=lambda: next(ticks))
    np.testing.assert_allclose(peak, 2 * 64 ** 3 / 0.25 / 1e9)


def test_benchmark_excludes_warmup():
    t = FakeTime([9.0, 9.0, 1.0, 2.0, 3.0, 4.0])          # two slow warm-up calls, then four
    r = pf.benchmark(t.fn, warmup=2, repeats=4, clock=t.clock)
    np.testing.assert_allclose(r.samples, [1.0, 2.0, 3.0, 4.0])
    assert r.median == 2.5 and r.mean == 2.5


def test_summarize_median_and_p95():
    r = pf.summarize(np.arange(1.0, 21.0))                 # 1, 2, ..., 20
    assert r.median == 10.5
    np.testing.assert_allclose(r.p95, 19.05)              # 0.95 * 19 = 18.05: 19 + 0.05 * (20 - 19)
    np.testing.assert_allclose(r.std, np.arange(1.0, 21.0).std())


def test_bootstrap_ci_contains_the_median_and_repeats_with_a_seed():
    x = np.random.default_rng(0).normal(10.0, 1.0, size=40)
    low, high = pf.bootstrap_ci(x, seed=1)
    assert low < np.median(x) < high
    assert pf.bootstrap_ci(x, seed=1) == (low, high)


def test_parse_kernel_lines_and_hotspots():
    rows = pf.parse_kernel_lines(DEBUG2)
    assert [r.index for r in rows] == [19, 20, 21, 22, 23, 31]
    assert rows[0].name == "r_4_32_2_4_4_16_4" and rows[0].gflops == 8.0 and rows[0].gbs == 1.0
    np.testing.assert_allclose(rows[-1].time_s, 28.64e-3)
    top = pf.hotspots(rows, 2)
    assert [(name, calls) for name, _, calls, _ in top] == [("r_64_128_2_3_3_96_4", 1), ("r_4_32_2_4_4_16_4", 1)]
    name, total, calls, share = pf.hotspots(rows, 6)[4]
    assert (name, calls) == ("r_32_10", 2)
    np.testing.assert_allclose(total, 15.84e-6)


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        pf.benchmark(lambda: None, repeats=0)
    with pytest.raises(ValueError):
        pf.bootstrap_ci([1.0, 2.0, 3.0], level=1.0)
    with pytest.raises(ValueError):
        pf.roofline(1.0, 0.0, 10.0)
