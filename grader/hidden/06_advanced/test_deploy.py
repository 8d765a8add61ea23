"""Hidden checks for Exercise 6.8 (deploy): BatchNorm folding against its formula; the ONNX file
through onnx.checker and onnxruntime against the stand-in network's inference logits (a float64
NumPy forward with unfolded BatchNorm); safetensors through a reader written here; the NumPy runtime
against float64 NumPy conv, pooling and that network (tinygrad refused inside it); INT8 scales per
channel; percentiles and latency with a fake clock; the report's shape."""
import functools
import json
import math
import struct

import numpy as np
import onnx
import onnxruntime as ort
from tinygrad import Context, Tensor, nn

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import conv2d, max_pool2d
from grader.hidden.probes import refuse_calls
from grader.target import exercise

mine = exercise("6.8")

CHANNELS, BATCH, EPS2 = (3, 4), 7, 1e-2     # bn2 gets an eps of its own: it must be read from the layer
NUMPY_ONLY = "the NumPy runtime may not use tinygrad"
TINYGRAD = ["__init__", "conv2d", "max_pool2d", "numpy", "realize"]


class StandIn:
    """The module contract of 5.2's MnistCNN (conv1, bn1, conv2, bn2, fc) with small channels."""

    def __init__(self, rng):
        c1, c2 = CHANNELS
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 5), nn.BatchNorm(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 5), nn.BatchNorm(c2, eps=EPS2)
        self.fc = nn.Linear(16 * c2, 10)
        self.values, self.tensors = {}, []
        for layer, spread in ((self.conv1, 0.4), (self.conv2, 0.2), (self.fc, 0.2)):
            for attr in ("weight", "bias"):
                self._set(layer, attr, rng.normal(0.0, spread, getattr(layer, attr).shape))
        for bn in (self.bn1, self.bn2):       # statistics far from (0, 1); small variances make eps matter
            c = bn.weight.shape[0]
            for attr, value in (("weight", rng.uniform(0.5, 2.0, c)), ("bias", rng.normal(0.0, 0.3, c)),
                                ("running_mean", rng.normal(0.0, 0.5, c)), ("running_var", rng.uniform(0.01, 0.05, c))):
                self._set(bn, attr, value)
        Tensor.realize(*self.tensors)         # one schedule for all weights, not one per learner's .numpy()

    def _set(self, layer, attr, value):
        value = np.asarray(value, np.float32)
        self.tensors.append(Tensor(value))     # NumPy weights: no random-init kernels to compile
        setattr(layer, attr, self.tensors[-1])
        self.values[f"{self.name_of(layer)}.{attr}"] = value

    def name_of(self, layer):
        return next(name for name in ("conv1", "bn1", "conv2", "bn2", "fc") if getattr(self, name, None) is layer)

    def __call__(self, x: Tensor) -> Tensor:
        x = self.bn1(self.conv1(x)).relu().max_pool2d(2)
        x = self.bn2(self.conv2(x)).relu().max_pool2d(2)
        return self.fc(x.flatten(1))


def _oracle_fold(v: dict) -> dict[str, np.ndarray]:
    out = {}
    for k, eps in ((1, 1e-5), (2, EPS2)):
        s = v[f"bn{k}.weight"].astype(np.float64) / np.sqrt(v[f"bn{k}.running_var"].astype(np.float64) + eps)
        out[f"conv{k}.weight"] = (v[f"conv{k}.weight"] * s[:, None, None, None]).astype(np.float32)
        out[f"conv{k}.bias"] = ((v[f"conv{k}.bias"] - v[f"bn{k}.running_mean"]) * s + v[f"bn{k}.bias"]).astype(np.float32)
    out["fc.weight"], out["fc.bias"] = v["fc.weight"], v["fc.bias"]
    return out


def _np_logits(v: dict, x) -> np.ndarray:
    """StandIn's inference forward in float64: BatchNorm unfolded, with the running statistics and each eps."""
    h = x
    for k, eps in ((1, 1e-5), (2, EPS2)):
        z = conv2d(h, v[f"conv{k}.weight"], v[f"conv{k}.bias"].astype(np.float64))
        c = lambda name: v[f"bn{k}.{name}"].astype(np.float64)[None, :, None, None]
        z = (z - c("running_mean")) / np.sqrt(c("running_var") + eps) * c("weight") + c("bias")
        h = max_pool2d(np.maximum(z, 0.0))
    return h.reshape(len(h), -1) @ v["fc.weight"].T.astype(np.float64) + v["fc.bias"]


