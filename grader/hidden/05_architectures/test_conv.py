"""Hidden checks for Exercise 5.1: convolution and pooling against float64 NumPy loops that follow
tinygrad's built-ins (Tensor.conv2d, max_pool2d, avg_pool2d).

Every call into the learner's module runs inside `refuse_calls`, so a solution that reaches
Tensor.conv2d (directly or through tinygrad.nn.Conv2d) or the pooling built-ins fails. The oracles are
NumPy, so only the learner's graphs are scheduled; shapes are few and reused: tinygrad compiles per shape.
"""
import numpy as np
from tinygrad import Tensor, dtypes

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import attribute_uses, refuse_calls
from grader.target import exercise

mine = exercise("5.1")

BUILTINS = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"]
RULE = "build convolution and pooling from pad/unfold/reshape and a matmul, not tinygrad's built-ins"


def _learner(fn, *args, **kwargs):
    with refuse_calls(Tensor, BUILTINS, RULE):
        out = fn(*args, **kwargs)
        return out.numpy() if isinstance(out, Tensor) else out


def _pair(v):
    return (v, v) if isinstance(v, int) else v


def _np_conv(x, w, b, stride, padding, dilation, groups, upstream=None):
    """float64 cross-correlation by a loop over kernel taps; with `upstream` G also the gradients of
    sum(out * G) with respect to x, w and b."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    n, c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    og = c_out // groups
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c_out, ho, wo))
    gxp, gw = np.zeros_like(xp), np.zeros(w.shape)
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for u in range(kh):
            for v in range(kw):
                rows = slice(u * dh, u * dh + sh * (ho - 1) + 1, sh)
                cols = slice(v * dw, v * dw + sw * (wo - 1) + 1, sw)
                patch = xp[:, ins, rows, cols]
                tap = w[outs, :, u, v].astype(np.float64)
                out[:, outs] += np.einsum("nchw,oc->nohw", patch, tap)
                if upstream is not None:
                    gw[outs, :, u, v] += np.einsum("nchw,nohw->oc", patch, upstream[:, outs])
                    gxp[:, ins, rows, cols] += np.einsum("nohw,oc->nchw", upstream[:, outs], tap)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    if upstream is None:
        return out
    return out, gxp[:, :, ph:ph + h, pw:pw + wd], gw, upstream.sum(axis=(0, 2, 3))


def _np_pool(x, kernel, stride, padding, kind, count_include_pad=True):
    """float64 max or average pooling as tinygrad's max_pool2d / avg_pool2d (stride None: the kernel)."""
    (kh, kw), (ph, pw) = _pair(kernel), _pair(padding)
    sh, sw = _pair(kernel if stride is None else stride)
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho, wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    taps = [(slice(u, u + sh * (ho - 1) + 1, sh), slice(v, v + sw * (wo - 1) + 1, sw))
            for u in range(kh) for v in range(kw)]
    windows = np.stack([xp[:, :, r, c] for r, c in taps])
    if kind == "max":
        return windows.max(axis=0)
    if count_include_pad:
        return windows.sum(axis=0) / (kh * kw)
    real = np.pad(np.ones(x.shape[2:]), ((ph, ph), (pw, pw)))     # 1 on the input's cells, 0 on padding
    return windows.sum(axis=0) / sum(real[r, c] for r, c in taps)


