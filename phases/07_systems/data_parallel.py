"""Exercise 7.4: data-parallel training: shard the batch over devices, all-reduce the gradients,
keep the replicas identical.

Data parallelism is how a model is trained on several accelerators at once. Every device holds a
full copy (a replica) of the model. A global batch of B examples is cut into n shards, one per
device; each replica runs the forward and backward pass on its own shard; the gradients are then
combined across devices (an all-reduce) so that every replica holds the gradient of the loss over
the whole batch; and every replica applies the same update, so they stay identical.

The arithmetic that makes it exact. With a mean loss, the gradient over the global batch is

    g = (1/B) sum_i grad l_i = sum_k (n_k / B) g_k,     g_k = (1/n_k) sum_{i in shard k} grad l_i

the mean of the shard gradients weighted by the shard sizes n_k. For equal shards the weights are
all 1/n; for an uneven split (B = 11 over 2 devices: 6 and 5) the plain mean of the shard means
is wrong, and so is the sum (n times too large: the learning rate silently grows with the number
of devices).

The replicas must never drift apart: the same initial weights on every device, the same reduced
gradient, the same update. Here one SGD optimizer steps replica 0 and its new weights are copied
(broadcast) to the others, so they stay bitwise identical. Stepping each replica with its own
local gradient, or forgetting the broadcast, trains n different models.

Two refinements from real systems (PyTorch DDP, Horovod):
* Bucketing. One all-reduce per parameter means many small messages, each with its latency.
  Consecutive gradients are flattened into buckets of a bounded size, each bucket is reduced as
  one tensor, and the results are cut back into the original shapes.
* Gradient accumulation. When a shard does not fit in memory, each replica runs m micro-batches,
  accumulates their gradients locally (weighted by their share of the shard), and communicates
  once per step.

Devices. tinygrad names accelerators "CUDA:0", "CUDA:1", ...; on a machine without them "CPU",
"CPU:1", "CPU:2", ... are separate virtual CPU devices, each with its own buffers and worker
thread, sharing the same cores. `t.to(device)` copies a tensor to a device. On virtual devices
data parallelism gives the same numbers as one device and is slower (the copies cost and the
cores are shared): it is a correctness exercise here, never a speed one. `tinygrad_way` at the end
shows the library's own version, `p.shard_(devices)` and `x.shard(devices, axis=0)`, which does
all of this inside the graph.
"""
from __future__ import annotations

from typing import Callable, Sequence

from tinygrad import Context, Device, Tensor
from tinygrad.nn.optim import SGD
from tinygrad.nn.state import get_parameters


def cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean softmax cross-entropy of (batch, classes) logits and integer labels: the default loss."""
    return logits.sparse_categorical_crossentropy(labels)


def shard_batch(x: Tensor, y: Tensor, n: int) -> list[tuple[Tensor, Tensor]]:
    """Cut a batch into n contiguous shards along its first axis.

    With B = x.shape[0] and B = q n + r (0 <= r < n), shard k holds rows [start_k, start_k + n_k)
    with n_k = q + 1 for k < r and n_k = q otherwise (numpy.array_split's rule): sizes differ by at
    most one, the shards are in order and together cover every row once. Returns
    [(x_k, y_k) for k in range(n)], slices of x and y on their own device.

    Raises ValueError when n < 1, when y.shape[0] != B, or when B < n (a device would get an
    empty shard).
    """
    raise NotImplementedError("Exercise 7.4: implement shard_batch (see its docstring)")


def allreduce_mean(tensors: Sequence[Tensor], weights: Sequence[float] | None = None) -> list[Tensor]:
    """All-reduce: every device gets the weighted mean of the tensors of all devices.

    `tensors[k]` is replica k's tensor and lives on its device; all have the same shape and
    dtype. The result is a list of realized tensors of that shape and dtype, `out[k]` on
    `tensors[k].device`, each equal to

        sum_k w_k tensors[k]          with w_k = weights[k], default 1/n

    The weights must be non-negative and sum to 1 (within 1e-6): they are the fractions of the
    global batch each replica saw, n_k / B, so that an uneven split still gives the gradient of
    the global-batch mean (never the sum, never the unweighted mean of shard means). All outputs
    are copies of one computed value, so they are bitwise identical. A possible schedule: gather
    to the first device, reduce there, broadcast the result (a ring all-reduce is another).

    Raises ValueError for an empty list, shapes or dtypes that differ, or weights of the wrong
    length, negative or not summing to 1.
    """
    raise NotImplementedError("Exercise 7.4: implement allreduce_mean (see its docstring)")


def bucketed_allreduce(grads: Sequence[Sequence[Tensor]], bucket_bytes: int,
                       weights: Sequence[float] | None = None) -> tuple[list[list[Tensor]], list[list[int]]]:
    """All-reduce many gradients in buckets of at most `bucket_bytes` bytes.

    `grads[k][i]` is gradient i of replica k (on replica k's device); every replica has the same
    list of shapes, and all gradients share one dtype. Bucket layout: walk the gradients in order
    and put each into the current bucket while the bucket's total size (numel * itemsize, summed)
    stays <= bucket_bytes; otherwise start a new bucket with it. A gradient larger than
    bucket_bytes on its own gets a bucket of its own. The layout is a list of buckets, each a list
    of consecutive indices; together they are [0, 1, ..., P - 1] in order.

    Each bucket is reduced by one call of `allreduce_mean` on the flattened, concatenated bucket
    (one 1-D tensor per replica), with `weights`; the result is cut back into the original
    shapes. Returns (reduced, layout): reduced[k][i] has the shape of grads[k][i], lives on
    replica k's device and equals the weighted mean of grads[0][i], ..., grads[n-1][i].

    Raises ValueError for bucket_bytes < 1, no replica, or replicas whose gradients differ in
    number or shape, or gradients that do not share one dtype.
    """
    raise NotImplementedError("Exercise 7.4: implement bucketed_allreduce (see its docstring)")


class DataParallelTrainer:
    """Synchronous data-parallel SGD over `devices` (e.g. ("CPU", "CPU:1", "CPU:2")).

    Replicas: `model_factory()` builds a model (a callable x -> output whose parameters
    `tinygrad.nn.state.get_parameters` finds); the trainer calls it once per device, stores the
    models in `self.replicas` (replica k's parameters on devices[k]) and copies replica 0's
    initial weights into every other replica, so they start identical even when the factory is
    not deterministic.

    `step(x, y, micro_batches=1)`, with x, y the global batch (B rows, any device):
      1. `shard_batch(x, y, n)`; replica k runs on its shard, moved to devices[k];
      2. each replica cuts its shard into `micro_batches` micro-batches (shard_batch again),
         calls its model once per micro-batch (on devices[k]) and accumulates the gradients
         weighted by micro-batch size / shard size, so it holds the gradient of its shard's mean
         loss (`loss_fn(output, y)` is a mean over the batch);
      3. all-reduce with weights n_k / B (`allreduce_mean` per parameter, or `bucketed_allreduce`
         when `bucket_bytes` is set): every replica now holds the gradient of the global-batch
         mean loss;
      4. one `tinygrad.nn.optim.SGD(params of replica 0, lr, momentum)` steps replica 0 (its
         momentum buffers live there), under Context(TRAINING=1); (one SGD per replica, each
         stepping with the same reduced gradient, is equally correct: identical inputs give
         identical updates, and step 5 can be left out);
      5. broadcast: replica 0's new weights are copied into every other replica (`assign`), so
         all replicas are bitwise identical after every step.
    Returns the global-batch mean loss as a Python float, sum_k (n_k / B) loss_k, computed with
    the weights before the update (realize the losses together with the gradients: a loss read
    after the step would be evaluated with the new weights).

    The result equals one step of single-device SGD on the whole batch, up to float rounding.
    Raises ValueError for no devices, repeated devices, micro_batches < 1, or a batch too small
    (B < n, or a shard with fewer than micro_batches rows).
    """

    def __init__(self, model_factory: Callable[[], object], devices: Sequence[str], lr: float,
                 momentum: float = 0.0, loss_fn: Callable[[Tensor, Tensor], Tensor] = cross_entropy,
                 bucket_bytes: int | None = None):
        self.devices = tuple(Device.canonicalize(d) for d in devices)
        if not self.devices:
            raise ValueError("DataParallelTrainer needs at least one device")
        if len(set(self.devices)) != len(self.devices):
            raise ValueError(f"devices must be distinct, got {tuple(devices)}")
        self.lr, self.momentum, self.loss_fn, self.bucket_bytes = lr, momentum, loss_fn, bucket_bytes
        raise NotImplementedError("Exercise 7.4: implement DataParallelTrainer.__init__ (see its docstring)")

    def step(self, x: Tensor, y: Tensor, micro_batches: int = 1) -> float:
        """One synchronous data-parallel SGD step on the global batch (x, y); returns its mean
        loss before the update (see the class docstring)."""
        raise NotImplementedError("Exercise 7.4: implement DataParallelTrainer.step (see its docstring)")


def tinygrad_way(model: object, devices: Sequence[str], lr: float, momentum: float = 0.0,
                 loss_fn: Callable[[Tensor, Tensor], Tensor] = cross_entropy) -> Callable[[Tensor, Tensor], float]:
    """The same training with tinygrad's multi-device tensors (given, for comparison).

    `p.shard_(devices)` replaces each parameter by a copy on every device; `x.shard(devices,
    axis=0)` splits the batch along axis 0. Operations on such tensors run on every device, and
    the backward pass of a replicated weight used with a sharded batch sums the per-device
    partial gradients: the all-reduce is part of the graph. The model is changed in place; returns
    step(x, y) -> the mean loss before the update. tinygrad 0.14 shards only batches that n
    divides (RuntimeError "multi axis uneven" otherwise); the trainer above has no such limit.
    """
    params = get_parameters(model)
    for p in params:
        p.shard_(tuple(devices)).realize()
    opt = SGD(params, lr=lr, momentum=momentum)

    def step(x: Tensor, y: Tensor) -> float:
        xs, ys = x.shard(tuple(devices), axis=0), y.shard(tuple(devices), axis=0)
        with Context(TRAINING=1):
            opt.zero_grad()
            loss = loss_fn(model(xs), ys)
            loss.backward()
            Tensor.realize(loss, *opt.schedule_step())
        return float(loss.item())
    return step
