"""Mutants and alternatives for Exercise 6.8 (deploy)."""
from grader.mutants import Edit

ONNX_NODES = """    w = check_weights(deployable_weights(model))
    k = w["fc.weight"].shape[0]
    nodes = []
    source = INPUT_NAME
    for i in (1, 2):
        nodes += [helper.make_node("Conv", [source, f"conv{i}.weight", f"conv{i}.bias"], [f"conv{i}"], kernel_shape=[5, 5]),
                  helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]),"""

# BatchNormalization nodes with the raw convolution weights instead of folding
BN_NODES = """    raw = {}
    for i in (1, 2):
        conv, bn = getattr(model, f"conv{i}"), getattr(model, f"bn{i}")
        for name, t in (("weight", conv.weight), ("bias", conv.bias)):
            raw[f"conv{i}.{name}"] = t.numpy()
        for name in ("weight", "bias", "running_mean", "running_var"):
            raw[f"bn{i}.{name}"] = getattr(bn, name).numpy()
    raw["fc.weight"], raw["fc.bias"] = model.fc.weight.numpy(), model.fc.bias.numpy()
    w = raw
    k = w["fc.weight"].shape[0]
    nodes = []
    source = INPUT_NAME
    for i in (1, 2):
        bn = getattr(model, f"bn{i}")
        nodes += [helper.make_node("Conv", [source, f"conv{i}.weight", f"conv{i}.bias"], [f"conv{i}"], kernel_shape=[5, 5]),
                  helper.make_node("BatchNormalization", [f"conv{i}", f"bn{i}.weight", f"bn{i}.bias", f"bn{i}.running_mean",
                                                          f"bn{i}.running_var"], [f"bn{i}"], epsilon=float(bn.eps)),
                  helper.make_node("Relu", [f"bn{i}"], [f"relu{i}"]),"""
INITIALIZERS = "        [numpy_helper.from_array(w[name], name) for name in WEIGHT_NAMES])"
RAW_INITIALIZERS = "        [numpy_helper.from_array(value.astype(np.float32), name) for name, value in w.items()])"

RELU_POOL = '        h = max_pool2d_numpy(np.maximum(conv2d_numpy(h, w[f"conv{k}.weight"], w[f"conv{k}.bias"]), 0.0))'
WARMUP_LOOP = "    for _ in range(warmup):\n        fn()\n"

