"""Mutants and alternatives for Exercise 6.3 (INT8 quantisation)."""
from grader.mutants import Edit

PER_CHANNEL_MAX = "        amax = w.abs().max(axis=tuple(i for i in range(w.ndim) if i != axis), keepdim=True)"
CODES = "    return (x.cast(dtypes.float32) / scale).round().clip(-QMAX, QMAX).cast(dtypes.int8)"
MATMUL = "    return a.dot(b, dtype=dtypes.int32)"
STE = "    return clipped + (rounded - clipped).detach()"
W8A32 = "            y = x.cast(dtypes.float32) @ dequantize(self.weight, self.scale)"
MINMAX = ("        self.lo = lo if self.lo is None else min(self.lo, lo)\n"
          "        self.hi = hi if self.hi is None else max(self.hi, hi)")
POSITIVE = "    if (scale.numpy() <= 0).any():\n        raise ValueError(\"scales must be positive\")\n"
NBYTES = "        return int(sum(t.numel() * t.dtype.itemsize for t in tensors))"

MUTANTS = [
    Edit("quantize ignores axis: one scale per tensor even when per-channel is asked",
         find="    if axis is None:\n        amax = w.abs().max()", replace="    if True:\n        amax = w.abs().max()"),
    Edit("QuantizedLinear with one per-tensor scale copied to every channel",
         find="        q, scale = quantize(weight, axis=1)\n"
              "        self.weight = q.realize()\n"
              "        self.scale = scale.reshape(self.out_features).contiguous().realize()",
         replace="        q, scale = quantize(weight)\n"
                 "        self.weight = q.realize()\n"
                 "        self.scale = scale.reshape(1).expand(self.out_features).contiguous().realize()"),
    Edit("per-channel maximum taken along the channel axis instead of over the others",
         find=PER_CHANNEL_MAX, replace="        amax = w.abs().max(axis=axis, keepdim=True)"),
    Edit("scale from the mean |w| instead of the max", find=PER_CHANNEL_MAX,
         replace="        amax = w.abs().mean(axis=tuple(i for i in range(w.ndim) if i != axis), keepdim=True)"),
    Edit("scale from max(w) instead of max|w| (a negative extreme is clipped)", find=PER_CHANNEL_MAX,
         replace="        amax = w.max(axis=tuple(i for i in range(w.ndim) if i != axis), keepdim=True)"),
    Edit("scale max|w| / 128", find="    scale = (amax > 0).where(amax / QMAX, 1.0).realize()",
         replace="    scale = (amax > 0).where(amax / 128, 1.0).realize()"),
    Edit("an all-zero channel keeps scale 0 (0 / 0 codes)",
         find="    scale = (amax > 0).where(amax / QMAX, 1.0).realize()", replace="    scale = (amax / QMAX).realize()"),
    Edit("asymmetric clip to [-128, 127]", find=CODES,
         replace="    return (x.cast(dtypes.float32) / scale).round().clip(-QMAX - 1, QMAX).cast(dtypes.int8)"),
    Edit("no clip: out-of-range values wrap when cast to int8", find=CODES,
         replace="    return (x.cast(dtypes.float32) / scale).round().cast(dtypes.int8)"),
    Edit("floor instead of round", find=CODES,
         replace="    return (x.cast(dtypes.float32) / scale).floor().clip(-QMAX, QMAX).cast(dtypes.int8)"),
    Edit("ceil instead of round", find=CODES,
         replace="    return (x.cast(dtypes.float32) / scale).ceil().clip(-QMAX, QMAX).cast(dtypes.int8)"),
    Edit("no rounding: the cast truncates toward zero", find=CODES,
         replace="    return (x.cast(dtypes.float32) / scale).clip(-QMAX, QMAX).cast(dtypes.int8)"),
    Edit("ties rounded away from zero (x.5 -> up in magnitude)", find=CODES,
         replace="    r = x.cast(dtypes.float32) / scale\n"
                 "    return (r.sign() * (r.abs() + 0.5).floor()).clip(-QMAX, QMAX).cast(dtypes.int8)"),
    Edit("int8 accumulation: the dot of two int8 tensors wraps", find=MATMUL,
         replace="    return a.dot(b).cast(dtypes.int32)"),
    Edit("int16 accumulation", find=MATMUL,
         replace="    return a.cast(dtypes.int16).dot(b.cast(dtypes.int16)).cast(dtypes.int32)"),
    Edit("float32 accumulation (inexact once sums pass 2**24)", find=MATMUL,
         replace="    return (a.cast(dtypes.float32) @ b.cast(dtypes.float32)).cast(dtypes.int32)"),
    Edit("double dequantisation: the output is scaled by the weight scales again", find=W8A32,
         replace="            y = (x.cast(dtypes.float32) @ dequantize(self.weight, self.scale)) * self.scale"),
    Edit("w8a8 rescales by the weight scales only (input scale forgotten)",
         find="            y = int8_matmul(x_q, self.weight).cast(dtypes.float32) * (self.scale * self.input_scale)",
         replace="            y = int8_matmul(x_q, self.weight).cast(dtypes.float32) * self.scale"),
    Edit("MinMaxObserver keeps the last batch only", find=MINMAX, replace="        self.lo, self.hi = lo, hi"),
    Edit("MinMaxObserver scale from the max alone (negative extremes ignored)",
         find="        amax = max(abs(self.lo), abs(self.hi))", replace="        amax = self.hi"),
    Edit("PercentileObserver averages per-batch percentiles",
         find="        p = float(np.percentile(np.concatenate(self._seen), self.percentile))",
         replace="        p = float(np.mean([np.percentile(s, self.percentile) for s in self._seen]))"),
    Edit("PercentileObserver on x instead of |x|",
         find="        self._seen.append(np.abs(x.numpy().astype(np.float32).ravel()))",
         replace="        self._seen.append(x.numpy().astype(np.float32).ravel())"),
    Edit("quantize without the float32 cast (float16 w gives a float16 scale)",
         find="    w = w.cast(dtypes.float32)\n    if axis is None:", replace="    if axis is None:"),
    Edit("MinMaxObserver tests lo/hi by truthiness (a running 0 is forgotten)", find=MINMAX,
         replace="        self.lo = lo if not self.lo else min(self.lo, lo)\n"
                 "        self.hi = hi if not self.hi else max(self.hi, hi)"),
    Edit("PercentileObserver keeps the tensor, not a copy",
         find="        self._seen.append(np.abs(x.numpy().astype(np.float32).ravel()))",
         replace="        self._seen.append(x)",
         then=Edit("", find="        p = float(np.percentile(np.concatenate(self._seen), self.percentile))",
                   replace="        p = float(np.percentile(np.concatenate([np.abs(t.numpy().astype(np.float32).ravel())"
                           " for t in self._seen]), self.percentile))")),
    Edit("QuantizedLinear keeps the bias's dtype (float16 stays float16)",
         find="        self.bias = None if bias is None else bias.cast(dtypes.float32).contiguous().realize()",
         replace="        self.bias = None if bias is None else bias.contiguous().realize()"),
    Edit("STE gradient 0 at the boundary |x| = 127 * scale", find=STE,
         replace="    xf = x.cast(dtypes.float32)\n    inside = (xf.abs() < limit).cast(dtypes.float32)\n"
                 "    return xf * inside + (rounded - xf * inside).detach()"),
    Edit("STE that blocks all gradient (round has zero gradient)", find=STE, replace="    return rounded"),
    Edit("STE that passes the gradient everywhere, also where x was clipped", find=STE,
         replace="    return x + (rounded - x).detach()"),
    Edit("nbytes counts the codes at 4 bytes", find=NBYTES,
         replace="        return int(sum(t.numel() * 4 for t in tensors))"),
    Edit("nbytes forgets the scales", find=NBYTES,
         replace="        return int(sum(t.numel() * t.dtype.itemsize for t in tensors if t is not self.scale))"),
    Edit("a scale Tensor rejected only when every entry is <= 0",
         find=POSITIVE + "    return (x.cast", replace=POSITIVE.replace(".any()", ".all()") + "    return (x.cast"),
    Edit("fake_quantize validates only a scalar scale", find=POSITIVE + "    limit",
         replace=POSITIVE.replace("(scale.numpy() <= 0).any()", "scale.ndim == 0 and scale.item() <= 0") + "    limit"),
    Edit("fake_quantize casts back to the input's dtype (float16 in, float16 out)", find=STE,
         replace="    return (clipped + (rounded - clipped).detach()).cast(x.dtype)"),
    Edit("dequantize computes in the dtype of a Tensor scale",
         find="    return q.cast(dtypes.float32) * _as_scale(scale)\n",
         replace="    return q.cast(scale.dtype) * scale if isinstance(scale, Tensor) "
                 "else q.cast(dtypes.float32) * scale\n"),
    Edit("w8a8 quantises x with a dynamic per-tensor scale (input_scale ignored)",
         find="            x_q = quantize_with_scale(x, self.input_scale)\n"
              "            y = int8_matmul(x_q, self.weight).cast(dtypes.float32) * "
              "(self.scale * self.input_scale)\n",
         replace="            x_q, s = quantize(x)\n"
                 "            y = int8_matmul(x_q, self.weight).cast(dtypes.float32) * (self.scale * s)\n"),
    Edit("fake_quantize rounds half up (floor(v + 0.5)) unlike quantize's half to even",
         find="    rounded = (clipped / scale).round() * scale",
         replace="    rounded = (clipped / scale + 0.5).floor() * scale"),
    Edit("fake_quantize rounds half away from zero",
         find="    rounded = (clipped / scale).round() * scale",
         replace="    v = clipped / scale\n    rounded = v.sign() * (v.abs() + 0.5).floor() * scale"),
    Edit("MinMaxObserver range starts at 0 (an all-positive batch reports lo = 0)",
         find="        self.lo = lo if self.lo is None else min(self.lo, lo)\n"
              "        self.hi = hi if self.hi is None else max(self.hi, hi)",
         replace="        self.lo = min(0.0, lo) if self.lo is None else min(self.lo, lo)\n"
                 "        self.hi = max(0.0, hi) if self.hi is None else max(self.hi, hi)"),
]

