"""Mutants and alternatives for Exercise 7.2 (profiling and benchmarks)."""
from grader.mutants import Edit

P95 = "p95=float(np.percentile(s, 95))"
CI = "    low, high = np.percentile(stats, [100 * (1 - level) / 2, 100 * (1 + level) / 2])\n"
RANK = "    ranked = sorted(totals.items(), key=lambda item: -item[1][0])\n"

MUTANTS = [
    # counting by hand
    Edit("tied weights counted twice", find="        seen.setdefault(id(p), p)\n",
         replace="        seen[len(seen)] = p\n"),
    Edit("biases not counted as parameters", find="        seen.setdefault(id(p), p)\n",
         replace="        if len(p.shape) > 1:\n            seen.setdefault(id(p), p)\n"),
    Edit("padding added on one side only",
         find="    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1\n    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1\n",
         replace="    ho = (h + top - dh * (kh - 1) - 1) // sh + 1\n    wo = (w + left - dw * (kw - 1) - 1) // sw + 1\n"),
    Edit("ceil mode: the last partial window counted",
         find="    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1\n    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1\n",
         replace="    ho = -(-(h + top + bottom - dh * (kh - 1) - 1) // sh) + 1\n    wo = -(-(w + left + right - dw * (kw - 1) - 1) // sw) + 1\n"),
    Edit("dilation ignored",
         find="    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1\n    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1\n",
         replace="    ho = (h + top + bottom - (kh - 1) - 1) // sh + 1\n    wo = (w + left + right - (kw - 1) - 1) // sw + 1\n"),
    Edit("4-tuple padding read height first", find="        left, right, top, bottom = padding\n",
         replace="        top, bottom, left, right = padding\n"),
    Edit("a multiply-add counted as 1 FLOP (matmul = M*K*N)", find="            total += 2 * rows * in_f * out_f\n",
         replace="            total += rows * in_f * out_f\n"),
    Edit("Linear bias adds forgotten",
         find="            if count_bias and layer.bias is not None:\n                total += rows * out_f\n", replace=""),
    Edit("bias counted even with count_bias=False",
         find="            if count_bias and layer.bias is not None:\n                total += rows * out_f\n",
         replace="            if layer.bias is not None:\n                total += rows * out_f\n"),
    Edit("Linear rows = batch size only (leading dims beyond the first ignored)",
         find="            rows = math.prod(shape[:-1])\n", replace="            rows = shape[0]\n"),
    Edit("conv FLOPs with all input channels (groups ignored)",
         find="            total += 2 * outputs * c_in_g * kh * kw\n",
         replace="            total += 2 * outputs * shape[1] * kh * kw\n"),
    Edit("conv output size without stride (stride ignored in the FLOP count)",
         find="            ho, wo = conv2d_output_size(h, w, (kh, kw), layer.stride, layer.padding, layer.dilation)\n",
         replace="            ho, wo = conv2d_output_size(h, w, (kh, kw), 1, layer.padding, layer.dilation)\n"),
    Edit("matmul bytes: output only", find="    return 2 * m * k * n, (m * k + k * n + m * n) * itemsize\n",
         replace="    return 2 * m * k * n, m * n * itemsize\n"),
    Edit("matmul bytes: inputs only", find="    return 2 * m * k * n, (m * k + k * n + m * n) * itemsize\n",
         replace="    return 2 * m * k * n, (m * k + k * n) * itemsize\n"),
    # counting what ran
    Edit("counters not reset: earlier work leaks in", find="    GlobalCounters.reset()\n    out = fn()\n",
         replace="    out = fn()\n"),
    Edit("lazy result never realized", find="    if tensors:\n        Tensor.realize(*tensors)\n", replace=""),
    Edit("bytes read from mem_used (allocated memory) instead of global_mem",
         find="                        int(GlobalCounters.global_mem))\n", replace="                        int(GlobalCounters.mem_used))\n"),
    # roofline
    Edit("roofline takes the max of the two roofs",
         find="    out = np.minimum(float(peak_gflops), i * float(bandwidth_gbs))\n",
         replace="    out = np.maximum(float(peak_gflops), i * float(bandwidth_gbs))\n"),
    Edit("knee inverted (bandwidth / peak)", find="    return float(peak_gflops) / float(bandwidth_gbs)\n",
         replace="    return float(bandwidth_gbs) / float(peak_gflops)\n"),
    Edit("the knee itself called memory-bound",
         find='    return "memory" if intensity < ridge_point(peak_gflops, bandwidth_gbs) else "compute"\n',
         replace='    return "memory" if intensity <= ridge_point(peak_gflops, bandwidth_gbs) else "compute"\n'),
    Edit("peak from the mean time, not the best", find="        best = min(best, clock() - t0)\n    return 2 * n ** 3",
         replace="        best = (0 if best == math.inf else best) + (clock() - t0) / repeats\n    return 2 * n ** 3"),
    Edit("peak counts n^3 FLOPs (a multiply-add as one)", find="    return 2 * n ** 3 / max(best, 1e-12) / 1e9\n",
         replace="    return n ** 3 / max(best, 1e-12) / 1e9\n"),
    Edit("bandwidth counts the bytes read only", find="    return 2 * src.nbytes / max(best, 1e-12) / 1e9\n",
         replace="    return src.nbytes / max(best, 1e-12) / 1e9\n"),
    # benchmarks
    Edit("warm-up calls timed and kept in the samples", find="    for _ in range(warmup):\n        fn()\n",
         replace="    for _ in range(warmup):\n        t0 = clock()\n        fn()\n        samples.append(clock() - t0)\n",
         then=Edit("", find="    samples = []\n    for _ in range(repeats):\n", replace="    for _ in range(repeats):\n",
                   then=Edit("", find="    for _ in range(warmup):\n        t0 = clock()\n",
                             replace="    samples = []\n    for _ in range(warmup):\n        t0 = clock()\n"))),
    Edit("sync after the clock stops",
         find="        fn()\n        if sync is not None:\n            sync()\n        samples.append(clock() - t0)\n",
         replace="        fn()\n        samples.append(clock() - t0)\n        if sync is not None:\n            sync()\n"),
    Edit("warm-up calls not synchronized", find="    for _ in range(warmup):\n        fn()\n        if sync is not None:\n            sync()\n",
         replace="    for _ in range(warmup):\n        fn()\n"),
    Edit("p95 as the maximum", find=P95, replace="p95=float(s.max())"),
    Edit("p95 as the nearest-rank sample (no interpolation)", find=P95,
         replace="p95=float(np.sort(s)[max(math.ceil(0.95 * s.size) - 1, 0)])"),
    Edit("p95 as sorted[int(0.95 n)]", find=P95, replace="p95=float(np.sort(s)[min(int(0.95 * s.size), s.size - 1)])"),
    Edit("median of an even count = the upper middle sample", find="median=float(np.median(s))",
         replace="median=float(np.sort(s)[s.size // 2])"),
    Edit("sample standard deviation (ddof=1) instead of ddof=0", find="std=float(s.std())",
         replace="std=float(s.std(ddof=1)) if s.size > 1 else 0.0"),
    Edit("samples returned sorted", find="    s = np.asarray(samples, dtype=np.float64).reshape(-1)\n    if s.size == 0 or",
         replace="    s = np.sort(np.asarray(samples, dtype=np.float64).reshape(-1))\n    if s.size == 0 or"),
    Edit("repeats < 1 not rejected (empty benchmark)", find="    if warmup < 0 or repeats < 1:\n",
         replace="    if warmup < 0:\n"),
    # bootstrap
    Edit("bootstrap resamples without replacement",
         find="    idx = rng.integers(0, s.size, size=(n_resamples, s.size))\n",
         replace="    idx = np.stack([rng.permutation(s.size) for _ in range(n_resamples)])\n"),
    Edit("bootstrap tails at level and 1 - level", find=CI,
         replace="    low, high = np.percentile(stats, [100 * (1 - level), 100 * level])\n"),
    Edit("bootstrap seed ignored", find="    rng = np.random.default_rng(seed)\n    idx = rng.integers",
         replace="    rng = np.random.default_rng()\n    idx = rng.integers"),
    Edit("bootstrap ignores stat (always the median)", find="    stats = np.array([stat(s[row]) for row in idx], dtype=np.float64)\n",
         replace="    stats = np.array([np.median(s[row]) for row in idx], dtype=np.float64)\n"),
    Edit("bootstrap level 1 accepted", find="    if not 0.0 < level < 1.0:\n", replace="    if not 0.0 < level <= 1.0:\n"),
    # DEBUG=2 lines and hotspots
    Edit("every time read as microseconds", find='    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}\n',
         replace='    scale = {"us": 1e-6, "ms": 1e-6, "s": 1e-6}\n'),
    Edit("TFLOPS and TB/s not converted", find='gflops=float(fl) * (1000.0 if fl_unit == "TFLOPS" else 1.0),',
         replace="gflops=float(fl),", then=Edit("", find='gbs=float(bw) * (1000.0 if bw_unit == "TB/s" else 1.0)',
                                                   replace="gbs=float(bw)")),
    Edit("colour codes not stripped", find='        m = _LINE.match(_ANSI.sub("", line).strip())\n',
         replace="        m = _LINE.match(line.strip())\n"),
    Edit("hotspots not aggregated by name", find="        entry = totals.setdefault(r.name, [0.0, 0])\n",
         replace="        entry = totals.setdefault(f\"{r.name}#{r.index}\", [0.0, 0])\n",
         then=Edit("", find="    return [(name, t, calls, t / grand if grand > 0 else 0.0) for name, (t, calls) in ranked[:k]]\n",
                   replace="    return [(name.split('#')[0], t, calls, t / grand if grand > 0 else 0.0) for name, (t, calls) in ranked[:k]]\n")),
    Edit("hotspots shortest first", find=RANK, replace="    ranked = sorted(totals.items(), key=lambda item: item[1][0])\n"),
    Edit("hotspots share of the top k only", find="    return [(name, t, calls, t / grand",
         replace="    grand = sum(v[0] for _, v in ranked[:k])\n    return [(name, t, calls, t / grand"),
    Edit("hotspots ties broken by name", find=RANK,
         replace="    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))\n"),
]