@functools.cache
def _setup():
    """One model, one batch of BATCH images and its inference logits (a NumPy float64 oracle, computed once)."""
    rng = np.random.default_rng(68)
    model = StandIn(rng)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    return model, x, _np_logits(model.values, x).astype(np.float32)


# ---------------------------------------------------------------- BatchNorm folding

def test_fold_batchnorm_matches_the_formula():
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(5, 3, 3, 3)).astype(np.float32), rng.normal(size=5).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2.0, 5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    mean, var = rng.normal(size=5).astype(np.float32), rng.uniform(0.001, 0.01, 5).astype(np.float32)
    copies = [a.copy() for a in (w, b, gamma, beta, mean, var)]
    got_w, got_b = mine.fold_batchnorm(w, b, gamma, beta, mean, var, 3e-3)
    s = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + 3e-3)
    assert_matches(got_w, (w * s[:, None, None, None]).astype(np.float32), rtol=1e-5, atol=1e-6,
                   what="folded weight of 5 output channels (var of order 1e-3, eps 3e-3)")
    assert_matches(got_b, ((b - mean) * s + beta).astype(np.float32), rtol=1e-5, atol=1e-6,
                   what="folded bias of 5 output channels")
    for before, after in zip(copies, (w, b, gamma, beta, mean, var)):
        assert_matches(after, before, rtol=0, atol=0, what="an input of fold_batchnorm after the call (must not change)")


def test_deployable_weights_use_running_statistics_and_each_eps():
    model, _, _ = _setup()
    with Context(TRAINING=1):                   # whatever mode the caller is in: the inference network
        got = mine.deployable_weights(model)
    if not isinstance(got, dict) or sorted(got) != sorted(mine.WEIGHT_NAMES):
        raise Mismatch(f"deployable_weights must return a dict with the names {mine.WEIGHT_NAMES}")
    want = _oracle_fold(model.values)
    for name in mine.WEIGHT_NAMES:
        assert_matches(got[name], want[name], rtol=1e-5, atol=1e-6,
                       what=f"{name} of the deployable weights (bn2.eps = {EPS2}, running variances 0.01..0.05)")
    for name in ("bn1.running_mean", "bn2.running_var", "conv1.weight"):
        layer, attr = name.split(".")
        assert_matches(getattr(getattr(model, layer), attr).numpy(), model.values[name], rtol=0, atol=0,
                       what=f"model.{name} after deployable_weights (must not change)")


# ---------------------------------------------------------------- ONNX

def test_onnx_file_passes_the_checker_and_matches_the_network_for_several_batch_sizes(tmp_path, monkeypatch):
    model, x, logits = _setup()
    path = tmp_path / "model.onnx"
    proto = mine.export_onnx(model, path)
    if not isinstance(proto, onnx.ModelProto) or not path.exists():
        raise Mismatch("export_onnx must return an onnx.ModelProto and write the file it is given")
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    opsets = {o.domain: o.version for o in loaded.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) != mine.OPSET:
        raise Mismatch(f"the model declares opsets {opsets}; expected the default domain at {mine.OPSET}")
    inputs = [i for i in loaded.graph.input if i.name not in {t.name for t in loaded.graph.initializer}]
    if len(inputs) != 1 or inputs[0].name != mine.INPUT_NAME:
        raise Mismatch(f"the graph must have one input named {mine.INPUT_NAME!r}")
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 4 or not dims[0].dim_param or dims[0].HasField("dim_value"):
        raise Mismatch("the input's first (batch) dimension must be symbolic (a dim_param)")
    if [d.dim_value for d in dims[1:]] != [1, 28, 28]:
        raise Mismatch("the input must be NCHW: (batch, 1, 28, 28)")
    outputs = list(loaded.graph.output)
    if len(outputs) != 1 or outputs[0].name != mine.OUTPUT_NAME:
        raise Mismatch(f"the graph must have one output named {mine.OUTPUT_NAME!r} (a consumer asks for it by name)")
    dims = outputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or not dims[0].dim_param or dims[0].HasField("dim_value") or dims[1].dim_value != 10:
        raise Mismatch("the output must be declared (batch, K) with a symbolic batch dimension, like the input")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (BATCH, 1, 2):
        got = session.run(None, {mine.INPUT_NAME: x[:n]})[0]
        assert_matches(got, logits[:n], rtol=1e-4, atol=1e-4,
                       what=f"onnxruntime logits for a batch of {n} (the network's inference logits)")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if not isinstance(mine.export_onnx(model), onnx.ModelProto) or any(elsewhere.iterdir()):
        raise Mismatch("export_onnx(model) without a path must return the ModelProto and write no file")


