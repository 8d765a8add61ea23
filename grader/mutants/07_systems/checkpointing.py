"""Mutants and alternatives for Exercise 7.3 (gradient checkpointing, peak memory)."""
from grader.mutants import Edit

FORWARD = "        inputs.append(seg(inputs[-1]).detach().realize())\n"
BACKWARD = """    for seg in reversed(segments):
        h = inputs.pop()
        params = list(seg.params)
        g, *dparams = seg(h).gradient(h, *params, gradient=g)
        Tensor.realize(g, *dparams)
        grads = dparams + grads
    return loss, g, grads
"""
VJP = "        g, *dparams = seg(h).gradient(h, *params, gradient=g)\n"
HOOK = """        out = original(self, *args, **kwargs)
        peak = max(peak, GlobalCounters.mem_used)
        return out
"""
RESTORE = """    Buffer.allocate = allocate
    try:
        result = fn()
    finally:
        Buffer.allocate = original
"""
SPLIT = """    size, extra = divmod(L, k)
    out, start = [], 0
    for j in range(k):
        stop = start + size + (1 if j < extra else 0)
        out.append(Segment(layers[start:stop]))
        start = stop
    return out
"""

MUTANTS = [
    # checkpointing that stores what it should recompute
    Edit("calls plain backprop (the whole graph is kept)", find=BACKWARD,
         replace="    return plain_grads(segments, x, loss_fn)\n"),
    Edit("whole forward graph kept (outputs not realized) and differentiated at once",
         find=FORWARD, replace="        inputs.append(seg(inputs[-1]))\n",
         then=Edit("", find=BACKWARD, replace="""    params = parameters(segments)
    dx, *grads = loss.gradient(x, *params)
    Tensor.realize(dx, *grads)
    return loss, dx, grads
""")),
    Edit("gradients realized only at the end: one backward graph over all segments",
         find="        Tensor.realize(g, *dparams)\n        grads = dparams + grads\n    return loss, g, grads\n",
         replace="        grads = dparams + grads\n    Tensor.realize(g, *grads)\n    return loss, g, grads\n"),
    # recomputation with the wrong gradient
    Edit("incoming gradient not chained (ones)", find=VJP,
         replace="        g, *dparams = seg(h).gradient(h, *params, gradient=g.ones_like())\n"),
    Edit("incoming gradient not chained (sum of the output)", find=VJP,
         replace="        g, *dparams = seg(h).sum().gradient(h, *params)\n"),
    Edit("first segment's parameters dropped", find="    for seg in reversed(segments):\n",
         replace="    for seg in reversed(segments[1:]):\n"),
    Edit("parameter gradients collected in reverse segment order",
         find="        grads = dparams + grads\n", replace="        grads = grads + dparams\n"),
    Edit("backward recomputes from the segment's output, not its input",
         find="    out = inputs.pop()\n", replace="    out = inputs[-1]\n"),
    Edit("loss of the recomputation only: the loss of the last segment is dropped",
         find="    (g,) = loss.gradient(out)\n", replace="    g = out.ones_like() / out.numel()\n"),
    # segment()
    Edit("remainder given to the last segments (smaller ones first)",
         find="        stop = start + size + (1 if j < extra else 0)\n",
         replace="        stop = start + size + (1 if j >= k - extra else 0)\n"),
    Edit("ceil-sized chunks (fewer or uneven segments)", find=SPLIT,
         replace="""    size = -(-L // k)
    return [Segment(layers[i:i + size]) for i in range(0, L, size)]
"""),
    Edit("k > L allowed (empty segments)", find="    if not 1 <= k <= L:\n", replace="    if k < 1:\n"),
    Edit("k < 1 not checked", find="    if not 1 <= k <= L:\n", replace="    if k > L:\n"),
    # sqrt_segments
    Edit("sqrt_segments rounds down", find="    return max(1, round(math.sqrt(num_layers)))\n",
         replace="    return max(1, int(math.sqrt(num_layers)))\n"),
    Edit("sqrt_segments rounds up", find="    return max(1, round(math.sqrt(num_layers)))\n",
         replace="    return max(1, math.ceil(math.sqrt(num_layers)))\n"),
    Edit("sqrt_segments accepts 0 layers", find="    if num_layers < 1:\n", replace="    if num_layers < 0:\n"),
    # peak_memory
    Edit("peak_memory: hook not restored when fn raises", find=RESTORE,
         replace="    Buffer.allocate = allocate\n    result = fn()\n    Buffer.allocate = original\n"),
    Edit("peak_memory: hook never restored", find=RESTORE,
         replace="    Buffer.allocate = allocate\n    result = fn()\n"),
    Edit("peak_memory: absolute mem_used, not above the start",
         find="    return result, int(peak - start)\n", replace="    return result, int(peak)\n"),
    Edit("peak_memory: final memory instead of the peak",
         find="    return result, int(peak - start)\n",
         replace="    return result, int(GlobalCounters.mem_used - start)\n"),
    Edit("peak_memory: reads mem_used before the allocation", find=HOOK,
         replace="""        peak = max(peak, GlobalCounters.mem_used)
        return original(self, *args, **kwargs)
"""),
    Edit("peak_memory: largest single buffer instead of memory in use", find=HOOK,
         replace="""        out = original(self, *args, **kwargs)
        peak = max(peak, start + self.nbytes)
        return out
"""),
    Edit("saved segment inputs left lazy (each segment recomputes every one before it)",
         find="        inputs.append(seg(inputs[-1]).detach().realize())",
         replace="        inputs.append(seg(inputs[-1]).detach())"),
    Edit("backward() per segment, .grad read without clearing (gradients pile up across calls)", find=VJP,
         replace="        seg(h).backward(g)\n        g, dparams = h.grad, [p.grad for p in params]\n"),
    Edit("peak_memory: peak starts at 0 instead of the memory in use (negative when nothing is allocated)",
         find="    peak = start\n", replace="    peak = 0\n"),
    Edit("loss left lazy: only the first gradient realized (the loss reads the target later)",
         find="    Tensor.realize(loss, g)\n", replace="    g.realize()\n"),
    Edit("incoming gradient left lazy between segments (each segment recomputes the later ones)",
         find="        Tensor.realize(g, *dparams)\n", replace="        Tensor.realize(*dparams)\n"),
    Edit("caller's list of segments reversed in place for the backward pass",
         find="    for seg in reversed(segments):\n", replace="    segments.reverse()\n    for seg in segments:\n"),
    Edit("backward pops the segments off the caller's list",
         find="    for seg in reversed(segments):\n", replace="    while segments:\n        seg = segments.pop()\n"),
    Edit("peak_memory: start and peak in module globals (a nested call resets the outer one)",
         find="""    original = Buffer.allocate
    start = GlobalCounters.mem_used
    peak = start

    def allocate(self, *args, **kwargs):
        nonlocal peak
""" + HOOK, replace="""    global _PEAK
    original = Buffer.allocate
    start = GlobalCounters.mem_used
    _PEAK = start

    def allocate(self, *args, **kwargs):
        global _PEAK
        out = original(self, *args, **kwargs)
        _PEAK = max(_PEAK, GlobalCounters.mem_used)
        return out
""", then=Edit("", find="    return result, int(peak - start)\n", replace="    return result, int(_PEAK - start)\n")),
    Edit("peak_memory: restores the Buffer.allocate captured at import, not the one it replaced",
         find="    original = Buffer.allocate\n    start", replace="    original = _ORIGINAL\n    start",
         then=Edit("", find="def segment(layers", replace="_ORIGINAL = Buffer.allocate\n\n\ndef segment(layers")),
    Edit("peak_memory: wrapper takes only self (an upload's Buffer.allocate(opaque) fails)",
         find="""    def allocate(self, *args, **kwargs):
        nonlocal peak
        out = original(self, *args, **kwargs)""", replace="""    def allocate(self):
        nonlocal peak
        out = original(self)"""),
    Edit("peak_memory: adds up the bytes of every allocation (frees ignored)",
         find="        peak = max(peak, GlobalCounters.mem_used)\n", replace="        peak += self.nbytes\n"),
]