def _data(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


# (x shape, w shape, stride, padding, dilation, groups, bias?) checked against Tensor.conv2d
TINYGRAD_CASES = [
    ((1, 3, 5, 6), (3, 1, 3, 3), 3, 2, 1, 3, False),            # depthwise, stride 3, padding 2
    ((2, 2, 6, 7), (5, 2, 2, 3), 1, 0, (1, 2), 1, True),        # H_out == C_out: bias per row shows
    ((1, 3, 5, 6), (3, 1, 3, 3), 3, 2, 3, 3, False),            # span 7 > 5 x 6 input, fits once padded
]


def test_conv2d_matches_tinygrad_and_source_avoids_the_builtins():
    rng = np.random.default_rng(51)
    for xs, ws, stride, padding, dilation, groups, bias in TINYGRAD_CASES:
        x, w = _data(rng, *xs), _data(rng, *ws)
        b = _data(rng, ws[0]) if bias else None
        what = (f"conv2d of x{xs} with w{ws}, stride={stride}, padding={padding}, "
                f"dilation={dilation}, groups={groups}, bias={'yes' if bias else 'no'}")
        got = _learner(mine.conv2d, Tensor(x), Tensor(w), None if b is None else Tensor(b),
                       stride=stride, padding=padding, dilation=dilation, groups=groups)
        want = _np_conv(x, w, b, stride, padding, dilation, groups)
        assert_matches(got.astype(np.float64), want, what=what, rtol=1e-4, atol=1e-4)
    uses = attribute_uses(mine, BUILTINS)
    if uses:
        raise Mismatch(f"the module reaches tinygrad's built-ins ({', '.join(uses)}): {RULE}")


def test_conv2d_int_and_pair_arguments_agree():
    rng = np.random.default_rng(52)
    xs, ws, stride, padding, dilation, groups, _ = TINYGRAD_CASES[0]
    x, w = Tensor(_data(rng, *xs)), Tensor(_data(rng, *ws))
    ints = _learner(mine.conv2d, x, w, None, stride, padding, dilation, groups)
    pairs = _learner(mine.conv2d, x, w, None, (stride,) * 2, (padding,) * 2, (dilation,) * 2, groups)
    assert_matches(pairs, ints, what="conv2d with (h, w) pairs against the same call with ints",
                   rtol=1e-6, atol=1e-6)


def test_conv2d_forward_and_gradients_match_numpy_loops():
    # an odd case: two groups, non-square everything, different stride/padding/dilation per axis
    rng = np.random.default_rng(53)
    x, w, b = _data(rng, 2, 4, 7, 6), _data(rng, 6, 2, 3, 2), _data(rng, 6)
    args = dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)
    what = "conv2d of x(2, 4, 7, 6), w(6, 2, 3, 2), stride (2, 1), padding (1, 2), dilation (2, 1), 2 groups"
    X, W, B = Tensor(x), Tensor(w), Tensor(b)
    with refuse_calls(Tensor, BUILTINS, RULE):
        out = mine.conv2d(X, W, B, **args)
        if not isinstance(out, Tensor):
            raise Mismatch(f"{what}: returned {type(out).__name__}; expected a Tensor")
        if out.dtype != dtypes.float32:
            raise Mismatch(f"{what}: dtype {out.dtype}; expected float32 for float32 inputs")
        upstream = rng.normal(size=out.shape)
        grads = (out * Tensor(upstream.astype(np.float32))).sum().gradient(X, W, B)
        Tensor.realize(out, *grads)                          # one schedule for the output and its gradients
        got = [out.numpy()] + [g.numpy() for g in grads]
    want = _np_conv(x, w, b, **args, upstream=upstream)
    for name, g, e in zip(("output", "dL/dx", "dL/dw", "dL/db"), got, want):
        assert_matches(g.astype(np.float64), e, what=f"{name} of {what}, L = sum(out * G)",
                       rtol=1e-4, atol=1e-4)


