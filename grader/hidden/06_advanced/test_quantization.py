"""Hidden checks for Exercise 6.3: INT8 scales and codes, observers, the int32 matmul, QuantizedLinear
and the straight-through fake quantisation against NumPy oracles (float64 or int64 arithmetic)."""
import numpy as np
from tinygrad import Tensor, dtypes

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise

mine = exercise("6.3")

IN, OUT, N = 6, 5, 4          # one weight shape (IN, OUT) and one batch shape (N, IN) everywhere
COLUMN_SIZES = np.array([0.02, 1.0, 7.0, 0.3, 2.5], dtype=np.float32)   # channels of very different size


def _weight(rng) -> np.ndarray:
    return (rng.normal(size=(IN, OUT)) * COLUMN_SIZES).astype(np.float32)


def _np_scale(w: np.ndarray, axis) -> np.ndarray:
    """The oracle's scale: max|w| / 127 over every axis but `axis` (all of them for None), 1 for 0."""
    if axis is None:
        amax = np.abs(w).max()
    else:
        others = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
        amax = np.abs(w).max(axis=others, keepdims=True)
    return np.asarray(np.where(amax > 0, amax / np.float32(127), np.float32(1)), dtype=np.float32)


def _np_codes(x: np.ndarray, scale) -> np.ndarray:
    return np.clip(np.round(x / np.asarray(scale, np.float32)), -127, 127).astype(np.int8)


def _array(t) -> np.ndarray:
    return t.numpy() if isinstance(t, Tensor) else np.asarray(t)


def _assert_codes(got, x, scale, what: str) -> None:
    """Codes equal to the oracle's; where x / scale lies within 1e-3 of a tie (.5), a float rounding
    of another correct formula (x * (1 / scale)) may land on either neighbour, and both count."""
    want = _np_codes(x, scale)
    g = _array(got)
    if g.shape == want.shape and g.dtype.kind in "iu":
        ratio = np.abs(x / np.asarray(scale, np.float32))
        near_tie = np.abs(ratio % 1 - 0.5) < 1e-3
        want = np.where(near_tie & (np.abs(g.astype(np.int64) - want) <= 1), g, want).astype(np.int8)
    assert_matches(got, want, what=what)


def test_scales_and_codes_per_tensor_and_per_channel():
    rng = np.random.default_rng(61)
    w = _weight(rng)
    w[:, 3] = 0.0                                         # an all-zero output channel
    for axis in (1, -1, 0, None):
        q, scale = mine.quantize(Tensor(w), axis=axis)
        name = "per-tensor" if axis is None else f"axis={axis}"
        assert_matches(scale, _np_scale(w, axis), rtol=1e-6, atol=0,
                       what=f"scale of quantize(w, {name}) for a (6, 5) float32 w with a zero column")
        _assert_codes(q, w, _np_scale(w, axis), what=f"codes q of quantize(w, {name}) (int8)")
    cube = (rng.normal(size=(3, 4, 2)) * np.array([0.1, 1.0, 5.0])[:, None, None]).astype(np.float32)
    q, scale = mine.quantize(Tensor(cube), axis=0)
    assert_matches(scale, _np_scale(cube, 0), rtol=1e-6, atol=0,
                   what="scale of quantize(w, axis=0) for a (3, 4, 2) w (max over axes 1 and 2)")
    _assert_codes(q, cube, _np_scale(cube, 0), what="codes of quantize(w, axis=0) for a (3, 4, 2) w")
    assert_raises(ValueError, mine.quantize, Tensor(w), axis=2, what="quantize of a 2-D w with axis=2")
    assert_raises(ValueError, mine.quantize, Tensor(w), axis=-3, what="quantize of a 2-D w with axis=-3")
    assert_raises(ValueError, mine.quantize, Tensor(np.ones((IN, OUT), np.int32)),
                  what="quantize of an int32 tensor")


