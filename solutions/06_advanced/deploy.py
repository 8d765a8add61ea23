"""Exercise 6.8: deploy a trained MNIST CNN to the edge: export, a NumPy runtime, INT8, latency.

A model that leaves the training machine is no longer a Python object with a `__call__`: it is a
file that another runtime reads. This exercise takes a trained network with the architecture of
Exercise 5.2 (it reads the model's layers, it never imports 5.2) and produces

    deployable_weights  the six float32 arrays of the inference network, BatchNorm folded into the
                        convolutions (eval mode: running statistics and each layer's eps);
    export_onnx         an ONNX graph (Conv, Relu, MaxPool, Flatten, Gemm) built with `onnx.helper`,
                        opset and IR version pinned, batch dimension left symbolic; onnxruntime runs it;
    save/load_safetensors  the arrays in the safetensors format, reloaded bit for bit;
    numpy_forward       a runtime that needs nothing but NumPy: convolution as im2col and one matmul;
    quantize_int8       symmetric per-output-channel INT8 weights, with their sizes;
    measure_latency     p50 and p95 of batch-1 calls, warm-up excluded;
    report_table        the comparison as an 80-column text table.

The contract with the model (what 5.2's `MnistCNN` provides): attributes `conv1`, `conv2`
(`nn.Conv2d`, 5x5, stride 1, no padding, with bias), `bn1`, `bn2` (`nn.BatchNorm`: `weight`, `bias`,
`running_mean`, `running_var`, `eps`) and `fc` (`nn.Linear`: `weight` (K, F), `bias` (K,)), and the
inference computation

    x (N, 1, 28, 28) -> [conv -> BN -> ReLU -> 2x2 max-pool] x 2 -> flatten (C, H, W order) -> fc.

BatchNorm at inference is an affine map per channel, y = (z - mean) * g / sqrt(var + eps) + beta,
and z is itself affine in the convolution's weights; so the two collapse into one convolution with
scaled kernels and a shifted bias. That is why a deployed network has no BatchNorm layer.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import onnx
from numpy.lib.stride_tricks import sliding_window_view
from onnx import TensorProto, helper, numpy_helper
from tinygrad import Tensor
from tinygrad.nn.state import safe_load, safe_save

WEIGHT_NAMES = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias")
QUANTIZED = ("conv1.weight", "conv2.weight", "fc.weight")   # the arrays quantize_int8 turns into INT8
IMAGE_SHAPE = (1, 28, 28)
OPSET = 17            # ONNX operator set the graph declares
IR_VERSION = 8        # ONNX file-format version that goes with opset 17 (onnxruntime 1.23 reads <= 11)
INPUT_NAME, OUTPUT_NAME, BATCH_DIM = "images", "logits", "batch"
REPORT_COLUMNS = ("runtime", "weights", "size KiB", "accuracy", "p50 ms", "p95 ms")
REPORT_WIDTHS = (18, 7, 8, 8, 8, 8)


def check_weights(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The six deployable arrays of `weights` as float32 NumPy arrays, after checking their shapes.

    Expected: conv1.weight (C1, 1, 5, 5), conv1.bias (C1,), conv2.weight (C2, C1, 5, 5), conv2.bias
    (C2,), fc.weight (K, 16 C2), fc.bias (K,). Raises ValueError for a missing name or a wrong shape.
    """
    missing = [name for name in WEIGHT_NAMES if name not in weights]
    if missing:
        raise ValueError(f"weights lack {missing}")
    w = {name: np.asarray(weights[name], dtype=np.float32) for name in WEIGHT_NAMES}
    c1, c2, k = w["conv1.weight"].shape[0], w["conv2.weight"].shape[0], w["fc.weight"].shape[0]
    expected = {"conv1.weight": (c1, 1, 5, 5), "conv1.bias": (c1,), "conv2.weight": (c2, c1, 5, 5),
                "conv2.bias": (c2,), "fc.weight": (k, 16 * c2), "fc.bias": (k,)}
    for name, shape in expected.items():
        if w[name].shape != shape:
            raise ValueError(f"{name} has shape {w[name].shape}, expected {shape}")
    return w


# ---------------------------------------------------------------- 1. the deployable weights

