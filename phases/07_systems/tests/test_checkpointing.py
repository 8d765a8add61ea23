"""Visible tests for Exercise 7.3 (gradient checkpointing). Run: make phase7"""
import numpy as np
from tinygrad import Tensor
from tinygrad.device import Buffer

from grader.target import exercise

ck = exercise("7.3")
B, D, L = 256, 64, 8          # one activation: 256 * 64 float32 = 64 KiB


def network(num_layers=L, seed=0):
    """num_layers residual layers, an input x and an MSE loss, all realized."""
    rng = np.random.default_rng(seed)
    def t(*shape, scale=1.0):
        return Tensor((rng.normal(size=shape) * scale).astype(np.float32)).realize()
    layers = [ck.Residual(t(D, D, scale=0.5 / np.sqrt(D)), t(D, scale=0.1)) for _ in range(num_layers)]
    x, target = t(B, D), t(B, D)
    return layers, x, lambda h: ((h - target) ** 2).mean()


def test_peak_memory_of_one_float32_buffer():
    original = Buffer.allocate
    out, peak = ck.peak_memory(lambda: Tensor.ones(1000).contiguous().realize())
    assert peak == 4000                    # 1000 float32 values
    assert out.shape == (1000,)
    assert Buffer.allocate is original     # the watcher is gone afterwards


def test_segment_sizes_differ_by_at_most_one():
    segments = ck.segment(list(range(10)), 4)
    assert [seg.layers for seg in segments] == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert [len(seg.layers) for seg in ck.segment(list(range(10)), 10)] == [1] * 10
    for bad_k in (0, 11):
        try:
            ck.segment(list(range(10)), bad_k)
        except ValueError:
            continue
        raise AssertionError(f"segment(10 layers, k={bad_k}) should raise ValueError")


def test_sqrt_segments():
    assert [ck.sqrt_segments(n) for n in (1, 2, 4, 10, 16)] == [1, 1, 2, 3, 4]


def test_checkpointed_gradients_equal_plain_backprop():
    layers, x, loss_fn = network()
    loss, dx, grads = ck.checkpointed_grads(ck.segment(layers, 3), x, loss_fn)
    want_loss, want_dx, want_grads = ck.plain_grads([ck.Segment(layers)], x, loss_fn)
    assert len(grads) == 2 * L             # w and b of every layer, in layer order
    np.testing.assert_allclose(loss.numpy(), want_loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(dx.numpy(), want_dx.numpy(), rtol=1e-6, atol=1e-9)
    for got, want in zip(grads, want_grads):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-9)


def test_checkpointing_lowers_peak_memory():
    layers, x, loss_fn = network()
    _, ckpt = ck.peak_memory(lambda: ck.checkpointed_grads(ck.segment(layers, 3), x, loss_fn))
    _, plain = ck.peak_memory(lambda: ck.plain_grads([ck.Segment(layers)], x, loss_fn))
    print(f"peak extra memory: plain {plain / 1e6:.2f} MB, 3 segments {ckpt / 1e6:.2f} MB")
    assert ckpt < 0.7 * plain              # measured: about 55 % of plain