def test_quantize_float16_weights_gives_float32_scales():
    w = _weight(np.random.default_rng(62)).astype(np.float16)
    for axis in (1, None):
        q, scale = mine.quantize(Tensor(w), axis=axis)
        name = "per-tensor" if axis is None else f"axis={axis}"
        if scale.dtype != dtypes.float32:
            raise Mismatch(f"quantize(w, {name}) of a float16 w gave a {scale.dtype} scale. "
                           "The docstring: scale is float32.")
        want = _np_scale(w.astype(np.float32), axis)
        assert_matches(scale, want, rtol=1e-6, atol=0, what=f"scale of quantize(w, {name}), float16 w")
        _assert_codes(q, w.astype(np.float32), want, what=f"codes of quantize(w, {name}), float16 w")


def test_boundaries_exact_maximum_ties_negative_maximum_and_zero_channel():
    w = np.zeros((IN, OUT), np.float32)
    w[:, 0] = [127.0, 0.5, 1.5, 2.5, -3.5, -126.5]     # scale 1.0: every ratio is exact, ties included
    w[:, 1] = [63.5, 0.25, 0.75, -1.25, 62.25, 0.0]     # scale 0.5: ties at .25, .75, 1.25, 62.25
    w[:, 2] = [0.3, -0.9, 0.1, 0.2, -0.5, 0.4]          # the maximum |w| is negative: code -127
    w[:, 4] = [1e-3, 2.5e-3, -3e-3, 7e-4, 0.0, 1e-4]    # tiny values: a scale of their own
    q, scale = mine.quantize(Tensor(w), axis=1)
    assert_matches(scale, _np_scale(w, 1), rtol=1e-6, atol=0,
                   what="per-channel scale with an all-zero column 3 (its scale must be 1.0)")
    want = _np_codes(w, _np_scale(w, 1))
    assert_matches(q, want, what="per-channel codes at the boundaries: max |w| -> +-127 exactly, "
                                 "ties .5 -> even, an all-zero column -> 0")
    back = mine.dequantize(q, scale)
    assert_matches(back, want.astype(np.float32) * _np_scale(w, 1), rtol=1e-6, atol=0,
                   what="dequantize of those codes (the zero column must come back as 0, not NaN)")


def test_given_scale_saturates_at_plus_minus_127():
    rng = np.random.default_rng(63)
    x = (rng.normal(size=(N, IN)) * 2.0).astype(np.float32)
    x[0, :3] = [300.0, -300.0, -1.0e6]                  # far beyond the range: no wrap-around, no -128
    x[1, :2] = [-127.6, 127.6]                          # just beyond: -128 must not appear
    col = np.array([[0.01, 0.02, 0.03, 0.05, 0.1, 0.2]], np.float32)     # one scale per column of x
    bad = col.copy()
    bad[0, 2] = 0.0                                     # one bad entry among positive scales
    assert_raises(ValueError, mine.quantize_with_scale, Tensor(x), Tensor(bad),
                  what="quantize_with_scale with a (1, 6) scale Tensor holding one 0 (each must be > 0)")
    assert_raises(ValueError, mine.quantize_with_scale, Tensor(x), 0.0, what="quantize_with_scale with scale 0")
    assert_raises(ValueError, mine.quantize_with_scale, Tensor(x), -0.5,
                  what="quantize_with_scale with scale -0.5")
    q = mine.quantize_with_scale(Tensor(x), 1.0)
    _assert_codes(q, x, 1.0, what="quantize_with_scale(x, 1.0) for values beyond +-127")
    q = mine.quantize_with_scale(Tensor(x), Tensor(col))
    _assert_codes(q, x, col, what="quantize_with_scale(x, scales) with a (1, 6) scale Tensor")