ALTERNATIVES = [
    Edit("MinMaxObserver scale as max(-lo, hi)", find="        amax = max(abs(self.lo), abs(self.hi))\n",
         replace="        amax = max(-self.lo, self.hi)\n"),
    Edit("int8_matmul as a broadcast product summed in int32", find=MATMUL,
         replace="    return (a.cast(dtypes.int32).unsqueeze(2) * b.cast(dtypes.int32).unsqueeze(0))"
                 ".sum(1, dtype=dtypes.int32)"),
    Edit("codes by multiplying with the reciprocal of the scale", find=CODES,
         replace="    return (x.cast(dtypes.float32) * (1.0 / scale)).round().clip(-QMAX, QMAX).cast(dtypes.int8)"),
    Edit("int32 matmul of inputs cast to int32 first", find=MATMUL,
         replace="    return a.cast(dtypes.int32) @ b.cast(dtypes.int32)"),
    Edit("w8a32 scales the output columns instead of the weights", find=W8A32,
         replace="            y = (x.cast(dtypes.float32) @ self.weight.cast(dtypes.float32)) * self.scale"),
    Edit("STE as detached rounding plus a clipped pass-through", find=STE,
         replace="    return rounded.detach() + clipped - clipped.detach()"),
    Edit("MinMaxObserver through NumPy", find="        lo, hi = x.min().item(), x.max().item()",
         replace="        values = x.numpy()\n        lo, hi = float(values.min()), float(values.max())"),
    Edit("PercentileObserver with np.quantile",
         find="        p = float(np.percentile(np.concatenate(self._seen), self.percentile))",
         replace="        p = float(np.quantile(np.concatenate(self._seen), self.percentile / 100))"),
    Edit("nbytes from the tensors' nbytes()", find=NBYTES, replace="        return int(sum(t.nbytes() for t in tensors))"),
    Edit("fake_quantize's rounding through quantize_with_scale's int8 codes",
         find="    rounded = (clipped / scale).round() * scale",
         replace="    rounded = quantize_with_scale(clipped, scale).cast(dtypes.float32) * scale"),
]
