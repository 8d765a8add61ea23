"""Visible tests for Exercise 6.3 (INT8 quantisation). Run: make phase6"""
import numpy as np
import pytest
from tinygrad import Tensor, dtypes

from grader.target import exercise

qz = exercise("6.3")

# an (in=2, out=3) weight: the columns are the output channels, with max |w| 1.27, 0.127 and 0
W = np.array([[0.5, -0.127, 0.0],
              [-1.27, 0.0635, 0.0]], dtype=np.float32)


def test_per_tensor_scale_is_max_abs_over_127():
    q, scale = qz.quantize(Tensor(W))
    assert q.dtype == dtypes.int8 and scale.dtype == dtypes.float32
    assert scale.shape == ()
    assert np.isclose(scale.item(), 0.01)                      # 1.27 / 127
    np.testing.assert_array_equal(q.numpy(), [[50, -13, 0],    # -0.127 / 0.01 = -12.7 -> -13
                                              [-127, 6, 0]])   # 0.0635 / 0.01 = 6.35 -> 6


def test_per_channel_one_scale_per_output_column():
    q, scale = qz.quantize(Tensor(W), axis=1)
    assert scale.shape == (1, 3)                               # broadcasts against (2, 3)
    np.testing.assert_allclose(scale.numpy(), [[0.01, 0.001, 1.0]], rtol=1e-6)   # all-zero column: 1.0
    np.testing.assert_array_equal(q.numpy(), [[50, -127, 0],
                                              [-127, 64, 0]])  # 63.5 -> 64 (half to even)


def test_codes_round_half_to_even_and_saturate():
    x = Tensor(np.array([0.5, 1.5, 2.5, -2.5, 126.6, 300.0, -300.0], dtype=np.float32))
    q = qz.quantize_with_scale(x, 1.0)
    assert q.dtype == dtypes.int8
    np.testing.assert_array_equal(q.numpy(), [0, 2, 2, -2, 127, 127, -127])   # never -128


def test_dequantize_is_within_half_a_step():
    q, scale = qz.quantize(Tensor(W), axis=1)
    back = qz.dequantize(q, scale)
    assert back.dtype == dtypes.float32
    assert (np.abs(back.numpy() - W) <= scale.numpy() / 2 + 1e-7).all()


def test_int8_matmul_accumulates_in_int32():
    a = Tensor(np.full((2, 4), 127, dtype=np.int8))
    b = Tensor(np.full((4, 3), -127, dtype=np.int8))
    c = qz.int8_matmul(a, b)
    assert c.dtype == dtypes.int32
    np.testing.assert_array_equal(c.numpy(), np.full((2, 3), -64516))   # 4 * 127 * -127: no wrap


def test_minmax_observer_keeps_the_extremes_of_all_batches():
    obs = qz.MinMaxObserver()
    obs.observe(Tensor(np.array([[-2.0, 1.0]], dtype=np.float32)))
    obs.observe(Tensor(np.array([[0.5, 3.81]], dtype=np.float32)))
    assert (obs.lo, obs.hi) == (-2.0, pytest.approx(3.81))
    assert obs.scale() == pytest.approx(0.03)                   # 3.81 / 127


def test_percentile_observer_pools_the_batches():
    obs = qz.PercentileObserver(percentile=50)
    obs.observe(Tensor(np.array([[-4.0, 1.0]], dtype=np.float32)))
    obs.observe(Tensor(np.array([[2.0, -3.0, 6.0, 5.0]], dtype=np.float32)))
    assert obs.scale() == pytest.approx(3.5 / 127)      # median of |x| = {1, 2, 3, 4, 5, 6}


def test_quantized_linear_weight_only_and_int8_inputs():
    bias = np.array([1.0, 0.0, -1.0], dtype=np.float32)
    x = np.array([[1.0, -0.5]], dtype=np.float32)
    w8a32 = qz.QuantizedLinear(Tensor(W), Tensor(bias))
    assert w8a32.weight.dtype == dtypes.int8 and w8a32.scale.shape == (3,)
    np.testing.assert_allclose(w8a32(Tensor(x)).numpy(), [[2.135, -0.159, -1.0]], atol=1e-6)
    w8a8 = qz.QuantizedLinear(Tensor(W), Tensor(bias), input_scale=0.25)   # x_q = [4, -2]
    out = w8a8(Tensor(x)).numpy()      # ([4, -2] @ codes) * 0.25 * scale + bias
    np.testing.assert_allclose(out, [[2.135, -0.159, -1.0]], atol=1e-6)
    assert w8a8.nbytes() == 6 + 3 * 4 + 3 * 4                # int8 codes, float32 scales and bias


def test_fake_quantize_rounds_forward_and_passes_gradient_inside_the_range():
    x = Tensor(np.array([0.304, -0.7, 2.0, -5.0], dtype=np.float32))
    y = qz.fake_quantize(x, 0.01)                           # the range is [-1.27, 1.27]
    np.testing.assert_allclose(y.numpy(), [0.30, -0.70, 1.27, -1.27], atol=1e-6)
    (y * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 0.0, 0.0])   # clipped values get 0
