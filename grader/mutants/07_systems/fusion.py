"""Mutants and alternatives for Exercise 7.1 (kernel fusion)."""
from grader.mutants import Edit

SM = """    e = (x - x.max(axis=-1, keepdim=True)).exp()
    return e / e.sum(axis=-1, keepdim=True)"""
LN = """    centered = x - x.mean(axis=-1, keepdim=True)
    inv = (centered.square().mean(axis=-1, keepdim=True) + eps).rsqrt()
    return centered * inv * w + b"""
MLP = "    return (x @ W1 + b1).gelu() @ W2 + b2"
ATT = """    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]))
    return softmax(mask.where(scores, float("-inf")))"""
TRAIN = """    hidden = (x @ W1 + b1).gelu().contiguous()
    return hidden @ W2 + b2"""
COUNT = "    kernels = sum(call.src[0].op is Ops.SINK for call in lin.src)"

MUTANTS = [
    # schedule_stats
    Edit("copies counted as kernels", find=COUNT, replace="    kernels = len(lin.src)"),
    Edit("schedule counted but never run", find="    run_linear(lin)\n    return {",
         replace="    return {"),
    Edit("schedule cache left on (a schedule cached under the defaults is reused)",
         find="    with Context(SPLIT_REDUCEOP=0, SCACHE=0):\n        lin",
         replace="    with Context(SPLIT_REDUCEOP=0):\n        lin"),
    Edit("SPLIT_REDUCEOP left at its default",
         find="    with Context(SPLIT_REDUCEOP=0, SCACHE=0):", replace="    with Context(SCACHE=0):"),
    Edit("only the first output scheduled", find="        lin = outs[0].schedule_linear(*outs[1:])",
         replace="        lin = outs[0].schedule_linear()"),
    Edit("inputs not realized first (their uploads counted)",
         find="    if inputs:\n        Tensor.realize(*inputs)\n", replace=""),
    Edit("counters reset before the inputs are realized",
         find="    if inputs:\n        Tensor.realize(*inputs)\n",
         replace="    GlobalCounters.reset()\n    if inputs:\n        Tensor.realize(*inputs)\n",
         then=Edit("", find="    GlobalCounters.reset()\n    run_linear(lin)", replace="    run_linear(lin)")),
    # softmax
    Edit("softmax without the max shift", find=SM,
         replace="    e = x.exp()\n    return e / e.sum(axis=-1, keepdim=True)"),
    Edit("softmax with the exponentials forced into a buffer", find=SM,
         replace="    e = (x - x.max(axis=-1, keepdim=True)).exp().contiguous()\n"
                 "    return e / e.sum(axis=-1, keepdim=True)"),
    Edit("softmax realizes the exponentials while building the graph", find=SM,
         replace="    e = (x - x.max(axis=-1, keepdim=True)).exp().realize()\n"
                 "    return e / e.sum(axis=-1, keepdim=True)"),
    Edit("softmax shifted by the global max", find=SM,
         replace="    e = (x - x.max()).exp()\n    return e / e.sum(axis=-1, keepdim=True)"),
    # layer norm
    Edit("layer norm with the unbiased variance", find=LN,
         replace="    centered = x - x.mean(axis=-1, keepdim=True)\n"
                 "    inv = (x.var(axis=-1, keepdim=True) + eps).rsqrt()\n    return centered * inv * w + b"),
    Edit("layer norm with eps outside the square root", find=LN,
         replace="    centered = x - x.mean(axis=-1, keepdim=True)\n"
                 "    inv = 1 / (centered.square().mean(axis=-1, keepdim=True).sqrt() + eps)\n"
                 "    return centered * inv * w + b"),
    Edit("layer norm variance as mean(x^2) - mean^2", find=LN,
         replace="    mean = x.mean(axis=-1, keepdim=True)\n"
                 "    inv = ((x * x).mean(axis=-1, keepdim=True) - mean * mean + eps).rsqrt()\n"
                 "    return (x - mean) * inv * w + b"),
    Edit("layer norm with the centred values in a buffer", find=LN,
         replace="    centered = (x - x.mean(axis=-1, keepdim=True)).contiguous()\n"
                 "    inv = (centered.square().mean(axis=-1, keepdim=True) + eps).rsqrt()\n"
                 "    return centered * inv * w + b"),
    Edit("layer norm adds b before scaling by w", find="    return centered * inv * w + b",
         replace="    return (centered * inv + b) * w"),
    # GELU MLP
    Edit("GELU MLP with the exact erf GELU", find=MLP,
         replace='    return (x @ W1 + b1).gelu(approximate="none") @ W2 + b2'),
    Edit("GELU MLP with the sigmoid approximation", find=MLP,
         replace="    h = x @ W1 + b1\n    return (h * (1.702 * h).sigmoid()) @ W2 + b2"),
    Edit("GELU MLP through the step-by-step GELU", find=MLP,
         replace="    return gelu_unfused(x @ W1 + b1) @ W2 + b2"),
    Edit("GELU MLP adds b1 after the GELU", find=MLP, replace="    return ((x @ W1).gelu() + b1) @ W2 + b2"),
    # attention scores
    Edit("attention mask applied after the softmax", find=ATT,
         replace="    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]))\n"
                 "    return mask.where(softmax(scores), 0.0)"),
    Edit("attention scaled by 1/d", find="    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]))",
         replace="    scores = q @ k.transpose(-2, -1) * (1 / q.shape[-1])"),
    Edit("attention masks with 0 instead of -inf", find='    return softmax(mask.where(scores, float("-inf")))',
         replace="    return softmax(mask.where(scores, 0.0))"),
    Edit("attention through the unfused softmax", find='    return softmax(mask.where(scores, float("-inf")))',
         replace='    return softmax_unfused(mask.where(scores, float("-inf")))'),
    # the training block
    Edit("training block left fully fused", find=TRAIN, replace="    return (x @ W1 + b1).gelu() @ W2 + b2"),
    Edit("training block stores the pre-activation, not the GELU", find=TRAIN,
         replace="    return (x @ W1 + b1).contiguous().gelu() @ W2 + b2"),
    Edit("training block stores only the GELU's gradient", find=TRAIN,
         replace="    return (x @ W1 + b1).gelu().contiguous_backward() @ W2 + b2"),
    Edit("training block detaches the stored activation", find=TRAIN,
         replace="    hidden = (x @ W1 + b1).gelu().contiguous().detach()\n    return hidden @ W2 + b2"),
    Edit("schedule_stats treats a list of outputs as one output",
         find="    outs = list(out) if isinstance(out, (tuple, list)) else [out]\n",
         replace="    outs = list(out) if isinstance(out, tuple) else [out]\n"),
    Edit("attention scaled by 1/sqrt(Tk) instead of 1/sqrt(d)", find=ATT.splitlines()[0],
         replace="    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(k.shape[-2]))"),
    Edit("schedule_stats schedules and counts each output on its own (shared work counted twice)",
         find="""    with Context(SPLIT_REDUCEOP=0, SCACHE=0):
        lin = outs[0].schedule_linear(*outs[1:])
    kernels = sum(call.src[0].op is Ops.SINK for call in lin.src)
    GlobalCounters.reset()
    run_linear(lin)
""", replace="""    with Context(SPLIT_REDUCEOP=0, SCACHE=0):
        lins = [o.schedule_linear() for o in outs]
    kernels = sum(call.src[0].op is Ops.SINK for lin in lins for call in lin.src)
    GlobalCounters.reset()
    for lin in lins:
        run_linear(lin)
"""),
    Edit("schedule_stats realizes the outputs instead of running the counted schedule",
         find="    GlobalCounters.reset()\n    run_linear(lin)\n",
         replace="    GlobalCounters.reset()\n    Tensor.realize(*outs)\n"),
    Edit("softmax computed in float16 and cast back", find=SM,
         replace="""    h = x.half()
    e = (h - h.max(axis=-1, keepdim=True)).exp()
    return (e / e.sum(axis=-1, keepdim=True)).float()"""),
    Edit("training block realizes the activation (the gradient path to W1 is cut)", find=TRAIN,
         replace="    hidden = (x @ W1 + b1).gelu().realize()\n    return hidden @ W2 + b2"),
    Edit("attention assumes 4-D (B, H, T, d) inputs: transpose(2, 3) and shape[3]", find=ATT.splitlines()[0],
         replace="    scores = q @ k.transpose(2, 3) * (1 / math.sqrt(q.shape[3]))"),
]