def test_dequantize_multiplies_codes_by_their_scales():
    rng = np.random.default_rng(64)
    codes = rng.integers(-127, 128, size=(IN, OUT)).astype(np.int8)
    scale = (rng.uniform(0.001, 0.1, size=(1, OUT))).astype(np.float32)
    got = mine.dequantize(Tensor(codes), Tensor(scale))
    assert_matches(got, codes.astype(np.float32) * scale, rtol=1e-6, atol=0,
                   what="dequantize(q, scale) for (6, 5) int8 codes and a (1, 5) scale (float32)")
    got = mine.dequantize(Tensor(codes), 0.25)
    assert_matches(got, codes.astype(np.float32) * np.float32(0.25), rtol=1e-6, atol=0,
                   what="dequantize(q, 0.25) with a Python float scale")
    assert_raises(ValueError, mine.dequantize, Tensor(codes.astype(np.int32)), 0.25,
                  what="dequantize of int32 codes")
    half = mine.dequantize(Tensor(codes), Tensor(scale.astype(np.float16)))    # the dtype only: nothing runs
    if half.dtype != dtypes.float32:
        raise Mismatch(f"dequantize(q, float16 scale Tensor) gave {half.dtype}; the values are float32 "
                       "whatever the scale's dtype")


def test_int8_matmul_is_exact_where_int8_int16_and_float32_are_not():
    rng = np.random.default_rng(65)
    magnitude = rng.integers(100, 128, size=(N, IN))
    a = np.where(rng.random((N, IN)) < 0.3, -magnitude, magnitude).astype(np.int8)
    b = rng.integers(100, 128, size=(IN, OUT)).astype(np.int8)
    got = mine.int8_matmul(Tensor(a), Tensor(b))
    assert_matches(got, (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32),
                   what="int8_matmul of (4, 6) and (6, 5) codes near +-127 (sums overflow int8 and int16)")
    big_a = np.full((2, 4096), 127, np.int8)
    big_b = rng.integers(100, 128, size=(4096, 3)).astype(np.int8)
    got = mine.int8_matmul(Tensor(big_a), Tensor(big_b))
    assert_matches(got, (big_a.astype(np.int64) @ big_b.astype(np.int64)).astype(np.int32),
                   what="int8_matmul with K = 4096 (sums near 6e7: float32 accumulation is inexact)")
    assert_raises(ValueError, mine.int8_matmul, Tensor(a.astype(np.float32)), Tensor(b),
                  what="int8_matmul of a float32 and an int8 matrix")
    assert_raises(ValueError, mine.int8_matmul, Tensor(a), Tensor(b[:4]),
                  what="int8_matmul of (4, 6) and (4, 5)")


def _batches(rng):
    """Three batches of different sizes with heavy tails; the largest |x| is a negative value."""
    sizes = [(N, IN), (2, IN), (7, IN)]
    out = [(rng.standard_t(3, size=s) * 0.5).astype(np.float32) for s in sizes]
    out[0][0, 0] = -9.0
    out[2][1, 1] = 4.0
    return out


