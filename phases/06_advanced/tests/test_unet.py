"""Visible tests for Exercise 6.5 (UNet, pixel_cross_entropy, iou, dice). Run: make phase6"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

unet = exercise("6.5")


def _images(n: int = 2, c: int = 1, size: int = 8) -> Tensor:   # few shapes: their kernels compile once
    return Tensor(np.random.default_rng(0).random((n, c, size, size), dtype=np.float32))


def test_conv_block_keeps_the_size_and_has_no_conv_bias():
    block = unet.ConvBlock(1, 2)
    assert block.conv1.weight.shape == (2, 1, 3, 3) and block.conv2.weight.shape == (2, 2, 3, 3)
    assert block.conv1.bias is None and block.conv2.bias is None     # BatchNorm would cancel it
    out = block(_images()).numpy()
    assert out.shape == (2, 2, 8, 8) and out.min() >= 0              # padding 1 keeps 8x8; ReLU last


def test_up_block_doubles_the_size_and_puts_the_skip_first():
    block = unet.UpBlock(4, 2)
    assert block.up.weight.shape == (4, 2, 2, 2)                     # ConvTranspose2d(in, out, 2, stride=2)
    assert block.block.conv1.weight.shape == (2, 4, 3, 3)            # 2 skip + 2 upsampled channels
    x, skip = _images(2, 4, 4), _images(2, 2, 8)
    assert block(x, skip).shape == (2, 2, 8, 8)
    w = block.block.conv1.weight.numpy()
    w[:, 2:] = 0                                                     # blind the block to the upsampled half
    block.block.conv1.weight.assign(Tensor(w)).realize()
    a, b = block(x, skip).numpy(), block(x * 3, skip).numpy()
    np.testing.assert_allclose(a, b, atol=1e-6)                      # only channels 0..1 (the skip) count
    assert not np.allclose(a, block(x, skip * 3).numpy())


def test_unet_layers_and_logit_shape():
    model = unet.UNet(in_channels=1, n_classes=3, width=4, depth=2)
    assert len(model.encoders) == 2 and len(model.decoders) == 2
    assert model.encoders[1].conv1.weight.shape == (8, 4, 3, 3)
    assert model.bottleneck.conv1.weight.shape == (16, 8, 3, 3)
    assert model.decoders[0].up.weight.shape == (16, 8, 2, 2)        # deepest decoder first
    assert model.decoders[1].block.conv1.weight.shape == (4, 8, 3, 3)
    assert model.head.weight.shape == (3, 4, 1, 1)
    small = unet.UNet(in_channels=1, n_classes=3, width=2, depth=1)  # built from the two blocks above
    assert small(_images()).shape == (2, 3, 8, 8)                    # one logit per class and pixel


def test_unet_refuses_sizes_it_cannot_halve_twice():
    model = unet.UNet(in_channels=1, n_classes=3, width=4, depth=2)
    with pytest.raises(ValueError):
        model(Tensor.zeros(1, 1, 10, 8))                             # 10 -> 5 -> 2.5: not a multiple of 4
    with pytest.raises(ValueError):
        model(Tensor.zeros(1, 2, 8, 8))                              # two channels for a one-channel net


def test_pixel_cross_entropy_runs_over_the_class_axis():
    labels = Tensor(np.array([[[0, 1], [2, 2]]], dtype=np.int32))    # (N=1, H=2, W=2)
    assert math.isclose(unet.pixel_cross_entropy(Tensor.zeros(1, 3, 2, 2), labels).item(), math.log(3), rel_tol=1e-5)
    logits = np.zeros((1, 3, 2, 2), np.float32)
    logits[0, 2, 1, 1] = 10.0                                        # pixel (1, 1) is sure it is class 2
    per_pixel = [math.log(3)] * 3 + [-math.log(math.exp(10) / (math.exp(10) + 2))]
    got = unet.pixel_cross_entropy(Tensor(logits), labels).item()
    assert math.isclose(got, sum(per_pixel) / 4, rel_tol=1e-4)


def test_iou_and_dice_per_class():
    pred = np.array([[0, 1, 1],
                     [0, 2, 2]])
    target = np.array([[0, 1, 0],
                       [0, 2, 1]])
    # class 0: 2 shared of 3 -> IoU 2/3; class 1: pred 2, true 2, 1 shared -> 1/3; class 2: 1 of 2
    # class 3 occurs in neither map: NaN, and mean_score leaves it out
    np.testing.assert_allclose(unet.iou(pred, target, 4), [2 / 3, 1 / 3, 1 / 2, np.nan])
    np.testing.assert_allclose(unet.dice(pred, target, 4), [4 / 5, 2 / 4, 2 / 3, np.nan])


def test_mean_score_leaves_out_background_and_absent_classes():
    scores = np.array([0.9, 0.5, np.nan, 0.2])
    assert math.isclose(unet.mean_score(scores), (0.5 + 0.2) / 2)
    assert math.isclose(unet.mean_score(scores, include_background=True), (0.9 + 0.5 + 0.2) / 3)
    assert math.isnan(unet.mean_score(np.array([1.0, np.nan, np.nan])))
