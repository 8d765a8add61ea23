"""Mutants and alternatives for Exercise 7.4 (data-parallel training)."""
from grader.mutants import Edit

REDUCE = """    home = tensors[0].device
    total = tensors[0] * w[0]
    for t, wk in zip(tensors[1:], w[1:]):
        total = total + t.to(home) * wk                 # gather and reduce on the first device
    total = total.contiguous().realize()
    out = [total] + [total.to(t.device).contiguous() for t in tensors[1:]]   # broadcast
    if n > 1:
        Tensor.realize(*out[1:])
    return out
"""
LAYOUT = """    layout: list[list[int]] = []
    used = 0
    for i, size in enumerate(sizes):
        nbytes = size * itemsize
        if layout and used + nbytes <= bucket_bytes:
            layout[-1].append(i)
            used += nbytes
        else:
            layout.append([i])
            used = nbytes
"""
BUCKETS = """    for bucket in layout:
        flat = [Tensor.cat(*[gs[i].flatten() for i in bucket]) if len(bucket) > 1 else gs[bucket[0]].flatten()
                for gs in grads]
        summed = allreduce_mean(flat, weights)
        for k, s in enumerate(summed):
            offset = 0
            for i in bucket:
                reduced[k][i] = s[offset:offset + sizes[i]].reshape(shapes[i])
                offset += sizes[i]
"""
OPT = "        self.opt = SGD(self.params[0], lr=lr, momentum=momentum)\n"
UPDATE = """        for p, g in zip(self.params[0], reduced[0]):
            p.grad = g
        with Context(TRAINING=1):
            self.opt.step()
        for params in self.params[1:]:
            for p, p0 in zip(params, self.params[0]):
                p.assign(p0.to(p.device))
        Tensor.realize(*[p for ps in self.params[1:] for p in ps])
"""
LOSS = "                total_loss += loss.item() * int(xm.shape[0]) / batch\n"
MICRO = """            grads = None
            for xm, ym in shard_batch(xs, ys, micro_batches):
                frac = int(xm.shape[0]) / n_k
                loss = self.loss_fn(model(xm), ym)
                g = loss.gradient(*params)
                grads = [gi * frac for gi in g] if grads is None else [a + gi * frac for a, gi in zip(grads, g)]
                Tensor.realize(loss, *grads)
"""

# micro-batch gradients accumulated by backward() into .grad
THROUGH_GRAD = """\
            for xm, ym in shard_batch(xs, ys, micro_batches):
                frac = int(xm.shape[0]) / n_k
                loss = self.loss_fn(model(xm), ym)
                (loss * frac).backward()
                Tensor.realize(loss, *[p.grad for p in params])
                total_loss += loss.item() * int(xm.shape[0]) / batch
            grads = [p.grad for p in params]
"""