ALTERNATIVES = [
    Edit("backward() per segment with the parameters' .grad cleared first", find=VJP,
         replace="        for p in params:\n            p.grad = None\n"
                 "        seg(h).backward(g)\n        g, dparams = h.grad, [p.grad for p in params]\n"),
    Edit("backward by recursion over the segments", find=BACKWARD,
         replace="""    def back(j, g):
        if j < 0:
            return g, []
        h, inputs[j] = inputs[j], None
        params = list(seg_list[j].params)
        g, *dparams = seg_list[j](h).gradient(h, *params, gradient=g)
        Tensor.realize(g, *dparams)
        del h                                  # a frame that keeps its input keeps its memory
        dx, rest = back(j - 1, g)
        return dx, rest + dparams
    seg_list = list(segments)
    dx, grads = back(len(seg_list) - 1, g)
    return loss, dx, grads
"""),
    Edit("segment inputs kept as NumPy copies", find=FORWARD,
         replace="        inputs.append(seg(Tensor(inputs[-1]) if len(inputs) > 1 else inputs[-1]).numpy())\n",
         then=Edit("", find="    out = inputs.pop()\n", replace="    out = Tensor(inputs.pop())\n",
                   then=Edit("", find="        h = inputs.pop()\n",
                             replace="        h = inputs.pop()\n        h = Tensor(h).realize() if len(inputs) else h\n"))),
    Edit("segment outputs realized but not detached", find=FORWARD,
         replace="        inputs.append(seg(inputs[-1]).realize())\n"),
    Edit("segment sizes from a list and running boundaries", find=SPLIT,
         replace="""    sizes = [L // k + (j < L % k) for j in range(k)]
    bounds = [sum(sizes[:j]) for j in range(k + 1)]
    return [Segment(layers[a:b]) for a, b in zip(bounds, bounds[1:])]
"""),
    Edit("sqrt_segments as the first k minimising k + L/k", find="    return max(1, round(math.sqrt(num_layers)))\n",
         replace="    return min(range(1, num_layers + 1), key=lambda k: (k + num_layers / k, k))\n"),
    Edit("segment by drawing from an iterator", find=SPLIT,
         replace="""    it = iter(layers)
    return [Segment([next(it) for _ in range(L // k + (j < L % k))]) for j in range(k)]
"""),
    Edit("backward over segment indices, inputs read by index", find=BACKWARD,
         replace="""    for j in range(len(segments) - 1, -1, -1):
        h, inputs[j] = inputs[j], None
        seg = segments[j]
        g, *dparams = seg(h).gradient(h, *seg.params, gradient=g)
        Tensor.realize(g, *dparams)
        grads[:0] = dparams
    return loss, g, grads
"""),
    Edit("sqrt_segments by int(sqrt + 0.5)", find="    return max(1, round(math.sqrt(num_layers)))\n",
         replace="    return max(1, int(math.sqrt(num_layers) + 0.5))\n"),
    Edit("peak_memory with setattr and a list cell", find="""    original = Buffer.allocate
    start = GlobalCounters.mem_used
    peak = start

    def allocate(self, *args, **kwargs):
        nonlocal peak
""" + HOOK + "\n" + RESTORE + "    return result, int(peak - start)\n",
         replace="""    original = Buffer.allocate
    cell = [GlobalCounters.mem_used, GlobalCounters.mem_used]

    def allocate(*args, **kwargs):
        out = original(*args, **kwargs)
        cell[1] = max(cell[1], GlobalCounters.mem_used)
        return out

    setattr(Buffer, "allocate", allocate)
    try:
        result = fn()
    finally:
        setattr(Buffer, "allocate", original)
    return result, cell[1] - cell[0]
"""),
]
