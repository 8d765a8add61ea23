"""Mutants and alternatives for Exercise 4.6 (devices and the TOY backend)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("interpreter ignores CAST", find="            v[u] = cast(s[0], u.dtype)", replace="            v[u] = s[0]"),
    Edit("range end ignored by one (loops one step too far)", find="            if v[u] >= s[0]:", replace="            if v[u] > s[0]:"),
    Edit("range stops one step early", find="            if v[u] >= s[0]:", replace="            if v[u] >= s[0] - 1:"),
    Edit("gated load ignores its gate", find="            v[u] = s[0][0][s[0][1]].item() if len(s) < 3 or s[2] else s[1]",
         replace="            v[u] = s[0][0][min(s[0][1], len(s[0][0]) - 1)].item()"),
    Edit("ALU results not cast to the result dtype", find="            v[u] = cast(ALU[u.op](*s), u.dtype)", replace="            v[u] = ALU[u.op](*s)"),
    Edit("float ALU results kept in float64 (only int results cast)",
         find="            v[u] = cast(ALU[u.op](*s), u.dtype)",
         replace="            r = ALU[u.op](*s)\n"
                 "            v[u] = r if dtypes.is_float(u.dtype) else cast(r, u.dtype)"),
    Edit("CDIV and CMOD with Python's floor // and %", find="        elif u.op in ALU:\n",
         replace="        elif u.op in (Ops.CDIV, Ops.CMOD):\n"
                 "            r = s[0] // s[1] if u.op is Ops.CDIV else s[0] % s[1]\n"
                 "            v[u] = cast(r if s[1] else 0, u.dtype)\n"
                 "        elif u.op in ALU:\n"),
    Edit("int CAST with int() alone (no wrap-around)", find="            v[u] = cast(s[0], u.dtype)",
         replace="            v[u] = int(s[0]) if dtypes.is_int(u.dtype) else cast(s[0], u.dtype)"),
    Edit("BITCAST converted like a CAST", find="            v[u] = bitcast(s[0], u.src[0].dtype, u.dtype)",
         replace="            v[u] = cast(s[0], u.dtype)"),
    Edit("compare_devices keeps only the last device", find="        out[dev] = (result, best)", replace="        out = {dev: (result, best)}"),
    Edit("compare_devices reports the last run's time, not the best", find="            best = min(best, time.perf_counter() - start)",
         replace="            best = time.perf_counter() - start"),
    Edit("compare_devices reports the mean time", find="            best = min(best, time.perf_counter() - start)\n        out[dev] = (result, best)",
         replace="            best = (0.0 if best == math.inf else best) + (time.perf_counter() - start) / repeats\n        out[dev] = (result, best)"),
    Edit("compare_devices times building the lazy Tensor, realizes it outside the timer",
         find="            result = fn(dev).numpy()\n            best = min(best, time.perf_counter() - start)",
         replace="            t = fn(dev)\n"
                 "            best = min(best, time.perf_counter() - start)\n"
                 "            result = t.numpy()"),
    Edit("compare_devices timed with process_time (CPU time of this process, not wall time)",
         find="""            start = time.perf_counter()
            result = fn(dev).numpy()
            best = min(best, time.perf_counter() - start)""", replace="""            start = time.process_time()
            result = fn(dev).numpy()
            best = min(best, time.process_time() - start)"""),
    Edit("compare_devices reports milliseconds", find="            best = min(best, time.perf_counter() - start)",
         replace="            best = min(best, (time.perf_counter() - start) * 1000)"),
    Edit("gated load tests its gate against None (a False gate still loads)",
         find="            v[u] = s[0][0][s[0][1]].item() if len(s) < 3 or s[2] else s[1]",
         replace="            v[u] = s[0][0][s[0][1]].item() if len(s) < 3 or s[2] is not None else s[1]"),
    Edit("compare_devices runs each device once, whatever repeats says", find="        for _ in range(repeats):", replace="        for _ in range(1):"),
]

ALTERNATIVES = [
    Edit("loop state kept in a separate counter dict", find="""            v[u] = 0 if u not in v else v[u] + 1
            if v[u] >= s[0]:
                del v[u]
                i = end_of[u] + 1
                continue""", replace="""            if u in v:
                v[u] += 1
            else:
                v[u] = 0
            if not v[u] < s[0]:
                v.pop(u)
                i = end_of[u] + 1
                continue"""),
    Edit("compare_devices keeps every time and takes the minimum", find="""        best, result = math.inf, None
        for _ in range(repeats):
            start = time.perf_counter()
            result = fn(dev).numpy()
            best = min(best, time.perf_counter() - start)
        out[dev] = (result, best)""", replace="""        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = fn(dev).numpy()
            times.append(time.perf_counter() - start)
        out[dev] = (result, min(times))"""),
    Edit("float results rounded through np.float32, other dtypes through cast",
         find="            v[u] = cast(ALU[u.op](*s), u.dtype)",
         replace="            r = ALU[u.op](*s)\n"
                 "            f32 = u.dtype == dtypes.float32\n"
                 "            v[u] = float(np.array(r, np.float32)) if f32 else cast(r, u.dtype)"),
    Edit("compare_devices timed with perf_counter_ns", find="""            start = time.perf_counter()
            result = fn(dev).numpy()
            best = min(best, time.perf_counter() - start)""", replace="""            start = time.perf_counter_ns()
            result = fn(dev).numpy()
            best = min(best, (time.perf_counter_ns() - start) / 1e9)"""),
]