MUTANTS = [
    # the all-reduce
    Edit("all-reduce sums without averaging", find=REDUCE,
         replace=REDUCE.replace("    total = tensors[0] * w[0]\n", "    total = tensors[0]\n")
                       .replace("t.to(home) * wk", "t.to(home)")),
    Edit("weights ignored: the plain mean of the shard means", find=REDUCE,
         replace="    w = [1.0 / n] * n\n" + REDUCE),
    Edit("the reduced value stays on the first device", find=REDUCE,
         replace=REDUCE.replace("[total.to(t.device).contiguous() for t in tensors[1:]]",
                                "[total for t in tensors[1:]]")),
    Edit("no broadcast: the other devices keep their own tensor", find=REDUCE,
         replace=REDUCE.replace("[total.to(t.device).contiguous() for t in tensors[1:]]",
                                "[t.contiguous() for t in tensors[1:]]")),
    Edit("all-reduce checks shapes but not dtypes",
         find="    if any(t.shape != shape or t.dtype != dtype for t in tensors):\n",
         replace="    if any(t.shape != shape for t in tensors):\n"),
    Edit("weights summing to 1 only within 1e-2 accepted", find="abs(sum(w) - 1.0) > 1e-6",
         replace="abs(sum(w) - 1.0) > 1e-2"),
    Edit("trainer reduces with default weights (wrong for uneven shards)",
         find="            reduced = [allreduce_mean(gs, weights) for gs in zip(*local_grads)]",
         replace="            reduced = [allreduce_mean(gs) for gs in zip(*local_grads)]"),
    Edit("bucketed path in the trainer drops the weights",
         find="            reduced, _ = bucketed_allreduce(local_grads, self.bucket_bytes, weights)\n",
         replace="            reduced, _ = bucketed_allreduce(local_grads, self.bucket_bytes)\n"),
    Edit("optimizer fed replica 0's local gradient (no all-reduce used)",
         find="        for p, g in zip(self.params[0], reduced[0]):\n",
         replace="        for p, g in zip(self.params[0], local_grads[0]):\n"),
    Edit("weights must add up to exactly 1.0 (float sums like 0.7 + 0.2 + 0.1 refused)",
         find="abs(sum(w) - 1.0) > 1e-6", replace="sum(w) != 1.0"),
    Edit("all-reduce compares sizes, not shapes",
         find="    if any(t.shape != shape or t.dtype != dtype for t in tensors):\n",
         replace="    if any(t.numel() != tensors[0].numel() or t.dtype != dtype for t in tensors):\n"),
    Edit("bucketed all-reduce compares sizes, not shapes",
         find="    if any([g.shape for g in gs] != shapes for gs in grads):\n",
         replace="    if any([g.numel() for g in gs] != [g.numel() for g in grads[0]] for gs in grads):\n"),
    Edit("all-reduce accumulates in float32 and never casts back (float16 in, float32 out)", find=REDUCE,
         replace=REDUCE.replace("    total = tensors[0] * w[0]\n", "    total = tensors[0].float() * w[0]\n")
                       .replace("t.to(home) * wk", "t.to(home).float() * wk")),
    Edit("learning rate scaled by the number of devices", find=OPT,
         replace="        self.opt = SGD(self.params[0], lr=lr * len(self.devices), momentum=momentum)\n"),
    Edit("SGD rebuilt every step (the momentum buffers are lost)",
         find="        with Context(TRAINING=1):\n            self.opt.step()\n",
         replace="        self.opt = SGD(self.params[0], lr=self.lr, momentum=self.momentum)\n"
                 "        with Context(TRAINING=1):\n            self.opt.step()\n"),
    Edit("loss: micro-batches of a shard averaged unweighted", find=LOSS,
         replace="                total_loss += loss.item() / micro_batches * n_k / batch\n"),
    Edit("backward() into .grad, never cleared between steps (gradients pile up)", find=MICRO + LOSS, replace=THROUGH_GRAD),
    # drifting replicas
    Edit("weights never broadcast after the step: replicas drift", find=UPDATE,
         replace=UPDATE.split("        for params in self.params[1:]:\n")[0]),
    Edit("each replica steps its own optimizer with its local gradient", find=OPT,
         replace="        self.opts = [SGD(ps, lr=lr, momentum=momentum) for ps in self.params]\n",
         then=Edit("", find=UPDATE, replace="""        for params, grads in zip(self.params, local_grads):
            for p, g in zip(params, grads):
                p.grad = g
        with Context(TRAINING=1):
            for opt in self.opts:
                opt.step()
""")),
    Edit("weights broadcast before the step (the others lag one step behind)", find=UPDATE,
         replace="""        for params in self.params[1:]:
            for p, p0 in zip(params, self.params[0]):
                p.assign(p0.to(p.device))
        Tensor.realize(*[p for ps in self.params[1:] for p in ps])
        for p, g in zip(self.params[0], reduced[0]):
            p.grad = g
        with Context(TRAINING=1):
            self.opt.step()
"""),
    Edit("replicas keep their own initial weights", find="                p.replace(p0.to(dev).contiguous())\n",
         replace="                p.replace(p.to(dev).contiguous())\n"),
    # the loss
    Edit("loss read after the update", find="        local_grads, total_loss = [], 0.0\n",
         replace="        local_grads, total_loss, pending = [], 0.0, []\n",
         then=Edit("", find="                Tensor.realize(loss, *grads)\n" + LOSS,
                   replace="                Tensor.realize(*grads)\n"
                           "                pending.append((loss, int(xm.shape[0]) / batch))\n",
                   then=Edit("", find="        return float(total_loss)\n",
                             replace="        return float(sum(l.item() * f for l, f in pending))\n"))),
    Edit("loss: unweighted mean over replicas and micro-batches", find=LOSS,
         replace="                total_loss += loss.item() / len(self.devices) / micro_batches\n"),
    # micro-batches
    Edit("micro-batch gradients summed, not weighted", find="                frac = int(xm.shape[0]) / n_k\n",
         replace="                frac = 1.0\n"),
    Edit("micro-batches weighted 1/m whatever their size", find="                frac = int(xm.shape[0]) / n_k\n",
         replace="                frac = 1.0 / micro_batches\n"),
    Edit("only the last micro-batch's gradient kept", find=MICRO,
         replace=MICRO.replace("[gi * frac for gi in g] if grads is None else "
                               "[a + gi * frac for a, gi in zip(grads, g)]", "[gi for gi in g]")),
    Edit("micro_batches ignored (one pass per shard)",
         find="            for xm, ym in shard_batch(xs, ys, micro_batches):\n",
         replace="            for xm, ym in shard_batch(xs, ys, 1):\n"),
    # sharding
    Edit("the remainder rows all go to the last shard", find="        stop = start + q + (1 if k < r else 0)\n",
         replace="        stop = start + q + (r if k == n - 1 else 0)\n"),
    Edit("the larger shards at the end", find="        stop = start + q + (1 if k < r else 0)\n",
         replace="        stop = start + q + (1 if k >= n - r else 0)\n"),
    Edit("remainder rows dropped", find="        stop = start + q + (1 if k < r else 0)\n",
         replace="        stop = start + q\n"),
    Edit("strided shards (rows k, k + n, ...)", find="        shards.append((x[start:stop], y[start:stop]))\n",
         replace="        shards.append((x[k::n], y[k::n]))\n"),
    Edit("no error for a batch smaller than n", find="    if batch < n:\n", replace="    if batch < 0:\n"),
    # buckets
    Edit("bucket closed at bucket_bytes exclusive (< instead of <=)",
         find="        if layout and used + nbytes <= bucket_bytes:\n",
         replace="        if layout and used + nbytes < bucket_bytes:\n"),
    Edit("bucket closed only once it overflows", find="        if layout and used + nbytes <= bucket_bytes:\n",
         replace="        if layout and used < bucket_bytes:\n"),
    Edit("last bucket never flushed", find=LAYOUT, replace="""    layout: list[list[int]] = []
    current, used = [], 0
    for i, size in enumerate(sizes):
        nbytes = size * itemsize
        if current and used + nbytes > bucket_bytes:
            layout.append(current)
            current, used = [], 0
        current.append(i)
        used += nbytes
"""),
    Edit("gradients bucketed largest first (reordered)", find="    for i, size in enumerate(sizes):\n",
         replace="    for i, size in sorted(enumerate(sizes), key=lambda t: -t[1]):\n"),
    Edit("bucket sizes assume float32 (itemsize 4 whatever the dtype)",
         find="    itemsize = grads[0][0].dtype.itemsize if sizes else 4\n", replace="    itemsize = 4\n"),
    Edit("replicas with different numbers of gradients accepted (zip truncates)",
         find="    if any([g.shape for g in gs] != shapes for gs in grads):\n",
         replace="    if any(g.shape != s for gs in grads for g, s in zip(gs, shapes)):\n"),
    Edit("gradients of mixed dtypes accepted in the buckets",
         find="    if len({g.dtype for gs in grads for g in gs}) > 1:\n        raise ValueError(\"all gradients must share one dtype\")\n",
         replace=""),
    Edit("unflatten without advancing the offset", find="                offset += sizes[i]\n", replace=""),
    Edit("buckets computed but every gradient reduced alone", find=BUCKETS, replace="""    for bucket in layout:
        for i in bucket:
            summed = allreduce_mean([gs[i] for gs in grads], weights)
            for k, s in enumerate(summed):
                reduced[k][i] = s
"""),
]