ALTERNATIVES = [
    Edit("count_params over the state dict with numel()",
         find="    seen: dict[int, Tensor] = {}\n    for p in get_parameters(model):\n        seen.setdefault(id(p), p)\n"
              "    return int(sum(math.prod(p.shape) for p in seen.values()))\n",
         replace="    from tinygrad.nn.state import get_state_dict\n"
                 "    unique = {id(t): t for t in get_state_dict(model).values()}\n"
                 "    return sum(t.numel() for t in unique.values())\n"),
    Edit("conv output size with ceiling division written out",
         find="    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1\n    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1\n",
         replace="    eff_h, eff_w = h + top + bottom - dh * (kh - 1), w + left + right - dw * (kw - 1)\n"
                 "    ho = math.ceil(eff_h / sh) if eff_h > 0 else 0\n    wo = math.ceil(eff_w / sw) if eff_w > 0 else 0\n"),
    Edit("conv FLOPs from the output shape tinygrad infers",
         find="            ho, wo = conv2d_output_size(h, w, (kh, kw), layer.stride, layer.padding, layer.dilation)\n",
         replace="            ho, wo = layer(Tensor.empty(*shape)).shape[2:]\n"),
    Edit("p95 interpolated by hand", find=P95,
         replace="p95=(lambda v, pos: float(v[int(pos)] + (pos - int(pos)) * (v[min(int(pos) + 1, v.size - 1)] - v[int(pos)])))"
                 "(np.sort(s), 0.95 * (s.size - 1))"),
    Edit("bootstrap with rng.choice and a statistic along an axis",
         find="    idx = rng.integers(0, s.size, size=(n_resamples, s.size))\n"
              "    stats = np.array([stat(s[row]) for row in idx], dtype=np.float64)\n",
         replace="    draws = rng.choice(s, size=(n_resamples, s.size), replace=True)\n"
                 "    stats = np.apply_along_axis(stat, 1, draws).astype(np.float64)\n"),
    Edit("hotspots with defaultdicts and a stable sort on the total",
         find="    totals: dict[str, list] = {}\n    for r in rows:\n        entry = totals.setdefault(r.name, [0.0, 0])\n"
              "        entry[0] += r.time_s\n        entry[1] += 1\n",
         replace="    from collections import defaultdict\n    tsum, ncalls = defaultdict(float), defaultdict(int)\n"
                 "    for r in rows:\n        tsum[r.name] += r.time_s\n        ncalls[r.name] += 1\n"
                 "    totals = {name: [tsum[name], ncalls[name]] for name in tsum}\n"),
    Edit("benchmark times with consecutive clock readings",
         find="    for _ in range(repeats):\n        t0 = clock()\n        fn()\n        if sync is not None:\n            sync()\n"
              "        samples.append(clock() - t0)\n",
         replace="    t0 = clock()\n    for _ in range(repeats):\n        fn()\n        if sync is not None:\n            sync()\n"
                 "        t1 = clock()\n        samples.append(t1 - t0)\n        t0 = t1\n"),
]
