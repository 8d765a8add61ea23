"""Visible tests for Exercise 5.3 (CIFAR-10: statistics, augmentation, CifarNet). Run: make phase5"""
import numpy as np
import pytest
from tinygrad import Context, Tensor, nn
from tinygrad.helpers import TRAINING
from tinygrad.nn.optim import SGD

from grader.target import exercise

cifar = exercise("5.3")


def two_images() -> np.ndarray:
    """Two 2x2 RGB images, channels last, uint8 (the layout of grader.data.cifar10())."""
    X = np.zeros((2, 2, 2, 3), np.uint8)
    X[0, :, :, 0] = 255          # red: 1.0 in image 0, 0.0 in image 1     -> mean 0.5, std 0.5
    X[:, :, :, 1] = 51           # green: 0.2 everywhere                    -> mean 0.2, std 0
    X[:, 0, :, 2] = 102          # blue: 0.4 in the top row, 0 below        -> mean 0.2, std 0.2
    return X


def test_channel_stats_are_per_channel_in_units_of_255():
    mean, std = cifar.channel_stats(two_images())
    assert mean.shape == (3,) and mean.dtype == np.float32 and std.dtype == np.float32
    np.testing.assert_allclose(mean, [0.5, 0.2, 0.2], atol=1e-6)
    np.testing.assert_allclose(std, [0.5, 0.0, 0.2], atol=1e-6)


def test_normalize_uses_the_given_statistics_and_puts_channels_first():
    out = cifar.normalize(two_images(), mean=np.array([0.5, 0.2, 0.2]), std=np.array([0.5, 1.0, 0.2]))
    assert out.shape == (2, 3, 2, 2) and out.dtype == np.float32      # (N, C, H, W)
    np.testing.assert_allclose(out[0, 0], [[1, 1], [1, 1]], atol=1e-6)    # (1.0 - 0.5) / 0.5
    np.testing.assert_allclose(out[1, 0], [[-1, -1], [-1, -1]], atol=1e-6)
    np.testing.assert_allclose(out[:, 1], np.zeros((2, 2, 2)), atol=1e-6)
    np.testing.assert_allclose(out[0, 2], [[1, 1], [-1, -1]], atol=1e-6)  # (0.4 - 0.2) / 0.2, (0 - 0.2) / 0.2


def which_window(image: np.ndarray, augmented: np.ndarray):
    """(dy, dx, mirrored) when `augmented` is the window at (dy, dx) of `image` (C, H, W) zero-padded
    by 4, or the mirror image of that window; None when it is neither."""
    c, h, w = image.shape
    padded = np.zeros((c, h + 8, w + 8), image.dtype)
    padded[:, 4:4 + h, 4:4 + w] = image
    for dy in range(9):
        for dx in range(9):
            window = padded[:, dy:dy + h, dx:dx + w]
            for mirrored in (False, True):
                if np.array_equal(augmented, window[:, :, ::-1] if mirrored else window):
                    return dy, dx, mirrored
    return None


