"""Mutants and alternatives for Exercise 5.1 (convolution and pooling from primitives)."""
from grader.mutants import Edit

TAPS = ("    taps = [x[:, :, u * dh:u * dh + sh * (ho - 1) + 1:sh, v * dw:v * dw + sw * (wo - 1) + 1:sw]\n"
        "            for u in range(kh) for v in range(kw)]\n")
MAX_STRIDE = ('    strides = kernel if stride is None else _pair(stride, "stride", 1)\n'
              '    return _windows(x, kernel, strides, pad, (1, 1), float("-inf"))')
IM2COL = """    cols = cols.reshape(n, groups, c_group, ho, wo, kh, kw).permute(0, 1, 3, 4, 2, 5, 6)
    cols = cols.reshape(n, groups, ho * wo, c_group * kh * kw)
    kernels = w.reshape(groups, c_out // groups, c_group * kh * kw).permute(0, 2, 1)
"""

MUTANTS = [
    Edit("kernel flipped (true convolution instead of cross-correlation)",
         find="kernels = w.reshape(groups,", replace="kernels = w.flip(2, 3).reshape(groups,"),
    Edit("all the padding on one side (bottom/right)",
         find="x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)), value=fill)",
         replace="x.pad(((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)), value=fill)"),
    Edit("output size rounded up (ceil instead of floor)",
         find="return (size + 2 * padding - span) // stride + 1",
         replace="return -(-(size + 2 * padding - span) // stride) + 1"),
    Edit("windows start at stride - 1 instead of 0",
         find=TAPS, replace=TAPS.replace("x[:, :, u * dh:u * dh + sh", "x[:, :, sh - 1 + u * dh:sh - 1 + u * dh + sh")
                                   .replace(", v * dw:v * dw + sw", ", sw - 1 + v * dw:sw - 1 + v * dw + sw")),
    Edit("dilation ignored in the tap positions (taps adjacent)",
         find=TAPS, replace=TAPS.replace("u * dh:u * dh + sh", "u:u + sh").replace("v * dw:v * dw + sw", "v:v + sw")),
    Edit("groups take every G-th input channel instead of a contiguous block",
         find="cols.reshape(n, groups, c_group, ho, wo, kh, kw).permute(0, 1, 3, 4, 2, 5, 6)",
         replace="cols.reshape(n, c_group, groups, ho, wo, kh, kw).permute(0, 2, 3, 4, 1, 5, 6)"),
    Edit("kernel flattened in (kH, kW, C) order, windows in (C, kH, kW) order",
         find="kernels = w.reshape(groups, c_out // groups, c_group * kh * kw)",
         replace="kernels = w.permute(0, 2, 3, 1).reshape(groups, c_out // groups, c_group * kh * kw)"),
    Edit("bias added per row instead of per channel",
         find="out + b.reshape(1, c_out, 1, 1)", replace="out + b.reshape(1, 1, c_out, 1)"),
    Edit("max pooling reduces over the output grid instead of the window",
         find='float("-inf")).max(axis=(-2, -1))', replace='float("-inf")).max(axis=(2, 3))'),
    Edit("max pooling pads with 0 instead of -inf", find='float("-inf")', replace="0.0"),
    Edit("max pooling defaults to stride 1", find=MAX_STRIDE,
         replace=MAX_STRIDE.replace("strides = kernel if stride is None", "strides = (1, 1) if stride is None")),
    Edit("average pooling leaves padded zeros out by default",
         find="count_include_pad: bool = True)", replace="count_include_pad: bool = False)"),
    Edit("receptive field ignores the strides of earlier layers", find="        jump *= stride\n", replace=""),
    Edit("Conv2d bound from C_in alone (kernel area left out of fan_in)",
         find="bound = 1 / math.sqrt(in_channels // groups * kh * kw)", replace="bound = 1 / math.sqrt(in_channels)"),
    Edit("Conv2d layer forgets its stride, padding, dilation and groups",
         find="return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)",
         replace="return conv2d(x, self.weight, self.bias)"),
    Edit("Conv2d draws the bias before the weight",
         find="        self.weight = Tensor.uniform(out_channels, in_channels // groups, kh, kw, low=-bound, high=bound)\n"
              "        self.bias = Tensor.uniform(out_channels, low=-bound, high=bound) if bias else None\n",
         replace="        self.bias = Tensor.uniform(out_channels, low=-bound, high=bound) if bias else None\n"
                 "        self.weight = Tensor.uniform(out_channels, in_channels // groups, kh, kw, low=-bound, high=bound)\n"),
    Edit("Conv2d builds a square kernel from the first entry of kernel_size",
         find='kh, kw = _pair(kernel_size, "kernel_size", 1)',
         replace='kh = kw = _pair(kernel_size, "kernel_size", 1)[0]'),
    Edit("Conv2d fan_in ignores groups",
         find="bound = 1 / math.sqrt(in_channels // groups * kh * kw)",
         replace="bound = 1 / math.sqrt(in_channels * kh * kw)"),
    Edit("Conv2d bias initialised to zeros",
         find="self.bias = Tensor.uniform(out_channels, low=-bound, high=bound) if bias else None",
         replace="self.bias = Tensor.zeros(out_channels) if bias else None"),
    Edit("max_pool2d allows padding up to kernel - 1 (windows of padding alone)",
         find='''    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"padding {padding!r} must be at most half of kernel_size {kernel_size!r}")
    strides = kernel if stride is None else _pair(stride, "stride", 1)
    return _windows(''',
         replace='''    if any(p >= k for p, k in zip(pad, kernel)):
        raise ValueError(f"padding {padding!r} must be at most half of kernel_size {kernel_size!r}")
    strides = kernel if stride is None else _pair(stride, "stride", 1)
    return _windows('''),
    Edit("avg_pool2d(count_include_pad=False) counts the nonzero cells",
         find="counts = _windows(x.ones_like(), kernel, strides, pad, (1, 1), 0.0).sum(axis=(-2, -1))",
         replace="counts = (_windows(x, kernel, strides, pad, (1, 1), 0.0) != 0).sum(axis=(-2, -1))"),
    Edit("receptive_field validates the stride only",
         find='''        if len(layer) != 3 or not all(isinstance(v, int) for v in layer) or min(layer) < 1:
            raise ValueError(f"each layer is (kernel, stride, dilation) with ints >= 1, got {layer!r}")
        kernel, stride, dilation = layer
''',
         replace='''        kernel, stride, dilation = layer
        if stride < 1:
            raise ValueError(f"each layer is (kernel, stride, dilation) with ints >= 1, got {layer!r}")
'''),
    Edit("avg_pool2d(count_include_pad=False): only the first and last windows lose `padding` cells",
         find="    counts = _windows(x.ones_like(), kernel, strides, pad, (1, 1), 0.0).sum(axis=(-2, -1))\n",
         replace="""    ho, wo = sums.shape[2:]
    real = [[k - p * (i == 0) - p * (i == m - 1) for i in range(m)] for k, p, m in zip(kernel, pad, (ho, wo))]
    counts = Tensor(real[0]).reshape(ho, 1).float() * Tensor(real[1]).reshape(1, wo).float()
"""),
    Edit("output channels assigned to groups round-robin (o % G) instead of in blocks",
         find="    kernels = w.reshape(groups, c_out // groups, c_group * kh * kw).permute(0, 2, 1)\n"
              "    out = (cols @ kernels).permute(0, 1, 3, 2).reshape(n, c_out, ho, wo)",
         replace="    kernels = w.reshape(c_out // groups, groups, c_group * kh * kw).permute(1, 2, 0)\n"
                 "    out = (cols @ kernels).permute(0, 3, 1, 2).reshape(n, c_out, ho, wo)"),
    Edit("window check ignores the padding (a dilated kernel wider than the unpadded input is refused)",
         find="        if d * (k - 1) + 1 > n + 2 * p:", replace="        if d * (k - 1) + 1 > n:"),
]