# ---------------------------------------------------------------- safetensors

def _read_safetensors(path) -> dict[str, np.ndarray]:
    """A reader of the format written from its specification (header length, JSON header, bytes)."""
    raw = open(path, "rb").read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    types = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I8": "i1", "U8": "u1", "I32": "<i4", "I64": "<i8"}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        out[name] = np.frombuffer(raw[8 + length + start:8 + length + end], dtype=types[entry["dtype"]]).reshape(entry["shape"])
    return out


def test_safetensors_round_trip_is_bit_exact(tmp_path):
    rng = np.random.default_rng(3)
    special = np.array([0.0, -0.0, 1e-42, -np.inf, np.inf, np.nan, 3.4e38, -1.0], np.float32)
    special = np.concatenate([special, np.array([0x7FC01234], np.uint32).view(np.float32)])   # a NaN payload
    arrays = {"conv.weight": rng.normal(size=(4, 3, 5, 5)).astype(np.float32),
              "special": special,
              "q": rng.integers(-128, 128, (6, 7)).astype(np.int8),
              "half": rng.normal(size=(3, 2)).astype(np.float16),
              "steps": np.array([2 ** 40, -3], np.int64),
              "pixels": rng.integers(0, 256, (2, 3)).astype(np.uint8),
              "transposed": rng.normal(size=(3, 5)).astype(np.float32).T}    # not C-contiguous
    path = tmp_path / "a.safetensors"
    mine.save_safetensors(arrays, path)
    back = mine.load_safetensors(path)
    for label, loaded in (("load_safetensors", back), ("a safetensors reader written from the format", _read_safetensors(path))):
        if not isinstance(loaded, dict) or sorted(loaded) != sorted(arrays):
            raise Mismatch(f"{label}: the names read back differ from the names saved")
        for name, value in arrays.items():
            got = np.asarray(loaded[name])
            if got.dtype != value.dtype or got.shape != value.shape:
                raise Mismatch(f"{label}: {name} came back as {got.dtype} {got.shape}, saved as {value.dtype} {value.shape}")
            if got.tobytes() != np.ascontiguousarray(value).tobytes():
                raise Mismatch(f"{label}: the bytes of {name} changed in the round trip")
    # the format's bytes are little-endian whatever the byte order of the array saved
    big = np.array([-3, 1, 2 ** 20], ">i4")
    mine.save_safetensors({"big": big}, tmp_path / "big.safetensors")
    assert_matches(_read_safetensors(tmp_path / "big.safetensors")["big"], big.astype(np.int32), rtol=0, atol=0,
                   what="a big-endian int32 array saved, read from the file's little-endian bytes")
    # a file from another writer: metadata, a padded header, names in another order
    other = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([-1, 2], np.int8)}
    header, offset = {"__metadata__": {"format": "np"}}, 0
    for name, value in other.items():
        header[name] = {"dtype": {"float32": "F32", "int8": "I8"}[value.dtype.name], "shape": list(value.shape),
                        "data_offsets": [offset, offset + value.nbytes]}
        offset += value.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    (tmp_path / "other.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + b"".join(v.tobytes() for v in other.values()))
    read = mine.load_safetensors(tmp_path / "other.safetensors")
    if not isinstance(read, dict) or sorted(read) != ["a", "b"]:
        raise Mismatch("load_safetensors of a file with __metadata__: the names must be exactly the arrays' names")
    for name, value in other.items():
        assert_matches(np.asarray(read[name]), value, rtol=0, atol=0,
                       what=f"{name} read by load_safetensors from a file another writer made (padded header, metadata)")
    assert_raises(ValueError, mine.save_safetensors, {}, tmp_path / "b.safetensors", what="save_safetensors of no arrays")
    assert_raises(ValueError, mine.save_safetensors, {"names": np.array(["a", "b"])}, tmp_path / "c.safetensors",
                  what="save_safetensors of an array of strings")
    assert_raises(ValueError, mine.save_safetensors, {"mixed": np.array([None, 1.0], dtype=object)},
                  tmp_path / "c.safetensors", what="save_safetensors of an object array (check the dtype's kind)")
    for bad in ("", 3):
        assert_raises(ValueError, mine.save_safetensors, {bad: np.zeros(2, np.float32)}, tmp_path / "d.safetensors",
                      what=f"save_safetensors with the name {bad!r} (names are non-empty strings)")


# ---------------------------------------------------------------- the NumPy runtime

def test_conv_and_pool_edge_cases_match_numpy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 7, 6)).astype(np.float32)         # odd height, negative values
    w, b = rng.normal(size=(4, 3, 3, 2)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    with refuse_calls(Tensor, TINYGRAD, NUMPY_ONLY):
        conv = mine.conv2d_numpy(x, w, b, stride=2, padding=1)
        conv3 = mine.conv2d_numpy(x, w, None, stride=3, padding=2)
        pool = mine.max_pool2d_numpy(x)
        pool3 = mine.max_pool2d_numpy(x, kernel=3, stride=2)
        pool1 = mine.max_pool2d_numpy(x, kernel=2, stride=1)
    assert_matches(conv, conv2d(x, w, b, stride=2, padding=1).astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="conv2d_numpy of a (2, 3, 7, 6) input, 3x2 kernels, stride 2, padding 1")
    assert_matches(conv3, conv2d(x, w, stride=3, padding=2).astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="conv2d_numpy without bias, stride 3, padding 2")
    for got, k, s in ((pool, 2, 2), (pool3, 3, 2), (pool1, 2, 1)):
        assert_matches(got, max_pool2d(x, k, s), rtol=0, atol=0,
                       what=f"max_pool2d_numpy of a (2, 3, 7, 6) input, {k}x{k} windows, stride {s}")
    assert_raises(ValueError, mine.conv2d_numpy, x, rng.normal(size=(4, 3, 8, 3)).astype(np.float32),
                  what="conv2d_numpy with an 8x3 kernel on a 7x6 input without padding")
    assert_raises(ValueError, mine.max_pool2d_numpy, x, kernel=8, what="max_pool2d_numpy with 8x8 windows on 7x6")


def test_numpy_forward_matches_the_network_without_tinygrad():
    model, x, logits = _setup()
    weights = _oracle_fold(model.values)
    with refuse_calls(Tensor, TINYGRAD, NUMPY_ONLY):
        got = mine.numpy_forward(weights, x)
        one = mine.numpy_forward(weights, x[3:4])
    assert_matches(got, logits, rtol=1e-4, atol=1e-4,
                   what=f"numpy_forward of {BATCH} images (the inference logits of the same network, BatchNorm unfolded)")
    assert_matches(one, logits[3:4], rtol=1e-4, atol=1e-4, what="numpy_forward of one image")
    assert_raises(ValueError, mine.numpy_forward, weights, x[:, 0], what="numpy_forward of (N, 28, 28) images")
    assert_raises(ValueError, mine.numpy_forward, weights, x.transpose(0, 2, 3, 1),
                  what="numpy_forward of NHWC (N, 28, 28, 1) images")


# ---------------------------------------------------------------- INT8

def test_int8_scales_are_per_output_channel():
    model, _, _ = _setup()
    weights = _oracle_fold(model.values)
    weights["conv2.weight"] = weights["conv2.weight"] * np.array([30.0, 1.0, 0.02, 1.0], np.float32)[:, None, None, None]
    weights["fc.weight"] = weights["fc.weight"].copy()
    weights["fc.weight"][4] = 0.0                                       # an all-zero output channel
    q = mine.quantize_int8(weights)
    want_keys = sorted(list(mine.WEIGHT_NAMES) + [n + "_scale" for n in mine.QUANTIZED])
    if not isinstance(q, dict) or sorted(q) != want_keys:
        raise Mismatch(f"quantize_int8 must return the names {want_keys}")
    for name in mine.QUANTIZED:
        w, qw, scale = weights[name], np.asarray(q[name]), np.asarray(q[name + "_scale"])
        if qw.dtype != np.int8 or qw.shape != w.shape:
            raise Mismatch(f"{name}: INT8 weights must be int8 of shape {w.shape}, got {qw.dtype} {qw.shape}")
        amax = np.abs(w.reshape(len(w), -1)).max(axis=1)
        want = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        assert_matches(scale, want, rtol=1e-6, atol=0,
                       what=f"{name}_scale: one scale per output channel, max |w| / 127 (1 for a zero channel)")
        error = np.abs(qw.astype(np.float64) * scale.reshape(-1, *[1] * (w.ndim - 1)) - w)
        if (error > scale.reshape(-1, *[1] * (w.ndim - 1)) * 0.5001 + 1e-12).any():
            raise Mismatch(f"{name}: q * scale is farther than half a step from the weight (round, not truncate)")
        if (np.abs(qw).reshape(len(w), -1).max(axis=1)[amax > 0] != 127).any():
            raise Mismatch(f"{name}: the largest weight of every channel must map to +-127")
    for name in ("conv1.bias", "conv2.bias", "fc.bias"):
        assert_matches(q[name], weights[name], rtol=0, atol=0, what=f"{name} after quantize_int8 (kept in float32)")
    back = mine.dequantize_int8(q)
    for name in mine.WEIGHT_NAMES:
        want = (np.asarray(q[name], np.float32) * np.asarray(q[name + "_scale"]).reshape(-1, *[1] * (weights[name].ndim - 1))
                if name in mine.QUANTIZED else weights[name])
        assert_matches(back[name], want.astype(np.float32), rtol=1e-6, atol=0, what=f"{name} of dequantize_int8")
    n_weights = sum(weights[n].size for n in mine.QUANTIZED)
    n_float = sum(weights[n].size for n in mine.WEIGHT_NAMES if n not in mine.QUANTIZED) + sum(len(weights[n]) for n in mine.QUANTIZED)
    assert_matches(np.array([mine.size_bytes(q)]), np.array([n_weights + 4 * n_float]), rtol=0, atol=0,
                   what="size_bytes of the INT8 weights (1 byte per weight, 4 per scale and bias)")
    assert_matches(np.array([mine.size_bytes(weights)]), np.array([4 * (n_weights + n_float - sum(len(weights[n]) for n in mine.QUANTIZED))]),
                   rtol=0, atol=0, what="size_bytes of the float32 weights")


# ---------------------------------------------------------------- latency

def _nearest_rank(values, q):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1]


