"""Visible tests for Exercise 6.2 (mixed precision and dynamic loss scaling). Run: make phase6"""
import numpy as np
from tinygrad import Tensor, dtypes
from tinygrad.nn import optim

from grader.target import exercise

mp = exercise("6.2")
A = 2.0 ** -13          # (w * a).sum() * a has the gradient A * A = 2^-26 per weight: below float16's 2^-24


def test_compute_copy_is_float16_and_leaves_the_master_alone():
    master = Tensor([[1.0, 0.1], [-2.5, 1e-4]]).contiguous()
    (copy,) = mp.compute_copy([master])
    assert copy.dtype == dtypes.float16 and master.dtype == dtypes.float32
    np.testing.assert_allclose(copy.numpy(), master.numpy().astype(np.float16))
    assert master.numpy()[0, 1] == np.float32(0.1)           # the master keeps every float32 bit


def test_float16_underflow_and_what_scaling_does():
    assert mp.underflows(1e-8) and not mp.underflows(1e-8 * 2 ** 16)
    master = Tensor([1.0, 2.0, 3.0]).contiguous()
    a = Tensor([A], dtype=dtypes.float16).reshape(())   # a buffer: two constants would fold to A * A = 0
    for scale, expected in ((1.0, 0.0), (1024.0, A * A)):
        scaler = mp.DynamicLossScaler(init_scale=scale)
        (copy,) = mp.compute_copy([master])
        (grad,) = scaler.scale_loss((copy * a).sum() * a).gradient(copy)
        grad.realize()                                   # stored in float16, as a backward pass does
        (unscaled,), found_inf = scaler.unscale([grad])
        assert unscaled.dtype == dtypes.float32 and not found_inf
        np.testing.assert_allclose(unscaled.numpy(), [expected] * 3, rtol=1e-3)   # lost without scaling


def test_scaler_backs_off_on_overflow_and_grows_after_clean_steps():
    scaler = mp.DynamicLossScaler(init_scale=1024.0, growth_interval=2)
    history = []
    for found_inf in (False, False, True, False, False, False):
        scaler.update(found_inf)
        history.append((scaler.scale, scaler.good_steps, scaler.skipped))
    assert history == [(1024.0, 1, 0), (2048.0, 0, 0),     # two clean steps: x2
                       (1024.0, 0, 1),                     # overflow: /2, counter reset, one skip
                       (1024.0, 1, 1), (2048.0, 0, 1), (2048.0, 1, 1)]


def test_an_overflowing_step_is_skipped():
    master = Tensor([0.5, -0.5]).contiguous()
    opt = optim.SGD([master], lr=0.1)
    scaler = mp.DynamicLossScaler(init_scale=2.0 ** 16)
    # the gradient 1000 * 2^16 does not fit in float16: inf
    loss, stepped = mp.mixed_precision_step(lambda ws: (ws[0] * 1000.0).sum(), [master], opt, scaler)
    assert not stepped and scaler.skipped == 1 and scaler.scale == 2.0 ** 15
    np.testing.assert_array_equal(master.numpy(), [0.5, -0.5])
    # a gradient of 1 fits: the step is taken on the float32 master weights
    loss, stepped = mp.mixed_precision_step(lambda ws: ws[0].sum(), [master], opt, scaler)
    assert stepped and master.dtype == dtypes.float32
    np.testing.assert_allclose(master.numpy(), [0.4, -0.6], rtol=1e-6)