ALTERNATIVES = [
    Edit("conv2d as a sum over kernel taps of shifted slices times weights (no im2col matrix)",
         find=IM2COL + """    out = (cols @ kernels).permute(0, 1, 3, 2).reshape(n, c_out, ho, wo)
""", replace="""    (sh, sw), (ph, pw), (dh, dw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0), \\
        _pair(dilation, "dilation", 1)
    ho = conv_output_size(x.shape[2], kh, sh, ph, dh)
    wo = conv_output_size(x.shape[3], kw, sw, pw, dw)
    xp = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)))
    xp = xp.reshape(n, groups, 1, c_group, *xp.shape[2:])
    wg = w.reshape(1, groups, c_out // groups, c_group, kh, kw)
    out = None
    for u in range(kh):
        for v in range(kw):
            shifted = xp[:, :, :, :, u * dh:u * dh + sh * (ho - 1) + 1:sh, v * dw:v * dw + sw * (wo - 1) + 1:sw]
            term = (shifted * wg[:, :, :, :, u:u + 1, v:v + 1]).sum(axis=3)
            out = term if out is None else out + term
    out = out.reshape(n, c_out, ho, wo)
""", then=Edit("(drop the unused windows)", find="""    cols = _windows(x, (kh, kw), _pair(stride, "stride", 1), _pair(padding, "padding", 0),
                    _pair(dilation, "dilation", 1), 0.0)
    ho, wo = cols.shape[2:4]
""", replace="")),
    Edit("im2col rows in (kH, kW, C) order with the kernels permuted to match",
         find=IM2COL, replace="""    cols = cols.reshape(n, groups, c_group, ho, wo, kh, kw).permute(0, 1, 3, 4, 5, 6, 2)
    cols = cols.reshape(n, groups, ho * wo, kh * kw * c_group)
    kernels = w.reshape(groups, c_out // groups, c_group, kh, kw).permute(0, 3, 4, 2, 1)
    kernels = kernels.reshape(groups, kh * kw * c_group, c_out // groups)
"""),
    Edit("max pooling from two Tensor.unfold calls", find=MAX_STRIDE, replace="""    strides = kernel if stride is None else _pair(stride, "stride", 1)
    if x.ndim != 4:
        raise ValueError(f"input must be (N, C, H, W), got shape {x.shape}")
    for axis in (0, 1):
        conv_output_size(x.shape[2 + axis], kernel[axis], strides[axis], pad[axis])
    x = x.pad(((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])), value=float("-inf"))
    return x.unfold(2, kernel[0], strides[0]).unfold(3, kernel[1], strides[1])"""),
    Edit("Conv2d weight from Tensor.kaiming_uniform(a=sqrt(5)) (the same uniform draw)",
         find="self.weight = Tensor.uniform(out_channels, in_channels // groups, kh, kw, low=-bound, high=bound)",
         replace="self.weight = Tensor.kaiming_uniform(out_channels, in_channels // groups, kh, kw, a=math.sqrt(5))"),
    Edit("avg_pool2d(count_include_pad=False) divides by real-cell counts worked out per axis in Python",
         find="    counts = _windows(x.ones_like(), kernel, strides, pad, (1, 1), 0.0).sum(axis=(-2, -1))\n",
         replace="""    ho, wo = sums.shape[2:]
    real = [[min(i * s - p + k, n) - max(i * s - p, 0) for i in range(m)]
            for n, k, s, p, m in zip(x.shape[2:], kernel, strides, pad, (ho, wo))]
    counts = Tensor(real[0]).reshape(ho, 1).float() * Tensor(real[1]).reshape(1, wo).float()
"""),
    Edit("avg_pool2d(count_include_pad=False) as the zero-padded mean over the mean of a ones mask",
         find="""    counts = _windows(x.ones_like(), kernel, strides, pad, (1, 1), 0.0).sum(axis=(-2, -1))
    return sums / counts
""", replace="""    share = _windows(x.ones_like(), kernel, strides, pad, (1, 1), 0.0).mean(axis=(-2, -1))
    return sums / (kernel[0] * kernel[1]) / share
"""),
]