def test_augment_keeps_shape_and_dtype_and_leaves_the_input_alone():
    X = np.arange(4 * 3 * 6 * 5, dtype=np.float32).reshape(4, 3, 6, 5)
    before = X.copy()
    out = cifar.augment(X, np.random.default_rng(0))
    assert out.shape == (4, 3, 6, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(X, before)
    assert cifar.augment(X.astype(np.uint8), np.random.default_rng(0)).dtype == np.uint8


def test_every_augmented_image_is_a_window_of_the_padded_image_or_its_mirror():
    X = np.random.default_rng(1).integers(1, 256, size=(400, 2, 5, 6)).astype(np.uint8)
    out = cifar.augment(X, np.random.default_rng(2))
    found = [which_window(image, augmented) for image, augmented in zip(X, out)]
    assert None not in found
    assert 150 < sum(mirrored for _, _, mirrored in found) < 250          # each image: p = 1/2
    assert len({(dy, dx) for dy, dx, _ in found}) > 70                    # shifts spread over the 81


def test_same_seed_same_batch_and_a_new_draw_every_call():
    X = np.random.default_rng(4).normal(size=(8, 3, 6, 6)).astype(np.float32)
    first = cifar.augment(X, np.random.default_rng(5))
    np.testing.assert_array_equal(first, cifar.augment(X, np.random.default_rng(5)))
    rng = np.random.default_rng(6)
    assert not np.array_equal(cifar.augment(X, rng), cifar.augment(X, rng))


def test_cifarnet_layers():
    model = cifar.CifarNet(width=2)
    assert [tuple(b.conv.weight.shape) for b in model.blocks] == [(2, 3, 3, 3), (4, 2, 3, 3), (8, 4, 3, 3)]
    assert [tuple(b.bn.running_mean.shape) for b in model.blocks] == [(2,), (4,), (8,)]
    assert tuple(model.head.weight.shape) == (10, 8) and model.residual == []
    assert [tuple(b.conv.weight.shape) for b in cifar.CifarNet(width=2, residual=True).residual] == [(8, 8, 3, 3)] * 2


def test_cifarnet_gives_logits_for_any_size_divisible_by_8():
    model = cifar.CifarNet(width=2, classes=5)
    assert model(Tensor.zeros(3, 3, 16, 8).contiguous()).shape == (3, 5)


def test_convbn_uses_running_statistics_in_eval_and_batch_statistics_in_training():
    block = cifar.ConvBN(1, 1)
    block.conv.weight = Tensor.ones(1, 1, 3, 3).contiguous()   # each output sums its 3x3 neighbourhood
    x = Tensor.ones(1, 1, 3, 3).contiguous()
    sums = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]], np.float32)
    # eval: running mean 0 and variance 1 at the start, so BatchNorm (almost) passes the sums through
    np.testing.assert_allclose(block(x).numpy()[0, 0], sums, rtol=1e-4)
    assert block.bn.running_mean.numpy()[0] == 0                # and it learnt nothing
    with Context(TRAINING=1):
        out = block(x).numpy()[0, 0]
    np.testing.assert_allclose(out, np.maximum((sums - sums.mean()) / sums.std(), 0), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(block.bn.running_mean.numpy(), [0.1 * sums.mean()], rtol=1e-5)   # momentum 0.1


class LinearModel:
    """Any model works with the step: here logits = flatten(x) W^T + b."""

    def __init__(self):
        self.fc = nn.Linear(8, 2)

    def __call__(self, x):
        return self.fc(x.flatten(1))


def test_train_step_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 2, 2, 2)).astype(np.float32)
    y = (X[:, 0, 0, 0] > 0).astype(np.int32)
    Tensor.manual_seed(0)
    model = LinearModel()
    step = cifar.make_train_step(model, SGD(nn.state.get_parameters(model), lr=0.5))
    losses = [step(Tensor(X), Tensor(y)).item() for _ in range(20)]
    assert losses[-1] < 0.5 * losses[0]


class LogitsAreTheInput:
    """A stand-in model whose logits are its input, and which notes whether it ran in training mode."""

    def __init__(self):
        self.modes = []

    def __call__(self, x):
        self.modes.append(TRAINING.value)
        return x


def test_evaluate_counts_argmax_hits_in_eval_mode():
    model = LogitsAreTheInput()
    X = np.array([[1, 0], [0, 1], [2, 1], [0, 3], [5, 4]], dtype=np.float32)
    assert cifar.evaluate(model, X, np.array([0, 1, 0, 0, 0]), batch_size=2) == pytest.approx(0.8)
    assert model.modes == [0, 0, 0]            # three batches (2 + 2 + 1), none in training mode
    with pytest.raises(ValueError):
        cifar.evaluate(model, X[:3], np.zeros(2, np.int64))   # 3 images, 2 labels