def test_conv2d_rejects_bad_input():
    x, w = Tensor.zeros(1, 4, 5, 5), Tensor.zeros(6, 2, 3, 3)
    bad = [
        ("3 groups for 4 input channels", (x, Tensor.zeros(6, 1, 3, 3)), dict(groups=3)),
        ("w with 2 input channels per group, x with 4 channels and 1 group", (x, w), {}),
        ("6 output channels in 4 groups", (x, Tensor.zeros(6, 1, 3, 3)), dict(groups=4)),
        ("a 3x3 kernel with dilation 3 on a 5x5 input", (x, w), dict(groups=2, dilation=3)),
        ("a 7x7 kernel on a 5x5 input padded by 0", (x, Tensor.zeros(6, 2, 7, 7)), dict(groups=2)),
        ("stride 0", (x, w), dict(groups=2, stride=0)),
        ("stride (1, -1)", (x, w), dict(groups=2, stride=(1, -1))),
        ("negative padding", (x, w), dict(groups=2, padding=-1)),
        ("a bias of 5 entries for 6 channels", (x, w, Tensor.zeros(5)), dict(groups=2)),
        ("a 3-D input", (Tensor.zeros(4, 5, 5), w), dict(groups=2)),
    ]
    for text, args, kwargs in bad:
        with refuse_calls(Tensor, BUILTINS, RULE):
            assert_raises(ValueError, mine.conv2d, *args, **kwargs, what=f"conv2d with {text}")


def test_pooling_matches_tinygrad_with_padding_and_strides():
    rng = np.random.default_rng(54)
    a = _data(rng, 2, 3, 7, 6) - 2.0           # mostly negative: a 0-padded border window shows
    x = Tensor(a)
    cases = [((3, 2), (2, 1), (1, 1)), (2, None, 0)]
    for kernel, stride, padding in cases:
        what = f"kernel {kernel}, stride {stride}, padding {padding} on a (2, 3, 7, 6) input"
        got = _learner(mine.max_pool2d, x, kernel, stride, padding)
        want = _np_pool(a, kernel, stride, padding, "max").astype(np.float32)
        assert_matches(got, want, what=f"max_pool2d, {what}", rtol=1e-6, atol=1e-6)
        got = _learner(mine.avg_pool2d, x, kernel, stride, padding)
        want = _np_pool(a, kernel, stride, padding, "avg").astype(np.float32)
        assert_matches(got, want, what=f"avg_pool2d (default: padded zeros count), {what}",
                       rtol=1e-5, atol=1e-6)


def test_avg_pool_without_padded_zeros():
    rng = np.random.default_rng(55)
    a = _data(rng, 2, 3, 7, 6) - 2.0
    x = Tensor(a)
    got = _learner(mine.avg_pool2d, x, (3, 2), (2, 1), (1, 1), count_include_pad=False)
    want = _np_pool(a, (3, 2), (2, 1), (1, 1), "avg", count_include_pad=False).astype(np.float32)
    assert_matches(got, want, what="avg_pool2d(count_include_pad=False), kernel (3, 2), stride (2, 1), "
                   "padding (1, 1)", rtol=1e-5, atol=1e-6)
    # 7 rows, kernel 2, stride 2, padding 1: the last window ends on real rows (no padding in it)
    got = _learner(mine.avg_pool2d, x, 2, 2, 1, count_include_pad=False)
    want = _np_pool(a, 2, 2, 1, "avg", count_include_pad=False).astype(np.float32)
    assert_matches(got, want, what="avg_pool2d(count_include_pad=False), kernel 2, stride 2, padding 1 on 7 x 6\n"
                   "(count the real cells of each window; an end window may hold no padding)", rtol=1e-5, atol=1e-6)
    # exact zeros in the input are real cells: they count (a window of zeros averages to 0)
    a = np.maximum(_data(rng, 2, 3, 7, 6), 0) * (np.arange(3) > 0)[:, None, None]
    got = _learner(mine.avg_pool2d, Tensor(a), (3, 2), (2, 1), (1, 1), count_include_pad=False)
    want = _np_pool(a, (3, 2), (2, 1), (1, 1), "avg", count_include_pad=False).astype(np.float32)
    assert_matches(got, want, what="avg_pool2d(count_include_pad=False) of an input with exact "
                   "zeros\n(zeros are real cells; only padding is left out)", rtol=1e-5, atol=1e-6)