MUTANTS = [
    Edit("BatchNorm folded without eps", find="np.sqrt(np.asarray(var, np.float64) + eps)",
         replace="np.sqrt(np.asarray(var, np.float64))"),
    Edit("BatchNorm folded with the default eps 1e-5 instead of the layer's",
         find="bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps)",
         replace="bn.running_mean.numpy(), bn.running_var.numpy(), 1e-5)"),
    Edit("folded bias forgets to scale the mean",
         find="b = (np.asarray(bias, np.float64) - np.asarray(mean, np.float64)) * scale + np.asarray(beta, np.float64)",
         replace="b = np.asarray(bias, np.float64) * scale - np.asarray(mean, np.float64) + np.asarray(beta, np.float64)"),
    Edit("BatchNorm folded with fresh statistics (mean 0, variance 1) instead of the running ones",
         find="bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps)",
         replace="np.zeros(bn.running_mean.shape), np.ones(bn.running_var.shape), bn.eps)"),
    Edit("ONNX BatchNormalization nodes in training mode (batch statistics)", find=ONNX_NODES,
         replace=BN_NODES.replace("epsilon=float(bn.eps))", "epsilon=float(bn.eps), training_mode=1)"),
         then=Edit("", find=INITIALIZERS, replace=RAW_INITIALIZERS)),
    Edit("ONNX input declared NHWC", find="[BATCH_DIM, *IMAGE_SHAPE]", replace="[BATCH_DIM, 28, 28, 1]"),
    Edit("ONNX input with a fixed batch of 1", find="[BATCH_DIM, *IMAGE_SHAPE]", replace="[1, *IMAGE_SHAPE]"),
    Edit("ONNX Gemm weight reshaped instead of transposed", find="transB=1)", replace="transB=0)",
         then=Edit("", find=INITIALIZERS,
                   replace="        [numpy_helper.from_array(w[name].reshape(w[name].shape[::-1]) if name == \"fc.weight\" "
                           "else w[name], name) for name in WEIGHT_NAMES])")),
    Edit("ONNX graph without the opset pinned (the newest opset and IR version)",
         find="proto = helper.make_model(graph, opset_imports=[helper.make_opsetid(\"\", OPSET)],\n"
              "                              ir_version=IR_VERSION, producer_name=\"gradschool\")",
         replace="proto = helper.make_model(graph, producer_name=\"gradschool\")"),
    Edit("safetensors loaded as float32 whatever was saved",
         find="t.to(\"CPU\").numpy() for name", replace="t.to(\"CPU\").float().numpy() for name"),
    Edit("safetensors saved in float16 to halve the file",
         find='Tensor(np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")))',
         replace="Tensor(np.ascontiguousarray(value.astype(np.float16) if value.dtype.kind == \"f\" else value))"),
    Edit("convolution flips the kernel (true convolution, not cross-correlation)",
         find="out = (cols @ weight.reshape(o, -1).T)", replace="out = (cols @ weight[:, :, ::-1, ::-1].reshape(o, -1).T)"),
    Edit("padding ignored", find="padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))",
         replace="padded = x\n    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1"),
    Edit("pooling by reshape: the stride is taken to be the window",
         find="    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :ho, :wo]\n"
              "    return windows.max(axis=(4, 5))",
         replace="    ho, wo = x.shape[2] // kernel, x.shape[3] // kernel\n"
                 "    return x[:, :, :ho * kernel, :wo * kernel].reshape(*x.shape[:2], ho, kernel, wo, kernel).max(axis=(3, 5))"),
    Edit("features flattened in (H, W, C) order", find="return (h.reshape(len(h), -1) @",
         replace="return (h.transpose(0, 2, 3, 1).reshape(len(h), -1) @"),
    Edit("INT8 with one scale for the whole tensor", find="amax = np.abs(flat).max(axis=1)",
         replace="amax = np.full(len(flat), np.abs(flat).max())"),
    Edit("INT8 truncates instead of rounding", find="np.round(flat / scale[:, None])", replace="np.trunc(flat / scale[:, None])"),
    Edit("INT8 scale max / 128 (the range of int8 taken as symmetric)", find="amax / 127.0", replace="amax / 128.0"),
    Edit("percentile by linear interpolation", find="return ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1]",
         replace="return float(np.percentile(ordered, q))"),
    Edit("percentile rank rounded down", find="math.ceil(q * len(ordered) / 100)", replace="int(q * len(ordered) / 100)"),
    Edit("warm-up calls timed with the others", find=WARMUP_LOOP, replace="",
         then=Edit("", find="    for _ in range(repeats):\n        start = clock()",
                   replace="    for _ in range(warmup + repeats):\n        start = clock()")),
    Edit("latency as the loop's total divided by the number of calls",
         find="    timings = []\n    for _ in range(repeats):\n        start = clock()\n        fn()\n"
              "        timings.append((clock() - start) * 1000.0)",
         replace="    start = clock()\n    for _ in range(repeats):\n        fn()\n"
                 "    timings = [(clock() - start) * 1000.0 / repeats] * repeats"),
    Edit("report shows accuracy as a fraction", find="f\"{100 * acc:.2f}%\"", replace="f\"{acc:.4f}\""),
    Edit("report: every cell left-aligned (numbers too)",
         find="        lines.append(line(c.ljust(w) if i < 2 else c.rjust(w)",
         replace="        lines.append(line(c.ljust(w)"),
    Edit("report: only the text cells are checked against their widths",
         find="        for cell, width in zip(cells, REPORT_WIDTHS):\n            if len(cell) > width:",
         replace="        for cell, width in zip(cells[:2], REPORT_WIDTHS):\n            if len(cell) > width:"),
    Edit("report: a size of 0 shown as '-' (tested by truthiness)",
         find="""                 "-" if row["size_bytes"] is None else f"{row['size_bytes'] / 1024:.1f}",""",
         replace="""                 "-" if not row["size_bytes"] else f"{row['size_bytes'] / 1024:.1f}","""),
    Edit("report: a latency of 0.0 shown as '-' (tested by truthiness)",
         find='                 *("-" if row[key] is None else f"{row[key]:.3f}" for key in ("p50_ms", "p95_ms"))]',
         replace='                 *("-" if not row[key] else f"{row[key]:.3f}" '
                 'for key in ("p50_ms", "p95_ms"))]'),
    Edit("report: the weights label is not checked against its width",
         find="""        for cell, width in zip(cells, REPORT_WIDTHS):
            if len(cell) > width:""",
         replace="""        for cell, width in zip(cells[:1] + cells[2:], REPORT_WIDTHS[:1] + REPORT_WIDTHS[2:]):
            if len(cell) > width:"""),
    Edit("safetensors: names not validated (an empty or non-string name is written)",
         find="        if not isinstance(name, str) or not name or value.dtype.kind not in \"biuf\":",
         replace="        if value.dtype.kind not in \"biuf\":"),
    Edit("fold scales the caller's weight in place",
         find="    w = np.asarray(weight, np.float64) * scale[:, None, None, None]\n",
         replace="    weight *= scale[:, None, None, None].astype(weight.dtype)\n"
                 "    w = np.asarray(weight, np.float64)\n"),
    Edit("ONNX output given a generic name instead of OUTPUT_NAME",
         find="[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, k])]",
         replace='[helper.make_tensor_value_info("output", TensorProto.FLOAT, [BATCH_DIM, k])]',
         then=Edit("", find='["features", "fc.weight", "fc.bias"], [OUTPUT_NAME]',
                   replace='["features", "fc.weight", "fc.bias"], ["output"]')),
    Edit("ONNX output declared with a fixed batch of 1 (the input's stays symbolic)",
         find="[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, k])]",
         replace="[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, k])]"),
    Edit("ONNX file written even when no path is given (a file named 'None')",
         find="    if path is not None:\n        onnx.save(proto, str(path))\n",
         replace="    onnx.save(proto, str(path))\n"),
    Edit("report: separator of dashes without the column pipes",
         find='             "|" + "|".join("-" * (width + 2) for width in REPORT_WIDTHS) + "|"]',
         replace='             "|" + "-" * (sum(REPORT_WIDTHS) + 3 * len(REPORT_WIDTHS) - 1) + "|"]'),
    Edit("safetensors: only string arrays rejected (object arrays reach the writer)",
         find='        if not isinstance(name, str) or not name or value.dtype.kind not in "biuf":',
         replace='        if not isinstance(name, str) or not name or value.dtype.kind in "US":'),
    Edit("latency: timings sorted in place for the percentiles (call order lost)",
         find='    return {"timings_ms": timings, "p50_ms"',
         replace='    timings.sort()\n    return {"timings_ms": timings, "p50_ms"'),
    Edit("convolution bias added without the channel axes (broadcast along the width)",
         find="        out = out + np.asarray(bias, np.float32)[None, :, None, None]",
         replace="        out = out + np.asarray(bias, np.float32)"),
    Edit("BatchNorm folded with eps added to the standard deviation",
         find="np.sqrt(np.asarray(var, np.float64) + eps)",
         replace="(np.sqrt(np.asarray(var, np.float64)) + eps)"),
    Edit("safetensors bytes in the array's own byte order (a big-endian array is written big-endian)",
         find='np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))', replace="np.ascontiguousarray(value)"),
]