def test_minmax_observer_over_batches():
    rng = np.random.default_rng(66)
    batches = _batches(rng)
    obs = mine.MinMaxObserver()
    for b in batches:
        obs.observe(Tensor(b))
    lo, hi = min(b.min() for b in batches), max(b.max() for b in batches)
    assert_matches(np.array([obs.lo, obs.hi], np.float64), np.array([lo, hi], np.float64), rtol=1e-6,
                   what="(lo, hi) of a MinMaxObserver after three batches (running min and max)")
    assert_matches(obs.scale(), max(abs(lo), abs(hi)) / 127, rtol=1e-6,
                   what="MinMaxObserver.scale() when the largest |x| is a negative value")
    zeros = mine.MinMaxObserver()
    zeros.observe(Tensor(np.zeros((N, IN), np.float32)))
    assert_matches(zeros.scale(), 1.0, rtol=0, what="MinMaxObserver.scale() after an all-zero batch")
    assert_raises(ValueError, mine.MinMaxObserver().scale, what="MinMaxObserver.scale() before any batch")
    # a running min or max of exactly 0 is a value, not "nothing seen yet"
    rng = np.random.default_rng(65)
    first = rng.uniform(0, 1, (N, IN)).astype(np.float32)
    first[0, 0], first[1, 1] = 0.0, 1.0
    for sign, name in ((1, "lo"), (-1, "hi")):
        obs = mine.MinMaxObserver()
        obs.observe(Tensor(sign * first))                           # [0, 1], then [-1, 0]
        obs.observe(Tensor(sign * (first * 1.5 + 0.5)))             # [0.5, 2], then [-2, -0.5]
        want = np.array([0.0, 2.0] if sign > 0 else [-2.0, 0.0])
        assert_matches(np.array([obs.lo, obs.hi], np.float64), want, rtol=1e-6, atol=0,
                       what=f"(lo, hi) after batches {'[0, 1], [0.5, 2]' if sign > 0 else '[-1, 0], [-2, -0.5]'}"
                            f" ({name} = 0 must stay)")
        alone = mine.MinMaxObserver()                               # a range that does not hold 0
        alone.observe(Tensor(sign * (first * 1.5 + 0.5)))
        assert_matches(np.array([alone.lo, alone.hi], np.float64),
                       np.array([0.5, 2.0] if sign > 0 else [-2.0, -0.5]), rtol=1e-6, atol=0,
                       what=f"(lo, hi) after one batch {'[0.5, 2]' if sign > 0 else '[-2, -0.5]'} (the running "
                            f"range starts at the first batch, not at 0)")


def test_percentile_observer_matches_numpy_percentile_of_all_batches():
    rng = np.random.default_rng(67)
    batches = _batches(rng)
    pooled = np.abs(np.concatenate([b.ravel() for b in batches]))
    for percentile in (90.0, 99.5, 100.0):
        obs = mine.PercentileObserver(percentile=percentile)
        for b in batches:
            obs.observe(Tensor(b))
        assert_matches(obs.scale(), float(np.percentile(pooled, percentile)) / 127, rtol=1e-6,
                       what=f"PercentileObserver({percentile}).scale() after three batches of 24, 12 "
                            f"and 42 values (np.percentile of |x| over all of them)")
    assert_raises(ValueError, mine.PercentileObserver, percentile=0.0, what="PercentileObserver(percentile=0)")
    assert_raises(ValueError, mine.PercentileObserver, percentile=101.0,
                  what="PercentileObserver(percentile=101)")
    assert_raises(ValueError, mine.PercentileObserver().scale, what="PercentileObserver.scale() before any batch")
    # observe records a copy: writing new values into the batch's buffer afterwards changes nothing
    x = Tensor(batches[0].copy()).realize()
    obs = mine.PercentileObserver(percentile=90.0)
    obs.observe(x)
    x.assign(Tensor(batches[0] * 100.0)).realize()
    assert_matches(obs.scale(), float(np.percentile(np.abs(batches[0]), 90.0)) / 127, rtol=1e-6,
                   what="PercentileObserver(90).scale() after the observed tensor was changed by assign "
                        "(observe keeps a copy)")


def _layer_inputs(rng):
    w, b = _weight(rng), rng.normal(size=OUT).astype(np.float32)
    x = (rng.normal(size=(N, IN)) * 1.5).astype(np.float32)
    return w, b, x


