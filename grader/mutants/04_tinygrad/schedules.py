"""Mutants and alternatives for Exercise 4.4 (schedules and fusion)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("copies counted as kernels", find="    return sum(call.src[0].op is Ops.SINK for call in lin.src)", replace="    return len(lin.src)"),
    Edit("schedule built but never run", find="    lin = t.schedule_linear()\n    run_linear(lin)\n    return sum(",
         replace="    lin = t.schedule_linear()\n    return sum("),
    Edit("sources for every item, copies included (or crashes on them)",
         find="               for call in lin.src if call.src[0].op is Ops.SINK]",
         replace="               for call in lin.src if call.src[0].op is not Ops.COPY or True]"),
    Edit("softmax predicted as one fused kernel", find='        "softmax over rows a.softmax(1)": 3,', replace='        "softmax over rows a.softmax(1)": 1,'),
    Edit("row max broadcast predicted as fused", find='        "row max broadcast back a - a.max(1, keepdim=True)": 2,',
         replace='        "row max broadcast back a - a.max(1, keepdim=True)": 1,'),
    Edit("standardize keeps the forced buffers", find="""    centered = x - x.mean(axis=1, keepdim=True)
    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()""",
         replace="""    centered = (x - x.mean(axis=1, keepdim=True)).contiguous()
    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt().contiguous()"""),
    Edit("standardize with the unbiased variance", find="""    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()""",
         replace="""    return centered * (x.var(axis=1, keepdim=True) + eps).rsqrt()"""),
    Edit("kernel_count memoised per tensor (a second call repeats the first count)",
         find="""    lin = t.schedule_linear()
    run_linear(lin)
    return sum(call.src[0].op is Ops.SINK for call in lin.src)""",
         replace="""    if id(t) in _COUNTS:
        return _COUNTS[id(t)]
    lin = t.schedule_linear()
    run_linear(lin)
    _COUNTS[id(t)] = sum(call.src[0].op is Ops.SINK for call in lin.src)
    return _COUNTS[id(t)]""",
         then=Edit("", find="FUSED_BUDGET = 3   # kernels allowed for standardize_rows", replace="FUSED_BUDGET = 3   # kernels allowed for standardize_rows\n_COUNTS = {}")),
    Edit("eps added after the inverse square root (constant rows give NaN)",
         find="    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()",
         replace="    return centered * (centered.square().mean(axis=1, keepdim=True).rsqrt() + eps)"),
]

ALTERNATIVES = [
    Edit("standardize with E[x^2] - E[x]^2", find="""    centered = x - x.mean(axis=1, keepdim=True)
    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()""",
         replace="""    m = x.mean(axis=1, keepdim=True)
    return (x - m) / ((x * x).mean(axis=1, keepdim=True) - m * m + eps).sqrt()"""),
    Edit("kernel_count via kernel_sources", find="""    lin = t.schedule_linear()
    run_linear(lin)
    return sum(call.src[0].op is Ops.SINK for call in lin.src)""", replace="""    return len(kernel_sources(t))"""),
]