ALTERNATIVES = [
    Edit("ring all-reduce: reduce-scatter of n chunks, then all-gather", find=REDUCE, replace="""    flat = [t.flatten() * wk for t, wk in zip(tensors, w)]
    size = int(flat[0].shape[0])
    bounds = [size * c // n for c in range(n + 1)]
    reduced = []
    for c in range(n):                      # chunk c travels the ring and ends reduced on device c
        start = (c + 1) % n
        acc = flat[start][bounds[c]:bounds[c + 1]]
        for hop in range(1, n):
            k = (start + hop) % n
            acc = acc.to(tensors[k].device) + flat[k][bounds[c]:bounds[c + 1]]
        reduced.append(acc.contiguous().realize())
    out = []
    for t in tensors:                       # all-gather: every device collects every chunk
        parts = [r.to(t.device) for r in reduced if int(r.shape[0]) > 0]
        whole = Tensor.cat(*parts) if len(parts) > 1 else parts[0]
        out.append(whole.reshape(shape).contiguous())
    Tensor.realize(*out)
    return out
"""),
    Edit("all-reduce by stacking on the first device, float32 accumulation cast back", find=REDUCE, replace="""\
    home = tensors[0].device
    stacked = Tensor.stack(*[t.to(home).float() for t in tensors])
    scale = Tensor(w, device=home).reshape(n, *([1] * len(shape)))
    total = (stacked * scale).sum(axis=0).cast(dtype).contiguous().realize()
    out = [total] + [total.to(t.device).contiguous() for t in tensors[1:]]
    Tensor.realize(*out)
    return out
"""),
    Edit("broadcast by replacing the other replicas' tensors", find=UPDATE, replace="""\
        for p, g in zip(self.params[0], reduced[0]):
            p.grad = g
        with Context(TRAINING=1):
            self.opt.step()
        for params in self.params[1:]:
            for p, p0 in zip(params, self.params[0]):
                p.replace(p0.to(p.device).contiguous())
        Tensor.realize(*[p for ps in self.params[1:] for p in ps])
"""),
    Edit("one optimizer per replica, all stepping with the reduced gradient", find=OPT,
         replace="        self.opts = [SGD(ps, lr=lr, momentum=momentum) for ps in self.params]\n",
         then=Edit("", find=UPDATE, replace="""        for params, grads in zip(self.params, reduced):
            for p, g in zip(params, grads):
                p.grad = g
        with Context(TRAINING=1):
            for opt in self.opts:
                opt.step()
        Tensor.realize(*[p for ps in self.params for p in ps])
""")),
    Edit("bucket layout built by flushing a current bucket", find=LAYOUT, replace="""    layout: list[list[int]] = []
    current, used = [], 0
    for i, size in enumerate(sizes):
        nbytes = size * itemsize
        if current and used + nbytes > bucket_bytes:
            layout.append(current)
            current, used = [], 0
        current.append(i)
        used += nbytes
    if current:
        layout.append(current)
"""),
    Edit("micro-batch gradients through backward() and .grad", find=MICRO + LOSS,
         replace="            for p in params:\n                p.grad = None\n" + THROUGH_GRAD, then=Edit("", find="            local_grads.append(grads)\n",
               replace="            local_grads.append(grads)\n"
                       "            for p in params:\n                p.grad = None\n")),
    Edit("shards cut by Tensor.split with the array_split sizes", find="""    q, r = divmod(batch, n)
    shards, start = [], 0
    for k in range(n):
        stop = start + q + (1 if k < r else 0)
        shards.append((x[start:stop], y[start:stop]))
        start = stop
    return shards
""", replace="""    sizes = [batch // n + (1 if k < batch % n else 0) for k in range(n)]
    return list(zip(x.split(sizes), y.split(sizes)))
"""),
    Edit("shard bounds from cumulative sizes", find="""    q, r = divmod(batch, n)
    shards, start = [], 0
    for k in range(n):
        stop = start + q + (1 if k < r else 0)
        shards.append((x[start:stop], y[start:stop]))
        start = stop
    return shards
""", replace="""    bounds = [k * (batch // n) + min(k, batch % n) for k in range(n + 1)]
    return [(x[a:b], y[a:b]) for a, b in zip(bounds, bounds[1:])]
"""),
]