def test_pooling_rejects_bad_input():
    x = Tensor.zeros(1, 1, 4, 4)
    for fn in (mine.max_pool2d, mine.avg_pool2d):
        name = fn.__name__
        with refuse_calls(Tensor, BUILTINS, RULE):
            assert_raises(ValueError, fn, x, 2, 0, what=f"{name} with stride 0")
            assert_raises(ValueError, fn, x, 5, what=f"{name} with a 5x5 window on a 4x4 input")
            assert_raises(ValueError, fn, x, 2, 1, 2, what=f"{name} with padding 2 for a 2x2 window")
            assert_raises(ValueError, fn, x, 3, 1, 2, what=f"{name} with padding 2 for a 3x3 window")
            assert_raises(ValueError, fn, x, (2, 3), 1, (0, 2),
                          what=f"{name} with padding (0, 2) for a (2, 3) window")
            assert_raises(ValueError, fn, Tensor.zeros(4, 4), 2, what=f"{name} of a 2-D input")


def test_conv_output_size_matches_hand_worked_values():
    # (size, kernel, stride, padding, dilation) -> floor((n + 2p - d(k-1) - 1) / s) + 1
    cases = {(32, 5, 1, 2, 1): 32, (7, 3, 2, 0, 1): 3, (8, 3, 2, 0, 1): 3, (8, 3, 3, 1, 1): 3,
             (10, 3, 1, 0, 2): 6, (10, 3, 3, 2, 2): 4, (5, 5, 1, 0, 1): 1, (1, 3, 2, 1, 1): 1,
             (224, 7, 2, 3, 1): 112, (9, 2, 4, 0, 3): 2}
    got = np.array([_learner(mine.conv_output_size, *args) for args in cases], dtype=np.int64)
    for (args, want), g in zip(cases.items(), got):
        assert_matches(np.array([g]), np.array([want]),
                       what="conv_output_size(size=%d, kernel=%d, stride=%d, padding=%d, dilation=%d)" % args)
    for args, text in [((4, 5, 1, 0, 1), "a kernel wider than the input"), ((5, 3, 0, 0, 1), "stride 0"),
                       ((5, 3, 1, -1, 1), "negative padding"), ((5, 3, 1, 0, 0), "dilation 0"),
                       ((6, 3, 1, 0, 3), "a dilated span of 7 on 6 cells")]:
        assert_raises(ValueError, mine.conv_output_size, *args, what=f"conv_output_size with {text}")


def test_conv_output_size_agrees_with_conv2d_shapes():
    # only shapes are compared: the inputs are Tensor.empty and the lazy output is never run
    for xs, ws, stride, padding, dilation, groups, bias in TINYGRAD_CASES:
        b = Tensor.empty(ws[0]) if bias else None
        with refuse_calls(Tensor, BUILTINS, RULE):
            out = mine.conv2d(Tensor.empty(*xs), Tensor.empty(*ws), b, stride, padding, dilation, groups)
        s, p, d = _pair(stride), _pair(padding), _pair(dilation)
        sizes = [mine.conv_output_size(xs[2 + a], ws[2 + a], s[a], p[a], d[a]) for a in (0, 1)]
        assert_matches(np.array(sizes), np.array(out.shape[2:]),
                       what=f"conv_output_size along H and W for x{xs}, w{ws} against conv2d's output")


def test_receptive_field_matches_hand_worked_values():
    cases = [
        ([], 1),
        ([(3, 1, 1)] * 3, 7),
        ([(3, 2, 1), (3, 2, 1), (3, 1, 1)], 15),                 # strides multiply: 1 + 2 + 4 + 8
        ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),                 # dilations 1, 2, 4
        ([(3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)], 10),      # conv, conv, pool, conv
        ([(5, 2, 1), (3, 1, 2), (3, 2, 1), (3, 1, 1)], 25),      # 1 + 4 + 2*2*2 + 2*2 + 2*4
        ([(7, 2, 1), (3, 2, 1), (3, 1, 1)], 19),                 # stem: 1 + 6 + 2*2 + 4*2
    ]
    for layers, want in cases:
        got = _learner(mine.receptive_field, layers)
        assert_matches(np.array([got]), np.array([want]), what=f"receptive_field({layers})")
    bad = [([(3, 0, 1)], "stride 0"), ([(0, 1, 1)], "kernel 0"), ([(3, 1, 1), (3, 1, 0)], "dilation 0"),
           ([(3.0, 1, 1)], "a float kernel 3.0"), ([(3, 1, 1), (3, 2.0, 1)], "a float stride 2.0"),
           ([(3, 1)], "an entry of two ints")]
    for layers, text in bad:
        assert_raises(ValueError, mine.receptive_field, layers, what=f"receptive_field with {text}")


