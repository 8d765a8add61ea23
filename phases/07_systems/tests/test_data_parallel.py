"""Visible tests for Exercise 7.4 (data-parallel training). Run: make phase7

"CPU", "CPU:1" and "CPU:2" are virtual devices: separate buffers on the same processor. The tests
check that the numbers are right, never that anything is faster."""
import functools

import numpy as np
from tinygrad import Context, Tensor
from tinygrad.nn.optim import SGD
from tinygrad.nn.state import get_parameters

from grader.target import exercise

dp = exercise("7.4")
DEVS = ("CPU", "CPU:1")


class MLP:
    """16 -> 8 -> 4 with a ReLU; the weights come from a NumPy generator seeded with `seed`."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.w1 = Tensor(rng.normal(0, 0.5, (16, 8)).astype(np.float32))
        self.b1 = Tensor(np.zeros(8, np.float32))
        self.w2 = Tensor(rng.normal(0, 0.5, (8, 4)).astype(np.float32))
        self.b2 = Tensor(np.zeros(4, np.float32))

    def __call__(self, x):
        return (x @ self.w1 + self.b1).relu() @ self.w2 + self.b2


def batches(size, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(size, 16)).astype(np.float32), rng.integers(0, 4, size).astype(np.int32))
            for _ in range(steps)]


def single_device(data, lr, momentum):
    """The oracle: plain SGD on one device with the whole batch."""
    model = MLP()
    params = get_parameters(model)
    opt = SGD(params, lr=lr, momentum=momentum)
    losses = []
    for x, y in data:
        loss = model(Tensor(x)).sparse_categorical_crossentropy(Tensor(y))
        grads = loss.gradient(*params)
        Tensor.realize(loss, *grads)
        losses.append(loss.item())
        for p, g in zip(params, grads):
            p.grad = g
        with Context(TRAINING=1):
            opt.step()
    return [p.numpy() for p in params], losses


def test_shard_batch_cuts_contiguous_shards_first_ones_larger():
    x = Tensor(np.arange(22, dtype=np.float32).reshape(11, 2))
    y = Tensor(np.arange(11, dtype=np.int32))
    shards = dp.shard_batch(x, y, 3)
    assert [int(xs.shape[0]) for xs, _ in shards] == [4, 4, 3]        # 11 = 4 + 4 + 3
    assert [ys.tolist() for _, ys in shards] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
    np.testing.assert_array_equal(shards[2][0].numpy(), [[16, 17], [18, 19], [20, 21]])


def test_shard_batch_refuses_empty_shards():
    x, y = Tensor(np.zeros((2, 3), np.float32)), Tensor(np.zeros(2, np.int32))
    for n in (0, 3):                                                  # no shard at all; 3 shards of 2 rows
        try:
            dp.shard_batch(x, y, n)
        except ValueError:
            continue
        raise AssertionError(f"shard_batch(batch of 2, n={n}) should raise ValueError")


def test_allreduce_mean_is_a_mean_on_every_device():
    a = Tensor([1.0, 2.0, 3.0], device="CPU")
    b = Tensor([3.0, 4.0, 5.0], device="CPU:1")
    out = dp.allreduce_mean([a, b])
    assert [t.device for t in out] == ["CPU", "CPU:1"]
    for t in out:
        np.testing.assert_allclose(t.numpy(), [2.0, 3.0, 4.0])       # not the sum [4, 6, 8]
    # an uneven split, 6 rows on CPU and 2 on CPU:1: weights 6/8 and 2/8
    out = dp.allreduce_mean([a, b], weights=[0.75, 0.25])
    for t in out:
        np.testing.assert_allclose(t.numpy(), [1.5, 2.5, 3.5])


def test_bucketed_allreduce_layout_and_values():
    shapes = [(4,), (2, 3), (8,), (1,)]                               # 16, 24, 32 and 4 bytes
    grads = [[Tensor(np.full(s, k + 1.0, np.float32), device=dev) for s in shapes]
             for k, dev in enumerate(DEVS)]
    reduced, layout = dp.bucketed_allreduce(grads, bucket_bytes=40)
    assert layout == [[0, 1], [2, 3]]                                 # 16 + 24 = 40 fits; 32 + 4 = 36
    for k, dev in enumerate(DEVS):
        for g, s in zip(reduced[k], shapes):
            assert g.shape == s and g.device == dev
            np.testing.assert_allclose(g.numpy(), np.full(s, 1.5))  # mean of 1 and 2
    _, layout = dp.bucketed_allreduce(grads, bucket_bytes=20)
    assert layout == [[0], [1], [2], [3]]                             # 24 > 20: a bucket of its own


DATA = batches(8, 2)


@functools.cache
def expected():
    """Parameters and losses of 2 single-device steps on DATA (lr 0.1, momentum 0.9)."""
    return single_device(DATA, lr=0.1, momentum=0.9)


def test_trainer_equals_single_device_training():
    trainer = dp.DataParallelTrainer(MLP, DEVS, lr=0.1, momentum=0.9)
    want_params, want_losses = expected()
    for (x, y), want in zip(DATA, want_losses):
        loss = trainer.step(Tensor(x), Tensor(y))
        np.testing.assert_allclose(loss, want, rtol=1e-5)            # the loss before the update
    for k, dev in enumerate(DEVS):
        params = get_parameters(trainer.replicas[k])
        assert all(p.device == dev for p in params)
        for p, w in zip(params, want_params):
            np.testing.assert_allclose(p.numpy(), w, rtol=1e-5, atol=1e-6)


def test_uneven_shards_on_three_devices():
    trainer = dp.DataParallelTrainer(MLP, ("CPU", "CPU:1", "CPU:2"), lr=0.1, momentum=0.9)
    want_params, want_losses = expected()
    losses = [trainer.step(Tensor(x), Tensor(y)) for x, y in DATA]   # shards of 3, 3 and 2 rows
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)       # weights 3/8, 3/8, 2/8
    replicas = [get_parameters(r) for r in trainer.replicas]
    for k in (1, 2):
        for p0, pk in zip(replicas[0], replicas[k]):
            np.testing.assert_array_equal(pk.numpy(), p0.numpy())    # the replicas never drift
    for p, w in zip(replicas[0], want_params):
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-5, atol=1e-6)