def fold_batchnorm(weight: np.ndarray, bias: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                   mean: np.ndarray, var: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Fold an inference-mode BatchNorm into the convolution before it.

    With s = gamma / sqrt(var + eps) per output channel o:
        weight'[o] = weight[o] * s[o]          bias'[o] = (bias[o] - mean[o]) * s[o] + beta[o]
    so that conv(x; weight', bias') == BN(conv(x; weight, bias)) with the running statistics.
    weight (O, C, kh, kw); bias, gamma, beta, mean, var (O,). Computed in float64, returned as float32
    arrays of the input shapes. The inputs are not modified.
    """
    ### BEGIN SOLUTION
    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(var, np.float64) + eps)
    w = np.asarray(weight, np.float64) * scale[:, None, None, None]
    b = (np.asarray(bias, np.float64) - np.asarray(mean, np.float64)) * scale + np.asarray(beta, np.float64)
    return w.astype(np.float32), b.astype(np.float32)
    ### END SOLUTION


def deployable_weights(model) -> dict[str, np.ndarray]:
    """The inference network of `model` as six float32 NumPy arrays named as in WEIGHT_NAMES.

    Reads the attributes of the module contract (conv1, bn1, conv2, bn2, fc) and folds bn1 into
    conv1 and bn2 into conv2 (`fold_batchnorm`) with each BatchNorm's running statistics and its own
    `eps`: the network at inference, whatever the model was doing last. fc is copied as it is
    (weight (K, 16 C2), bias (K,)). Nothing about the model changes.
    """
    ### BEGIN SOLUTION
    out = {}
    for k in (1, 2):
        conv, bn = getattr(model, f"conv{k}"), getattr(model, f"bn{k}")
        out[f"conv{k}.weight"], out[f"conv{k}.bias"] = fold_batchnorm(
            conv.weight.numpy(), conv.bias.numpy(), bn.weight.numpy(), bn.bias.numpy(),
            bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps)
    out["fc.weight"] = model.fc.weight.numpy().astype(np.float32)
    out["fc.bias"] = model.fc.bias.numpy().astype(np.float32)
    return out
    ### END SOLUTION


# ---------------------------------------------------------------- 2. ONNX

def export_onnx(model, path: str | Path | None = None) -> onnx.ModelProto:
    """An ONNX model of the inference network of `model`, saved to `path` when one is given.

    Graph (opset OPSET, IR version IR_VERSION, built with onnx.helper and numpy_helper): input
    INPUT_NAME, float32 [BATCH_DIM, 1, 28, 28] with a symbolic first dimension (any batch size),
    then Conv (5x5) -> Relu -> MaxPool (2x2, stride 2) twice, Flatten (axis 1) and Gemm with the
    head, output OUTPUT_NAME float32 [BATCH_DIM, K]. The weights are initializers; BatchNorm is
    either folded into the convolutions (`deployable_weights`) or a BatchNormalization node in
    inference mode with the layer's epsilon. The model passes `onnx.checker.check_model`, and
    onnxruntime gives the logits of `model` in inference mode.
    """
    ### BEGIN SOLUTION
    w = check_weights(deployable_weights(model))
    k = w["fc.weight"].shape[0]
    nodes = []
    source = INPUT_NAME
    for i in (1, 2):
        nodes += [helper.make_node("Conv", [source, f"conv{i}.weight", f"conv{i}.bias"], [f"conv{i}"], kernel_shape=[5, 5]),
                  helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]),
                  helper.make_node("MaxPool", [f"relu{i}"], [f"pool{i}"], kernel_shape=[2, 2], strides=[2, 2])]
        source = f"pool{i}"
    nodes += [helper.make_node("Flatten", [source], ["features"], axis=1),
              helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], [OUTPUT_NAME], transB=1)]
    graph = helper.make_graph(
        nodes, "mnist_cnn",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, *IMAGE_SHAPE])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, k])],
        [numpy_helper.from_array(w[name], name) for name in WEIGHT_NAMES])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name="gradschool")
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        onnx.save(proto, str(path))
    return proto
    ### END SOLUTION


# ---------------------------------------------------------------- 3. safetensors

def save_safetensors(arrays: Mapping[str, np.ndarray], path: str | Path) -> None:
    """Write named NumPy arrays to `path` in the safetensors format (tinygrad's `safe_save` or by hand:
    8-byte little-endian header length, a JSON header of dtype, shape and data_offsets per name,
    then the raw little-endian bytes). dtypes float32, float16, int8, uint8, int32 and int64 keep
    their dtype. Raises ValueError for an empty mapping, a name that is not a non-empty string or
    a value that is not a numeric array.
    """
    ### BEGIN SOLUTION
    if not arrays:
        raise ValueError("nothing to save")
    tensors = {}
    for name, value in arrays.items():
        value = np.asarray(value)
        if not isinstance(name, str) or not name or value.dtype.kind not in "biuf":
            raise ValueError(f"cannot save {name!r} of dtype {value.dtype}")
        tensors[name] = Tensor(np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")))  # the file's order
    safe_save(tensors, str(path))
    ### END SOLUTION


def load_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """The named arrays of a safetensors file as NumPy arrays, bit for bit what was saved (same names,
    shapes and dtypes)."""
    ### BEGIN SOLUTION
    return {name: t.to("CPU").numpy() for name, t in safe_load(str(path)).items()}
    ### END SOLUTION


# ---------------------------------------------------------------- 4. a NumPy runtime

def conv2d_numpy(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                 stride: int = 1, padding: int = 0) -> np.ndarray:
    """2-D cross-correlation like `Tensor.conv2d`, with NumPy only: im2col and one matmul.

    x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None; zero padding on all four sides.
    Output (N, O, Ho, Wo) with Ho = (H + 2 padding - kh) // stride + 1 (likewise Wo), float32.
    Raises ValueError when the channel counts differ or the kernel does not fit the padded input.
    """
    x, weight = np.asarray(x, np.float32), np.asarray(weight, np.float32)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d_numpy: input {x.shape} and weight {weight.shape} do not fit")
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d_numpy: a {kh}x{kw} kernel does not fit a padded {h}x{w} input")
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :ho, :wo]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = (cols @ weight.reshape(o, -1).T).reshape(n, ho, wo, o).transpose(0, 3, 1, 2)
    if bias is not None:
        out = out + np.asarray(bias, np.float32)[None, :, None, None]
    return np.ascontiguousarray(out, dtype=np.float32)
    ### END SOLUTION


def max_pool2d_numpy(x: np.ndarray, kernel: int = 2, stride: int | None = None) -> np.ndarray:
    """Max-pooling like `Tensor.max_pool2d` (no padding, windows that do not fit are dropped).

    x (N, C, H, W) -> (N, C, (H - kernel) // stride + 1, (W - kernel) // stride + 1); stride defaults
    to kernel. Raises ValueError when the window is larger than the input.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x)
    stride = kernel if stride is None else stride
    if x.ndim != 4 or x.shape[2] < kernel or x.shape[3] < kernel:
        raise ValueError(f"max_pool2d_numpy: a {kernel}x{kernel} window does not fit {x.shape}")
    ho, wo = (x.shape[2] - kernel) // stride + 1, (x.shape[3] - kernel) // stride + 1
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :ho, :wo]
    return windows.max(axis=(4, 5))
    ### END SOLUTION


