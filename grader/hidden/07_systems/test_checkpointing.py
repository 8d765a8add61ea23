"""Hidden checks for Exercise 7.3: peak_memory against the grader's own allocation watcher, segment
splits and sqrt_segments against the reference, checkpointed gradients (loss, dx, every parameter)
against the grader's own plain backpropagation for several k, and the peak memory of
checkpointed_grads measured by the grader's watcher, not by the learner's code."""
import numpy as np
from tinygrad import GlobalCounters, Tensor
from tinygrad.device import Buffer

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("7.3"), reference("7.3")
B, D = 128, 32                  # the memory check: the visible tests' 256 x 64 halved in both, so an
                                # activation is still 4 weight matrices (the same ratios), at 1/8 the compute
SMALL_B, SMALL_D = 32, 64       # the gradient checks: values and op ratios need no larger batch
MEMORY_FACTOR = 0.7             # L = 12, k = 3: measured 0.53 of plain (reference, tinygrad 0.14 CPU)
OPS_FACTOR = 1.25               # 7 layers, k = 7: lazy saved inputs ran 1.72 (default) to 1.77 (NOOPT)


def _counted(buf) -> bool:
    """The buffers tinygrad counts in GlobalCounters.mem_used: own memory, not a view, not on disk."""
    return buf._base is None and not buf.device.startswith("DISK") and \
        (buf.options is None or buf.options.external_ptr is None)


class Watch:
    """The grader's allocation watcher: the peak, above the start, of the bytes allocated minus the
    bytes freed while it is installed, counted by its own hooks on Buffer.allocate and deallocate."""

    def __enter__(self):
        self.allocate, self.deallocate = Buffer.allocate, Buffer.deallocate
        self.live = self.peak = 0
        watch = self

        def allocate(buf, *args, **kwargs):
            out = watch.allocate(buf, *args, **kwargs)
            if _counted(buf):
                watch.live += buf.nbytes
                watch.peak = max(watch.peak, watch.live)
            return out

        def deallocate(buf):
            if _counted(buf) and buf.device in buf._bufs:
                watch.live -= buf.nbytes
            return watch.deallocate(buf)
        self.hooks = Buffer.allocate, Buffer.deallocate = allocate, deallocate
        return self

    def __exit__(self, *exc):
        replaced = (Buffer.allocate, Buffer.deallocate) != self.hooks
        Buffer.allocate, Buffer.deallocate = self.allocate, self.deallocate
        if replaced and exc[0] is None:
            raise Mismatch("Buffer.allocate or Buffer.deallocate was replaced and not put back during the call")
        return False

    @property
    def extra(self) -> int:
        return int(self.peak)


# ---- the grader's own network, segments and plain backpropagation ----

class Res:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def __call__(self, x):
        return x + (x @ self.w + self.b).relu()

    @property
    def params(self):
        return [self.w, self.b]


class Gate:
    """x * tanh(s) + c: a layer with other parameters, so that a mix-up of parameters shows."""

    def __init__(self, s, c):
        self.s, self.c = s, c

    def __call__(self, x):
        return x * self.s.tanh() + self.c

    @property
    def params(self):
        return [self.s, self.c]


class Seg:
    def __init__(self, layers):
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]


def _split(layers, k):
    size, extra = divmod(len(layers), k)
    out, start = [], 0
    for j in range(k):
        stop = start + size + (j < extra)
        out.append(Seg(layers[start:stop]))
        start = stop
    return out


def _network(num_layers, seed, gates=True, batch=B, dim=D):
    """The layers, x and the target, all realized (with one realize)."""
    rng = np.random.default_rng(seed)
    made = []

    def tensor(*shape, scale=1.0):
        made.append(Tensor((rng.normal(size=shape) * scale).astype(np.float32)))
        return made[-1]
    layers = []
    for i in range(num_layers):
        if gates and i % 3 == 1:
            layers.append(Gate(tensor(dim, scale=0.5), tensor(dim, scale=0.1)))
        else:
            layers.append(Res(tensor(dim, dim, scale=0.5 / np.sqrt(dim)), tensor(dim, scale=0.1)))
    x, target = tensor(batch, dim), tensor(batch, dim)
    Tensor.realize(*made)
    return layers, x, target


def _loss(target):
    return lambda h: ((h - target) ** 2).mean() + (h * target).sum() * 1e-3


def _plain(segments, x, loss_fn):
    h = x
    for seg in segments:
        h = seg(h)
    loss = loss_fn(h)
    params = [p for seg in segments for p in seg.params]
    dx, *grads = loss.gradient(x, *params)
    Tensor.realize(loss, dx, *grads)
    return loss, dx, grads


def _numpy(results):
    """(loss, dx, grads) as NumPy arrays."""
    loss, dx, *grads = _read([results[0], results[1], *results[2]])
    return loss, dx, grads


