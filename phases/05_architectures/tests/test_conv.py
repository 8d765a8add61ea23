"""Visible tests for Exercise 5.1 (convolution and pooling from primitives). Run: make phase5"""
import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

conv = exercise("5.1")

# a 1x1x4x4 image 0..15 and a 2x2 kernel: small enough to work out by hand
IMAGE = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
KERNEL = np.array([[[[1, 2], [3, 4]]]], dtype=np.float32)


def test_conv_output_size_formula():
    assert conv.conv_output_size(4, 2) == 3                      # 4 - 2 + 1 positions
    assert conv.conv_output_size(32, 5, stride=1, padding=2) == 32   # "same" padding
    assert conv.conv_output_size(7, 3, stride=2) == 3           # windows start at 0, 2, 4
    assert conv.conv_output_size(8, 3, stride=2) == 3           # floor, not ceil: 0, 2, 4 (6 would overrun)
    assert conv.conv_output_size(10, 3, dilation=2) == 6        # a dilated 3-tap kernel spans 5 cells


def test_receptive_field_multiplies_strides():
    assert conv.receptive_field([]) == 1
    assert conv.receptive_field([(3, 1, 1), (3, 1, 1)]) == 5
    # conv 3, pool 2 stride 2, conv 3: the last conv's 2 extra taps are 2 input cells apart
    assert conv.receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)]) == 1 + 2 + 1 + 2 * 2


def test_conv2d_is_cross_correlation_without_flip():
    out = conv.conv2d(Tensor(IMAGE), Tensor(KERNEL)).numpy()
    # top-left window [[0, 1], [4, 5]] . [[1, 2], [3, 4]] = 0 + 2 + 12 + 20
    assert out.shape == (1, 1, 3, 3)
    assert out[0, 0, 0, 0] == 34
    # every step right adds 1 to each of the 4 cells (+10); every step down adds 4 (+40)
    np.testing.assert_allclose(out[0, 0], [[34, 44, 54], [74, 84, 94], [114, 124, 134]])


def test_conv2d_stride_padding_bias():
    out = conv.conv2d(Tensor(IMAGE), Tensor(np.ones((1, 1, 2, 2), np.float32)), Tensor([0.5]),
                      stride=2, padding=1).numpy()
    # padded windows start at -1, 1, 3: the corner window sees only image[0, 0] = 0
    np.testing.assert_allclose(out[0, 0], [[0.5, 3.5, 3.5], [12.5, 30.5, 18.5], [12.5, 27.5, 15.5]])


def test_conv2d_dilation_spreads_the_taps():
    out = conv.conv2d(Tensor(IMAGE), Tensor(KERNEL), dilation=2).numpy()
    # taps at rows/cols 0 and 2: 0*1 + 2*2 + 8*3 + 10*4
    np.testing.assert_allclose(out[0, 0], [[68, 78], [108, 118]])


def test_conv2d_groups_keep_channels_apart():
    x = np.stack([IMAGE[0, 0], -IMAGE[0, 0]])[None]               # 2 channels: image and -image
    w = np.ones((2, 1, 2, 2), np.float32)                          # one 2x2 box filter per channel
    out = conv.conv2d(Tensor(x), Tensor(w), groups=2).numpy()
    np.testing.assert_allclose(out[0, 0, 0], [10, 14, 18])        # channel 0 sees the image only
    np.testing.assert_allclose(out[0, 1, 0], [-10, -14, -18])     # channel 1 sees -image only


def test_conv2d_gradient_of_bias_and_weight():
    x, w, b = Tensor(IMAGE), Tensor(KERNEL), Tensor([0.0])
    gw, gb = conv.conv2d(x, w, b).sum().gradient(w, b)
    assert gb.numpy()[0] == 9                      # 9 output cells, each adds b once
    # d/dw[u, v] of the sum = sum of the 9 input cells that tap (u, v) touches
    np.testing.assert_allclose(gw.numpy()[0, 0], [[45, 54], [81, 90]])


def test_conv2d_rejects_channels_not_divisible_by_groups():
    with pytest.raises(ValueError):
        conv.conv2d(Tensor.zeros(1, 3, 4, 4), Tensor.zeros(2, 1, 2, 2), groups=2)


def test_max_pool_pads_with_minus_infinity():
    x = Tensor(-IMAGE - 1)                                         # all negative: -1 .. -16
    out = conv.max_pool2d(x, 2, stride=2, padding=1).numpy()
    # the corner window holds three padding cells and -1; padding never wins
    np.testing.assert_allclose(out[0, 0], [[-1, -2, -4], [-5, -6, -8], [-13, -14, -16]])


def test_avg_pool_counts_padded_zeros_by_default():
    x = Tensor(IMAGE)
    np.testing.assert_allclose(conv.avg_pool2d(x, 2).numpy()[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    padded = conv.avg_pool2d(x, 2, padding=1).numpy()[0, 0]
    assert padded[0, 0] == 0.0 and padded[0, 1] == (1 + 2) / 4   # zeros count: divide by 4
    real_only = conv.avg_pool2d(x, 2, padding=1, count_include_pad=False).numpy()[0, 0]
    assert real_only[0, 1] == (1 + 2) / 2                           # only the 2 real cells count