def numpy_forward(weights: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Logits (N, K) float32 of the deployable network for images x (N, 1, 28, 28), NumPy only.

    conv1 -> ReLU -> 2x2 max-pool -> conv2 -> ReLU -> 2x2 max-pool -> flatten in (C, H, W) order
    (PyTorch's and tinygrad's order) -> features @ fc.weight.T + fc.bias. `weights` as returned by
    `deployable_weights` (BatchNorm already folded). Raises ValueError for images of another shape.
    """
    w = check_weights(weights)
    x = np.asarray(x, np.float32)
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (N, 1, 28, 28), got {x.shape}")
    ### BEGIN SOLUTION
    h = x
    for k in (1, 2):
        h = max_pool2d_numpy(np.maximum(conv2d_numpy(h, w[f"conv{k}.weight"], w[f"conv{k}.bias"]), 0.0))
    return (h.reshape(len(h), -1) @ w["fc.weight"].T + w["fc.bias"]).astype(np.float32)
    ### END SOLUTION


# ---------------------------------------------------------------- 5. INT8

def quantize_int8(weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Symmetric per-output-channel INT8 weights of the deployable network.

    For each name in QUANTIZED and each output channel o (the first axis):
        scale[o] = float32(max |w[o]| / 127)   (1.0 for an all-zero channel)
        q[o] = clip(round(w[o] / scale[o]), -127, 127) as int8
    Returns a dict: `name` -> q (int8, the weight's shape), `name + "_scale"` -> scale (float32, (O,)),
    and the two biases and fc.bias unchanged as float32 (biases stay in float: they are few and are
    added to 32-bit accumulators). One scale per channel, not per tensor: a channel of small weights
    keeps its resolution next to a channel of large ones.
    """
    w = check_weights(weights)
    ### BEGIN SOLUTION
    out = {}
    for name in WEIGHT_NAMES:
        if name not in QUANTIZED:
            out[name] = w[name]
            continue
        flat = w[name].reshape(len(w[name]), -1)
        amax = np.abs(flat).max(axis=1)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8)
        out[name], out[name + "_scale"] = q.reshape(w[name].shape), scale
    return out
    ### END SOLUTION