def test_percentile_is_nearest_rank_on_synthetic_timings():
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 7, 20, 64, 101):
        timings = list(rng.lognormal(0.0, 0.5, n))
        copy = list(timings)
        for q in (1, 25, 50, 90, 95, 99, 100):
            assert_matches(np.array([mine.percentile(timings, q)]), np.array([_nearest_rank(timings, q)]), rtol=0, atol=0,
                           what=f"percentile(..., {q}) of {n} synthetic timings (nearest rank)")
        if mine.percentile(timings, 50) > mine.percentile(timings, 95):
            raise Mismatch(f"p50 > p95 for {n} timings")
        if timings != copy:
            raise Mismatch("percentile reordered the caller's list")
    for q in (0, -5, 101):
        assert_raises(ValueError, mine.percentile, [1.0, 2.0], q, what=f"percentile with q={q}")
    assert_raises(ValueError, mine.percentile, [], 50, what="percentile of no values")


class FakeClock:
    """A clock that advances only when the timed function runs: call k takes durations[k] seconds."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 100.0, list(durations), 0

    def __call__(self) -> float:
        return self.now

    def infer(self):
        self.now += self.durations[self.calls]
        self.calls += 1


def test_measure_latency_times_each_call_after_the_warm_up():
    rng = np.random.default_rng(6)
    for warmup, repeats in ((4, 21), (0, 5), (1, 1)):
        timed = list(rng.uniform(0.001, 0.01, repeats))
        clock = FakeClock([2.0 + i for i in range(warmup)] + timed)    # warm-up calls are very slow
        result = mine.measure_latency(clock.infer, warmup=warmup, repeats=repeats, clock=clock)
        if clock.calls != warmup + repeats:
            raise Mismatch(f"fn was called {clock.calls} times for warmup={warmup}, repeats={repeats}")
        want = [1000.0 * t for t in timed]
        assert_matches(np.asarray(result["timings_ms"], np.float64), np.array(want), rtol=1e-6, atol=1e-9,
                       what=f"timings_ms with warmup={warmup}, repeats={repeats} (a fake clock; warm-up excluded)")
        for key, value in (("p50_ms", _nearest_rank(want, 50)), ("p95_ms", _nearest_rank(want, 95)), ("mean_ms", np.mean(want))):
            assert_matches(np.array([result[key]]), np.array([value]), rtol=1e-6, atol=1e-9,
                           what=f"{key} with warmup={warmup}, repeats={repeats}")
    assert_raises(ValueError, mine.measure_latency, clock.infer, warmup=1, repeats=0, what="measure_latency with repeats=0")


# ---------------------------------------------------------------- the report

def test_report_table_shape_and_cells():
    rows = [dict(runtime="tinygrad TinyJit", weights="float32", size_bytes=123456, accuracy=0.98765, p50_ms=12.3456, p95_ms=20.0),
            dict(runtime="x" * 18, weights="int8", size_bytes=None, accuracy=1.0, p50_ms=None, p95_ms=0.0004),
            dict(runtime="numpy", weights="f16", size_bytes=100, accuracy=0.0, p50_ms=0.5, p95_ms=None)]
    lines = mine.report_table(rows).split("\n")
    if len(lines) != len(rows) + 2 or any(len(line) > 80 for line in lines) or len({len(line) for line in lines}) != 1:
        raise Mismatch("report_table: header, separator and one line per row, all of one width <= 80")
    if [i for i, c in enumerate(lines[1]) if c == "|"] != [i for i, c in enumerate(lines[0]) if c == "|"]:
        raise Mismatch("report_table: the separator needs a '|' at every column boundary of the header "
                       "(|---|---|), or Markdown does not read it as a table")
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    if cells[0] != list(mine.REPORT_COLUMNS) or set("".join(cells[1])) != {"-"}:
        raise Mismatch(f"report_table: the header must name {mine.REPORT_COLUMNS}, then a separator of dashes")
    for row, got in zip(rows, cells[2:]):
        if got[:2] != [row["runtime"], row["weights"]]:
            raise Mismatch("report_table: runtime and weights must appear as given")
        for cell, value, unit, step in ((got[2], row["size_bytes"], 1024, 0.05), (got[3], row["accuracy"], 0.01, 0.005),
                                        (got[4], row["p50_ms"], 1, 0.0005), (got[5], row["p95_ms"], 1, 0.0005)):
            if value is None:
                ok = cell == "-"
            else:
                try:
                    ok = abs(float(cell.rstrip("%")) - value / unit) <= step + 1e-9
                except ValueError:
                    ok = False
            if not ok:
                raise Mismatch(f"report_table: a cell shows {cell!r}; see the docstring for units and decimals")
    for line in lines[:1] + lines[2:]:
        raw = line.split("|")[1:-1]
        if any(len(c) < 3 or c[0] != " " or c[-1] != " " for c in raw):
            raise Mismatch("report_table: each cell is padded to its width with one space either side")
        if any(c[1] == " " for c in raw[:2] if c.strip()) or any(c[-2] == " " for c in raw[2:]):
            raise Mismatch("report_table: text must be left-aligned and numbers right-aligned. "
                           "A cell is aligned the other way")
    good = rows[0]
    assert_raises(ValueError, mine.report_table, [{**good, "size_bytes": 10**10}],
                  what="a size of 10**10 bytes (9765625.0 KiB does not fit 8 characters)")
    assert_raises(ValueError, mine.report_table, [{**good, "p95_ms": 123456.5}],
                  what="a p95 of 123456.5 ms (123456.500 does not fit 8 characters)")
    assert_raises(ValueError, mine.report_table, [], what="report_table of no rows")
    assert_raises(ValueError, mine.report_table, [{k: v for k, v in good.items() if k != "p95_ms"}], what="a row without p95_ms")
    assert_raises(ValueError, mine.report_table, [{**good, "runtime": "y" * 19}], what="a runtime name of 19 characters")
    assert_raises(ValueError, mine.report_table, [{**good, "accuracy": 98.7}], what="an accuracy of 98.7 (a percentage)")
    assert_raises(ValueError, mine.report_table, [{**good, "weights": "float32x"}],
                  what="a weights label of 8 characters")
    # zero is a measurement, not a missing value: only None becomes "-"
    zero = mine.report_table([{**good, "size_bytes": 0, "p50_ms": 0.0, "p95_ms": 0.0}]).split("\n")[-1]
    if [c.strip() for c in zero.strip("|").split("|")][2:] != ["0.0", "98.77%", "0.000", "0.000"]:
        raise Mismatch("report_table of a row with size_bytes 0 and latencies 0.0: zeros must be shown as numbers "
                       "(only None is shown as '-'; test `is None`, not truthiness)")