def _read(tensors):
    """NumPy copies of tensors, read as one flat tensor (one schedule and copy, not one per tensor)."""
    flat = Tensor.cat(*[t.reshape(-1) for t in tensors]).numpy()
    ends = np.cumsum([t.numel() for t in tensors])
    return [part.reshape(t.shape) for part, t in zip(np.split(flat, ends[:-1]), tensors)]


def _check_grads(got, want, what):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise Mismatch(f"{what}: expected a tuple (loss, dx, grads)")
    loss, dx, grads = got
    want_loss, want_dx, want_grads = want
    if len(grads) != len(want_grads):
        raise Mismatch(f"{what}: {len(grads)} parameter gradients, expected {len(want_grads)} (every parameter "
                       "of every segment, in segment order)")
    loss, dx, *grads = _read([loss, dx, *grads])
    assert_matches(np.asarray(loss), want_loss, what=f"{what}: the loss", rtol=1e-6, atol=0)
    tol = lambda w: 1e-6 * float(np.abs(w).max())          # noqa: E731  a fused sum may add in another order
    assert_matches(dx, want_dx, what=f"{what}: dloss/dx", rtol=1e-6, atol=tol(want_dx))
    for i, (g, w) in enumerate(zip(grads, want_grads)):
        assert_matches(g, w, what=f"{what}: gradient of parameter {i + 1} of {len(want_grads)}",
                       rtol=1e-6, atol=tol(w))


# ---- peak_memory ----

def test_peak_memory_agrees_with_the_grader_on_known_allocations():
    n, m = 12345, 3000
    with Watch() as w:
        out, peak = mine.peak_memory(lambda: Tensor.ones(n).contiguous().realize())
    assert_matches(peak, w.extra, what=f"peak_memory of one realized ({n},) float32 tensor, vs the grader's watcher")
    assert_matches(peak, 4 * n, what=f"peak_memory of one realized ({n},) float32 tensor, in bytes")
    if tuple(out.shape) != (n,):
        raise Mismatch("peak_memory(fn) must return fn's result as the first element")
    if Buffer.allocate is not w.allocate:
        raise Mismatch("peak_memory left its watcher installed on Buffer.allocate")

    def two_alive():
        a = Tensor.ones(n).contiguous().realize()
        b = Tensor.ones(m).contiguous().realize()
        return a, b
    _, peak = mine.peak_memory(two_alive)
    assert_matches(peak, 4 * (n + m), what=f"peak_memory while ({n},) and ({m},) float32 buffers are both alive")

    def freed_then_smaller():
        a = Tensor.ones(n).contiguous().realize()
        del a                                         # its buffer is freed here
        return Tensor.ones(m).contiguous().realize()
    with Watch() as w:
        _, peak = mine.peak_memory(freed_then_smaller)
    assert_matches(peak, w.extra, what=f"peak_memory when a ({n},) buffer is freed before a ({m},) one is made "
                   "(the peak, not the final value)")
    upload = np.arange(n, dtype=np.float32)
    with Watch() as w:                            # Tensor(ndarray) calls Buffer.allocate with an argument
        _, peak = mine.peak_memory(lambda: Tensor(upload).realize())
    assert_matches(peak, w.extra, what=f"peak_memory while a ({n},) NumPy array is uploaded (the wrapper must "
                   "accept and pass on the arguments of Buffer.allocate)")

    def nested():                                 # the outer peak comes before an inner peak_memory call
        a = Tensor.ones(n).contiguous().realize()
        del a
        return mine.peak_memory(lambda: Tensor.ones(m).contiguous().realize())[1]
    with Watch() as w:
        inner, peak = mine.peak_memory(nested)
    assert_matches(inner, 4 * m, what=f"peak_memory of a ({m},) buffer, called inside another peak_memory")
    assert_matches(peak, w.extra, what=f"the outer peak_memory when its fn frees a ({n},) buffer and then calls "
                   "peak_memory on a smaller one (each call must keep its own start and peak: shared global state?)")
    result, peak = mine.peak_memory(lambda: 7)
    assert_matches(peak, 0, what="peak_memory of a function that allocates nothing")
    assert_matches(result, 7, what="peak_memory(lambda: 7)[0]")


def test_peak_memory_restores_allocate_when_fn_raises():
    original = Buffer.allocate

    def boom():
        Tensor.ones(777).contiguous().realize()
        raise KeyError("raised inside fn")
    assert_raises(KeyError, mine.peak_memory, boom, what="peak_memory(fn) when fn raises KeyError")
    if Buffer.allocate is not original:
        Buffer.allocate = original
        raise Mismatch("peak_memory did not put Buffer.allocate back after fn raised (use try/finally)")


# ---- segment, sqrt_segments ----