def dequantize_int8(quantized: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The float32 deployable weights that INT8 arrays stand for: w = q * scale per output channel
    (the inverse of `quantize_int8` up to rounding); the biases pass through."""
    ### BEGIN SOLUTION
    out = {}
    for name in WEIGHT_NAMES:
        value = np.asarray(quantized[name])
        if name in QUANTIZED:
            scale = np.asarray(quantized[name + "_scale"], np.float32)
            value = value.astype(np.float32) * scale.reshape(-1, *([1] * (value.ndim - 1)))
        out[name] = value.astype(np.float32)
    return out
    ### END SOLUTION


def size_bytes(arrays: Mapping[str, np.ndarray]) -> int:
    """Bytes the arrays occupy (the sum of their nbytes): what a weight file holds besides its header."""
    ### BEGIN SOLUTION
    return int(sum(np.asarray(a).nbytes for a in arrays.values()))
    ### END SOLUTION


# ---------------------------------------------------------------- 6. latency

def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile by nearest rank: the smallest value v of the sample such that at least
    q percent of the values are <= v. With the values sorted ascending, v = sorted[ceil(q * n / 100) - 1].
    Always one of the observed values; p50 <= p95 <= max. Raises ValueError for an empty sample or
    q outside (0, 100].
    """
    ### BEGIN SOLUTION
    if len(values) == 0 or not 0 < q <= 100:
        raise ValueError(f"percentile needs values and 0 < q <= 100, got {len(values)} values and q={q}")
    ordered = sorted(float(v) for v in values)
    return ordered[max(1, math.ceil(q * len(ordered) / 100)) - 1]
    ### END SOLUTION


def measure_latency(fn: Callable[[], object], warmup: int = 5, repeats: int = 50,
                    clock: Callable[[], float] = time.perf_counter) -> dict:
    """Time `fn()` (one inference that returns only when its result is ready, e.g. it ends in
    `.numpy()`): `warmup` calls first, not timed (compilation, caches, lazy allocation), then
    `repeats` calls, each timed on its own with `clock` (seconds).

    Returns {"timings_ms": list of the `repeats` durations in ms in call order, "p50_ms", "p95_ms"
    (`percentile` of those), "mean_ms"}. Raises ValueError for warmup < 0 or repeats < 1.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f"need warmup >= 0 and repeats >= 1, got {warmup} and {repeats}")
    ### BEGIN SOLUTION
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeats):
        start = clock()
        fn()
        timings.append((clock() - start) * 1000.0)
    return {"timings_ms": timings, "p50_ms": percentile(timings, 50), "p95_ms": percentile(timings, 95),
            "mean_ms": float(np.mean(timings))}
    ### END SOLUTION


# ---------------------------------------------------------------- 7. the report

def report_table(rows: Sequence[Mapping]) -> str:
    """A text table (Markdown) of deployment results, one line per row, every line 76 characters.

    Each row has "runtime" (str, at most 18 characters), "weights" (str, at most 7, e.g. "float32"),
    "size_bytes" (int), "accuracy" (fraction in [0, 1]) and "p50_ms", "p95_ms"; any number may be
    None, shown as "-". Columns REPORT_COLUMNS with widths REPORT_WIDTHS: text left-aligned, numbers
    right-aligned: size in KiB (size_bytes / 1024) with 1 decimal, accuracy in percent with 2
    decimals and a "%" sign, latencies with 3 decimals. Lines: header, a separator of dashes
    (`|----...|`), then the rows; joined with "\\n", no trailing newline. For example

        | runtime            | weights | size KiB | accuracy |   p50 ms |   p95 ms |
        |--------------------|---------|----------|----------|----------|----------|
        | onnxruntime        | float32 |     35.6 |   98.91% |    0.081 |    0.102 |

    Raises ValueError for no rows, a missing key, a text or a number that does not fit its column,
    or an accuracy outside [0, 1].
    """
    ### BEGIN SOLUTION
    if not rows:
        raise ValueError("report_table needs at least one row")

    def line(cells):
        return "| " + " | ".join(cells) + " |"

    lines = [line(name.ljust(width) if i < 2 else name.rjust(width)
                  for i, (name, width) in enumerate(zip(REPORT_COLUMNS, REPORT_WIDTHS))),
             "|" + "|".join("-" * (width + 2) for width in REPORT_WIDTHS) + "|"]
    for row in rows:
        keys = ("runtime", "weights", "size_bytes", "accuracy", "p50_ms", "p95_ms")
        if any(key not in row for key in keys):
            raise ValueError(f"a report row needs the keys {keys}")
        acc = row["accuracy"]
        if acc is not None and not 0.0 <= acc <= 1.0:
            raise ValueError(f"accuracy must be a fraction in [0, 1], got {acc}")
        cells = [str(row["runtime"]), str(row["weights"]),
                 "-" if row["size_bytes"] is None else f"{row['size_bytes'] / 1024:.1f}",
                 "-" if acc is None else f"{100 * acc:.2f}%",
                 *("-" if row[key] is None else f"{row[key]:.3f}" for key in ("p50_ms", "p95_ms"))]
        for cell, width in zip(cells, REPORT_WIDTHS):
            if len(cell) > width:
                raise ValueError(f"{cell!r} does not fit a column of {width} characters")
        lines.append(line(c.ljust(w) if i < 2 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, REPORT_WIDTHS))))
    return "\n".join(lines)
    ### END SOLUTION