def _same_draws(layer, seed, c_in, c_out, kernel, groups):
    """The layer's weight and bias are the docstring's draws after the same manual_seed:
    Tensor.uniform on +-1/sqrt(C_in/groups * kH * kW), weight first, then bias."""
    bound = 1 / float(np.sqrt(c_in // groups * kernel[0] * kernel[1]))
    Tensor.manual_seed(seed)
    want = {"weight": Tensor.uniform(c_out, c_in // groups, *kernel, low=-bound, high=bound),
            "bias": Tensor.uniform(c_out, low=-bound, high=bound)}
    call = f"Conv2d({c_in}, {c_out}, {kernel}, groups={groups})"
    for name in ("weight", "bias"):
        got = getattr(layer, name)
        if got is None or tuple(got.shape) != tuple(want[name].shape):
            raise Mismatch(f"{call}.{name}: shape {None if got is None else got.shape}; "
                           f"expected {want[name].shape}")
        if not np.allclose(got.numpy(), want[name].numpy(), rtol=1e-5, atol=1e-7):
            raise Mismatch(f"{call}.{name} after Tensor.manual_seed({seed}) is not the\n"
                           "documented draw. Draw the weight first, then the bias, each\n"
                           "with Tensor.uniform(low=-b, high=b), b = 1/sqrt(C_in/groups*kH*kW).")


def test_conv2d_layer_initialisation_and_forward():
    Tensor.manual_seed(57)
    layer = _learner(mine.Conv2d, 6, 32, (3, 2))
    _same_draws(layer, 57, 6, 32, (3, 2), 1)
    bound = 1 / np.sqrt(6 * 3 * 2)
    w = layer.weight.numpy()
    if tuple(w.shape) != (32, 6, 3, 2) or layer.bias is None or tuple(layer.bias.shape) != (32,):
        raise Mismatch(f"Conv2d(6, 32, (3, 2)): weight {w.shape} and bias "
                       f"{None if layer.bias is None else layer.bias.shape}; expected (32, 6, 3, 2) and (32,)")
    assert_matches(np.array([np.abs(w).max() <= bound]), np.array([True]),
                   what="every weight of Conv2d(6, 32, (3, 2)) within 1/sqrt(fan_in)")
    assert_matches(np.array([float(w.std())]), np.array([bound / np.sqrt(3)]), rtol=0.1,
                   what="std of Conv2d(6, 32, (3, 2)) weights (uniform on +-1/sqrt(fan_in))")
    assert_matches(np.array([np.abs(layer.bias.numpy()).max() <= bound]), np.array([True]),
                   what="every bias of Conv2d(6, 32, (3, 2)) within 1/sqrt(fan_in)")
    # the layer applies conv2d with its own settings (same shapes as the NumPy-loop case above)
    rng = np.random.default_rng(58)
    Tensor.manual_seed(58)
    layer = _learner(mine.Conv2d, 4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)
    _same_draws(layer, 58, 4, 6, (3, 2), 2)
    x = _data(rng, 2, 4, 7, 6)
    got = _learner(layer, Tensor(x))
    want = _np_conv(x, layer.weight.numpy(), layer.bias.numpy(), (2, 1), (1, 2), (2, 1), 2)
    assert_matches(got.astype(np.float64), want, rtol=1e-4, atol=1e-4,
                   what="Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)(x)")
    if len(layer.parameters()) != 2 or len(mine.Conv2d(2, 2, 1, bias=False).parameters()) != 1:
        raise Mismatch("parameters() should return [weight, bias], or [weight] for bias=False")