def test_segment_splits_like_the_reference():
    for num_layers in range(1, 13):
        layers = [object() for _ in range(num_layers)]
        for k in range(1, num_layers + 1):
            got, want = mine.segment(layers, k), ref.segment(layers, k)
            if len(got) != k:
                raise Mismatch(f"segment({num_layers} layers, k={k}) returned {len(got)} segments")
            got_ids = [[id(x) for x in seg.layers] for seg in got]
            want_ids = [[id(x) for x in seg.layers] for seg in want]
            if got_ids != want_ids:
                raise Mismatch(f"segment({num_layers} layers, k={k}): sizes {[len(s) for s in got_ids]}, expected "
                               "contiguous segments in order, sizes differing by at most one, larger ones first")
        for k in (0, -1, num_layers + 1, num_layers + 5):
            assert_raises(ValueError, mine.segment, layers, k, what=f"segment({num_layers} layers, k={k})")


def test_sqrt_segments_like_the_reference():
    for n in range(1, 70):
        assert_matches(mine.sqrt_segments(n), ref.sqrt_segments(n), what=f"sqrt_segments({n})")
    for n in (0, -4):
        assert_raises(ValueError, mine.sqrt_segments, n, what=f"sqrt_segments({n})")


# ---- checkpointed_grads: memory ----

def test_checkpointing_lowers_the_peak_memory_the_grader_measures():
    layers, x, target = _network(12, seed=12, gates=False)
    loss_fn = lambda h: ((h - target) ** 2).mean()       # noqa: E731
    with Watch() as w:
        got = mine.checkpointed_grads(_split(layers, 3), x, loss_fn)
    ckpt = w.extra
    with Watch() as w:                           # got is kept: none of its buffers is freed in here
        want = _plain([Seg(layers)], x, loss_fn)
    plain = w.extra
    want = _numpy(want)                          # read after the watch: its copy is not plain's memory
    _check_grads(got, want, "checkpointed_grads(12 layers, 3 segments)")
    del got
    act = B * D * 4
    if ckpt > MEMORY_FACTOR * plain:
        raise Mismatch(f"12 residual layers, 3 segments: peak extra memory {ckpt / act:.1f} activations, plain "
                       f"backprop {plain / act:.1f}; checkpointing should need at most {MEMORY_FACTOR:.0%} of "
                       "plain: keep only the segment inputs (realized, detached) and realize each segment's "
                       "gradients before moving to the previous one")


# ---- checkpointed_grads: gradients ----

def test_gradients_equal_plain_backprop_for_every_k():
    layers, x, target = _network(7, seed=73, batch=SMALL_B, dim=SMALL_D)
    want = _numpy(_plain([Seg(layers)], x, _loss(target)))
    # 3, 2, 2 layers, on a copy (the same values, own buffers) that an optimizer step changes after the call
    copy, x3, target3 = _network(7, seed=73, batch=SMALL_B, dim=SMALL_D)
    segments = _split(copy, 3)
    order = [id(seg) for seg in segments]
    got3 = mine.checkpointed_grads(segments, x3, _loss(target3))
    if [id(seg) for seg in segments] != order:
        raise Mismatch("checkpointed_grads changed the caller's list of segments (reversed or popped in place?): "
                       "walk it backwards without modifying it")
    if not isinstance(got3, (tuple, list)) or len(got3) != 3 or tuple(got3[0].shape) != ():
        raise Mismatch("checkpointed_grads must return (loss, dx, grads) with the loss a scalar Tensor")
    for k in (1, 7):                             # the extremes: plain order, one layer per segment
        GlobalCounters.reset()
        got = mine.checkpointed_grads(_split(layers, k), x, _loss(target))
        ops = GlobalCounters.global_ops          # k = 7's is checked last
        _check_grads(got, want, f"checkpointed_grads(7 layers, {k} segments)")
    changed = [p.assign(p * 0.5 + 0.25) for layer in copy for p in layer.params]
    Tensor.realize(*changed, x3.assign(x3 * 2.0), target3.assign(target3 * -1.0 + 0.5))
    _check_grads(got3, want, "checkpointed_grads(7 layers, 3 segments), read after the weights, x and the loss's "
                 "target changed (the results, the loss included, must be realized inside the call)")
    GlobalCounters.reset()                       # k = 1 saves no input: only k = 7 can recompute too much
    ref.checkpointed_grads(_split(layers, 7), x, _loss(target))
    budget = OPS_FACTOR * GlobalCounters.global_ops
    if ops > budget:
        raise Mismatch(f"checkpointed_grads(7 layers, 7 segments) ran {ops / 1e6:.1f}M ops, "
                       f"{ops * OPS_FACTOR / budget:.2f} times the grader's own checkpointing. "
                       "It costs one extra forward: realize each saved segment input, "
                       "or every segment recomputes all the ones before it")
