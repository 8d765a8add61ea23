"""Mutants and alternatives for Exercise 4.4 (schedules and fusion)."""
from grader.mutants import Edit

STANDARDIZE = """    centered = x - x.mean(axis=1, keepdim=True)
    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()"""

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
    Edit("standardize_rows realizes its result (nothing lazy left to schedule)", find=STANDARDIZE,
         replace="""    centered = x - x.mean(axis=1, keepdim=True)
    return (centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()).realize()"""),
    Edit("standardize_rows computed in NumPy and uploaded", find=STANDARDIZE,
         replace="""    import numpy as np
    xn = x.numpy()
    c = xn - xn.mean(axis=1, keepdims=True)
    return Tensor(c / np.sqrt((c * c).mean(axis=1, keepdims=True) + eps))"""),
    Edit("kernel sources listed last kernel first", find="    return sources\n", replace="    return sources[::-1]\n"),
    Edit("kernel_count from GlobalCounters around realize() (copies counted)",
         find="""    lin = t.schedule_linear()
    run_linear(lin)
    return sum(call.src[0].op is Ops.SINK for call in lin.src)""",
         replace="""    from tinygrad import GlobalCounters
    GlobalCounters.reset()
    t.realize()
    return GlobalCounters.kernel_count"""),
    Edit("two sums predicted as one kernel per reduction plus the add",
         find='        "two sums added a.sum() + b.sum()": 1,',
         replace='        "two sums added a.sum() + b.sum()": 3,'),
    Edit("kernel sources as str() of the lowered program (its UOp, not the C code)",
         find="    sources = [next(s.arg for s in to_program(call.src[0], renderer).src if s.op is Ops.SOURCE)",
         replace="    sources = [str(to_program(call.src[0], renderer))"),
    Edit("kernel_count counts distinct kernel ASTs (two identical kernels count once)",
         find="    return sum(call.src[0].op is Ops.SINK for call in lin.src)",
         replace="    return len({call.src[0] for call in lin.src if call.src[0].op is Ops.SINK})"),
    Edit("kernel_sources drops repeated source strings", find="    return sources\n",
         replace="    return list(dict.fromkeys(sources))\n"),
    Edit("kernel_count as the number of distinct sources",
         find="""    lin = t.schedule_linear()
    run_linear(lin)
    return sum(call.src[0].op is Ops.SINK for call in lin.src)""",
         replace="""    return len(set(kernel_sources(t)))"""),
    Edit("eps added to the standard deviation, outside the square root", find=STANDARDIZE,
         replace="""    centered = x - x.mean(axis=1, keepdim=True)
    return centered / (centered.square().mean(axis=1, keepdim=True).sqrt() + eps)"""),
    Edit("eps argument ignored (the default always used)",
         find="(centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()",
         replace="(centered.square().mean(axis=1, keepdim=True) + 1e-5).rsqrt()"),
]

ALTERNATIVES = [
    Edit("standardize with E[x^2] - E[x]^2", find="""    centered = x - x.mean(axis=1, keepdim=True)
    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()""",
         replace="""    m = x.mean(axis=1, keepdim=True)
    return (x - m) / ((x * x).mean(axis=1, keepdim=True) - m * m + eps).sqrt()"""),
    Edit("kernel_count via kernel_sources", find="""    lin = t.schedule_linear()
    run_linear(lin)
    return sum(call.src[0].op is Ops.SINK for call in lin.src)""", replace="""    return len(kernel_sources(t))"""),
    Edit("standardize with Tensor.layernorm", find=STANDARDIZE, replace="    return x.layernorm(axis=1, eps=eps)"),
    Edit("standardize with var(correction=0) and a division", find=STANDARDIZE,
         replace="""    mean = x.mean(axis=1, keepdim=True)
    return (x - mean) / (x.var(axis=1, keepdim=True, correction=0) + eps).sqrt()"""),
    Edit("kernel sources rendered after the schedule ran", find="""    renderer = Device[Device.DEFAULT].renderer
    sources = [""", replace="""    run_linear(lin)
    renderer = Device[Device.DEFAULT].renderer
    sources = [""", then=Edit("", find="""    run_linear(lin)
    return sources""", replace="""    return sources""")),
    Edit("standardize with only the row mean forced into a buffer (3 kernels, within budget)", find=STANDARDIZE,
         replace="""    centered = x - x.mean(axis=1, keepdim=True).contiguous()
    return centered * (centered.square().mean(axis=1, keepdim=True) + eps).rsqrt()"""),
    Edit("standardize with sums divided by n and a power -0.5", find=STANDARDIZE,
         replace="""    n = x.shape[1]
    centered = x - x.sum(axis=1, keepdim=True) / n
    return centered * ((centered * centered).sum(axis=1, keepdim=True) / n + eps) ** -0.5"""),
]