def test_quantized_linear_weight_only_forward():
    rng = np.random.default_rng(68)
    w, b, x = _layer_inputs(rng)
    layer = mine.QuantizedLinear(Tensor(w), Tensor(b))
    scale = _np_scale(w, 1)
    _assert_codes(layer.weight, w, scale, what="QuantizedLinear.weight (int8 per-output-channel codes of W)")
    assert_matches(layer.scale, scale.reshape(OUT), rtol=1e-6, atol=0,
                   what="QuantizedLinear.scale (float32, one per output channel, shape (out,))")
    assert_matches(layer.bias, b, rtol=0, atol=0, what="QuantizedLinear.bias (float32, kept as given)")
    want = x.astype(np.float64) @ (_np_codes(w, scale).astype(np.float64) * scale) + b
    got = layer(Tensor(x))
    assert_matches(got, want.astype(np.float32), rtol=1e-5, atol=1e-5,
                   what="QuantizedLinear(W, b)(x) without input_scale (x @ dequantized W + b)")
    assert_matches(layer(Tensor(x)), got, rtol=0, atol=0, what="a second call on the same x (no state)")
    plain = mine.QuantizedLinear(Tensor(w))
    assert_matches(plain(Tensor(x)), (want - b).astype(np.float32), rtol=1e-5, atol=1e-5,
                   what="QuantizedLinear(W) without a bias")
    assert_raises(ValueError, layer, Tensor(x[:, :4]), what="QuantizedLinear with 6 inputs called on (4, 4)")
    assert_raises(ValueError, mine.QuantizedLinear, Tensor(w), Tensor(b[:3]), what="a bias of shape (3,) for 5 outputs")
    assert_raises(ValueError, mine.QuantizedLinear, Tensor(w), Tensor(b), input_scale=0.0,
                  what="QuantizedLinear with input_scale=0")


def test_quantized_linear_int8_inputs_match_an_integer_oracle():
    rng = np.random.default_rng(69)
    w, b, x = _layer_inputs(rng)
    x[0, 0], x[1, 1] = -9.0, 9.0                          # beyond 127 * s_x: saturate at -127 and 127
    s_x = 2.0 / 127
    layer = mine.QuantizedLinear(Tensor(w), Tensor(b), input_scale=s_x)
    scale = _np_scale(w, 1)
    acc = _np_codes(x, np.float32(s_x)).astype(np.int64) @ _np_codes(w, scale).astype(np.int64)
    want = acc.astype(np.float64) * (s_x * scale.astype(np.float64)) + b
    assert_matches(layer(Tensor(x)), want.astype(np.float32), rtol=1e-5, atol=1e-5,
                   what="QuantizedLinear(W, b, input_scale=2/127)(x) with some x beyond +-2 (w8a8)")


def test_nbytes_counts_int8_codes_scales_and_bias():
    rng = np.random.default_rng(70)
    w, b, _ = _layer_inputs(rng)
    with_bias, without = mine.QuantizedLinear(Tensor(w), Tensor(b)), mine.QuantizedLinear(Tensor(w))
    got = np.array([with_bias.nbytes(), without.nbytes()])
    if not all(isinstance(n, (int, np.integer)) for n in got.tolist()):
        raise Mismatch("nbytes() must return a Python int")
    assert_matches(got, np.array([IN * OUT + 4 * OUT + 4 * OUT, IN * OUT + 4 * OUT]),
                   what="nbytes() of a (6, 5) QuantizedLinear with and without a bias")
    half = mine.QuantizedLinear(Tensor(w.astype(np.float16)), Tensor(b.astype(np.float16)))
    if half.bias.dtype != dtypes.float32 or half.scale.dtype != dtypes.float32:
        raise Mismatch(f"QuantizedLinear of a float16 W and bias stores bias {half.bias.dtype}, scale "
                       f"{half.scale.dtype}. The docstring: both float32.")
    assert_matches(np.array([half.nbytes()]), np.array([IN * OUT + 4 * OUT + 4 * OUT]),
                   what="nbytes() of a (6, 5) QuantizedLinear from a float16 W and bias")