ALTERNATIVES = [
    Edit("gelu_mlp stores its activation (two kernels still)", find="    return (x @ W1 + b1).gelu() @ W2 + b2",
         replace="    return (x @ W1 + b1).gelu().contiguous() @ W2 + b2"),
    Edit("softmax with exp2 and a log2(e) factor", find="    e = (x - x.max(axis=-1, keepdim=True)).exp()\n",
         replace="    e = ((x - x.max(axis=-1, keepdim=True)) * (1 / math.log(2))).exp2()\n"),
    Edit("softmax through logsumexp", find=SM, replace="    return (x - x.logsumexp(axis=-1, keepdim=True)).exp()"),
    Edit("tinygrad's own softmax and layernorm", find=SM, replace="    return x.softmax(axis=-1)",
         then=Edit("", find=LN, replace="    return x.layernorm(axis=-1, eps=eps) * w + b")),
    Edit("layer norm through Tensor.var(correction=0)", find=LN,
         replace="    inv = (x.var(axis=-1, keepdim=True, correction=0) + eps).rsqrt()\n"
                 "    return (x - x.mean(axis=-1, keepdim=True)) * inv * w + b"),
    Edit("schedule_stats: counters reset first, inputs realized inside the settings", find="""    if inputs:
        Tensor.realize(*inputs)
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    with Context(SPLIT_REDUCEOP=0, SCACHE=0):
        lin = outs[0].schedule_linear(*outs[1:])
    kernels = sum(call.src[0].op is Ops.SINK for call in lin.src)
    GlobalCounters.reset()
    run_linear(lin)
""", replace="""    with Context(SPLIT_REDUCEOP=0, SCACHE=0):
        for t in inputs:
            t.realize()
        out = fn(*inputs)
        outs = [out] if isinstance(out, Tensor) else list(out)
        lin = Tensor.schedule_linear(*outs)
        kernels = len([call for call in lin.src if call.src[0].op == Ops.SINK])
        GlobalCounters.reset()
        run_linear(lin)
"""),
    Edit("GELU written out", find=MLP,
         replace="    h = x @ W1 + b1\n"
                 "    g = 0.5 * h * (1 + (math.sqrt(2 / math.pi) * (h + 0.044715 * h * h * h)).tanh())\n"
                 "    return g @ W2 + b2"),
    Edit("attention: q scaled first, mask fill -1e9, tinygrad's softmax", find=ATT,
         replace="    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)\n"
                 "    return mask.where(scores, -1e9).softmax(-1)"),
    Edit("attention by matmul, the scale from k's last axis, applied after the mask", find=ATT,
         replace="""    scores = mask.where(q.matmul(k.transpose(-1, -2)), float("-inf")) / math.sqrt(k.shape[-1])
    return softmax(scores)"""),
    Edit("tanh GELU through its sigmoid identity 0.5 (1 + tanh z) = sigmoid(2 z)", find=MLP,
         replace="    h = x @ W1 + b1\n"
                 "    return h * (2 * math.sqrt(2 / math.pi) * (h + 0.044715 * h * h * h)).sigmoid() @ W2 + b2"),
    Edit("training block stores values and gradients", find=TRAIN,
         replace="    h = (x.contiguous() @ W1 + b1).contiguous_backward()\n"
                 "    hidden = h.gelu().contiguous().contiguous_backward()\n    return hidden @ W2 + b2"),
]