ALTERNATIVES = [
    Edit("numpy_forward pools before the ReLU (max and ReLU commute)",
         find=RELU_POOL,
         replace='        h = np.maximum(max_pool2d_numpy(conv2d_numpy(h, w[f"conv{k}.weight"], '
                 'w[f"conv{k}.bias"])), 0.0)'),
    Edit("percentile through np.percentile(method='inverted_cdf')",
         find="    ordered = sorted(float(v) for v in values)\n"
              "    return ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1]",
         replace="    return float(np.percentile(np.asarray(values, np.float64), q, method='inverted_cdf'))"),
    Edit("fold computed in float32",
         find="    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(var, np.float64) + eps)",
         replace="    scale = np.asarray(gamma, np.float32) / np.sqrt(np.asarray(var, np.float32) + np.float32(eps))"),
    Edit("latency with one clock reading between consecutive calls",
         find="""    for _ in range(repeats):
        start = clock()
        fn()
        timings.append((clock() - start) * 1000.0)""",
         replace="""    start = clock()
    for _ in range(repeats):
        fn()
        end = clock()
        timings.append((end - start) * 1000.0)
        start = end"""),
    Edit("ONNX with BatchNormalization nodes in inference mode instead of folding", find=ONNX_NODES, replace=BN_NODES,
         then=Edit("", find=INITIALIZERS, replace=RAW_INITIALIZERS)),
    Edit("ONNX head as Reshape, MatMul with the transposed weight, and Add",
         find="""    nodes += [helper.make_node("Flatten", [source], ["features"], axis=1),
              helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], [OUTPUT_NAME], transB=1)]""",
         replace="""    w["fc.weight"] = np.ascontiguousarray(w["fc.weight"].T)
    w["shape"] = np.array([-1, w["fc.weight"].shape[0]], np.int64)
    nodes += [helper.make_node("Reshape", [source, "shape"], ["features"]),
              helper.make_node("MatMul", ["features", "fc.weight"], ["scores"]),
              helper.make_node("Add", ["scores", "fc.bias"], [OUTPUT_NAME])]""",
         then=Edit("", find=INITIALIZERS, replace="        [numpy_helper.from_array(value, name) for name, value in w.items()])")),
    Edit("safetensors written and read by hand (struct, json, np.frombuffer)",
         find='''        tensors[name] = Tensor(np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")))  # the file's order
    safe_save(tensors, str(path))''',
         replace="""        tensors[name] = np.ascontiguousarray(value)
    import json, struct
    codes = {"float32": "F32", "float16": "F16", "float64": "F64", "int8": "I8", "uint8": "U8", "int32": "I32", "int64": "I64"}
    header, offset = {}, 0
    for name, value in tensors.items():
        header[name] = {"dtype": codes[value.dtype.name], "shape": list(value.shape), "data_offsets": [offset, offset + value.nbytes]}
        offset += value.nbytes
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(v.astype(v.dtype.newbyteorder("<")).tobytes() for v in tensors.values()))""",
         then=Edit("", find="    return {name: t.to(\"CPU\").numpy() for name, t in safe_load(str(path)).items()}",
                   replace="""    import json, struct
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    types = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I8": "i1", "U8": "u1", "I32": "<i4", "I64": "<i8"}
    out = {}
    for name, e in json.loads(raw[8:8 + n]).items():
        if name != "__metadata__":
            a, b = e["data_offsets"]
            out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], types[e["dtype"]]).reshape(e["shape"]).copy()
    return out""")),
    Edit("report: accuracy through the percent format spec", find="f\"{100 * acc:.2f}%\"", replace="f\"{acc:.2%}\""),
    Edit("pooling by reshape when the stride equals the window, windows otherwise",
         find="    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))"
              "[:, :, ::stride, ::stride][:, :, :ho, :wo]\n",
         replace="""    if stride == kernel:
        cut = x[:, :, :ho * kernel, :wo * kernel].reshape(*x.shape[:2], ho, kernel, wo, kernel)
        return cut.max(axis=(3, 5))
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :ho, :wo]
"""),
    Edit("INT8 by np.rint, clipped to the full int8 range",
         find="        q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8)",
         replace="        q = np.clip(np.rint(flat / scale[:, None]), -128, 127).astype(np.int8)"),
    Edit("convolution as an einsum over the windows",
         find="    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)\n"
              "    out = (cols @ weight.reshape(o, -1).T).reshape(n, ho, wo, o).transpose(0, 3, 1, 2)",
         replace="    out = np.einsum(\"nchwij,ocij->nohw\", windows, weight)"),
    Edit("percentile with np.sort and an integer rank",
         find="    ordered = sorted(float(v) for v in values)\n    return ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1]",
         replace="    ordered = np.sort(np.asarray(values, dtype=np.float64))\n"
                 "    rank = -(-int(round(q * len(ordered))) // 100)\n    return float(ordered[max(rank, 1) - 1])"),
]