def test_fake_quantize_forward_and_straight_through_gradient():
    rng = np.random.default_rng(71)
    x = (rng.normal(size=(N, OUT)) * 1.2).astype(np.float32)
    x[0, :2] = [3.0, -3.0]                                 # outside the range of both scales below
    upstream = rng.normal(size=(N, OUT)).astype(np.float32)
    half = mine.fake_quantize(Tensor(x.astype(np.float16)), 0.01)              # the dtype only: nothing runs
    if half.dtype != dtypes.float32:
        raise Mismatch(f"fake_quantize of a float16 x gave {half.dtype}; the docstring asks for float32")
    assert_raises(ValueError, mine.fake_quantize, Tensor(x), 0.0, what="fake_quantize with scale 0")
    assert_raises(ValueError, mine.fake_quantize, Tensor(x), Tensor(np.array([[0.01, 0.02, -0.005, 0.015, 0.008]],
                  np.float32)), what="fake_quantize with a (1, 5) scale Tensor holding one negative scale")
    ties = np.array([[0.5, 1.5, 2.5, -0.5, -2.5], [-3.5, 126.5, -126.5, 4.5, 0.0],
                     [5.5, -5.5, 127.5, -127.5, 6.5], [0.25, -1.5, 3.5, -4.5, 7.5]], np.float32)   # (N, OUT)
    assert_matches(mine.fake_quantize(Tensor(ties), 1.0), _np_codes(ties, 1.0).astype(np.float32), rtol=0, atol=0,
                   what="fake_quantize(x, 1.0) of x at exact halves (round half to even, as quantize does)")
    for scale, name in ((np.float32(0.01), "scale 0.01"),
                        (np.array([[0.01, 0.02, 0.005, 0.015, 0.008]], np.float32), "a (1, 5) scale")):
        assert not np.isclose(np.abs(x), 127 * scale, rtol=1e-4).any()   # no value on the boundary
        xt = Tensor(x)
        out = mine.fake_quantize(xt, float(scale) if scale.ndim == 0 else Tensor(scale))
        (out * Tensor(upstream)).sum().backward()
        if xt.grad is None:
            raise Mismatch(f"fake_quantize(x, {name}): no gradient reached x")
        Tensor.realize(out, xt.grad)                       # forward and gradient in one schedule
        assert_matches(out, _np_codes(x, scale).astype(np.float32) * scale, rtol=1e-5, atol=1e-6,
                       what=f"fake_quantize(x, {name}) forward (quantise, then dequantise)")
        inside = (np.abs(x) <= 127 * scale).astype(np.float32)
        assert_matches(xt.grad, upstream * inside, rtol=1e-6, atol=1e-7,
                       what=f"gradient of sum(g * fake_quantize(x, {name})) (straight through inside "
                            f"the range, 0 where x was clipped)")


def test_straight_through_gradient_includes_the_boundary():
    # d out / d x = 1 for -127 s <= x <= 127 s: the two ends themselves count as inside
    rng = np.random.default_rng(72)
    upstream = rng.normal(size=(N, OUT)).astype(np.float32)
    for scale, name in ((np.float32(0.01), "scale 0.01"),
                        (np.array([[0.01, 0.02, 0.005, 0.015, 0.008]], np.float32), "a (1, 5) scale")):
        limit = (np.broadcast_to(scale, (1, OUT)) * np.float32(127)).astype(np.float32)
        x = (rng.uniform(-0.9, 0.9, (N, OUT)) * limit).astype(np.float32)
        x[1], x[2] = limit[0], -limit[0]                   # exactly +-127 * scale
        x[3, :2] = 1.01 * limit[0, :2]                     # just outside
        xt = Tensor(x)
        out = mine.fake_quantize(xt, float(scale) if scale.ndim == 0 else Tensor(scale))
        (out * Tensor(upstream)).sum().backward()
        if xt.grad is None:
            raise Mismatch(f"fake_quantize(x, {name}): no gradient reached x")
        inside = (np.abs(x) <= limit).astype(np.float32)
        assert_matches(xt.grad, upstream * inside, rtol=1e-6, atol=1e-7,
                       what=f"straight-through gradient of fake_quantize(x, {name}) with x at exactly "
                            "+-127 * scale (inside: gradient 1)")
