"""Hidden checks for Exercise 6.2: the loss scaler's state machine against the reference on scripted
sequences, unscaling and inf/NaN detection, skipped steps that leave the master weights and the
optimizer state alone, float32 master weights, and a short float16 training run against a float32
NumPy run of the same network."""
import numpy as np
from tinygrad import Tensor, dtypes
from tinygrad.nn import optim

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("6.2"), reference("6.2")


def _state(s):
    return (float(s.scale), int(s.good_steps), int(s.skipped))


def _run_script(settings, script):
    got_scaler, want_scaler = mine.DynamicLossScaler(**settings), ref.DynamicLossScaler(**settings)
    for t, found_inf in enumerate(script, start=1):
        got_scaler.update(found_inf)
        want_scaler.update(found_inf)
        got, want = _state(got_scaler), _state(want_scaler)
        if got != want:
            past = "".join("x" if f else "." for f in script[:t])
            names = [n for n, g, w in zip(("scale", "good_steps", "skipped"), got, want) if g != w]
            raise Mismatch(f"DynamicLossScaler({settings}): after the steps {past!r} (x = inf/NaN found, "
                           f". = clean) {', '.join(names)} differ from the reference")


def test_scaler_state_machine_on_scripted_sequences():
    _run_script(dict(init_scale=256.0, growth_interval=3),
                [False, False, True, False, False, False, False, True, True, False, False, False])
    _run_script(dict(init_scale=2.0 ** 10, growth_interval=2, backoff_factor=0.25, growth_factor=4.0),
                [False, False, False, False, True, False, True, False, False])
    # the clamps: never below min_scale, never above max_scale
    _run_script(dict(init_scale=4.0, min_scale=2.0, max_scale=16.0, growth_interval=1),
                [True, True, True, False, False, False, False, False, True, False])
    rng = np.random.default_rng(62)
    for _ in range(25):
        settings = dict(init_scale=float(2.0 ** rng.integers(4, 20)), growth_interval=int(rng.integers(1, 5)),
                        min_scale=float(2.0 ** rng.integers(0, 4)), max_scale=float(2.0 ** 22))
        _run_script(settings, [bool(v) for v in rng.random(int(rng.integers(5, 30))) < rng.uniform(0.1, 0.6)])


def test_scaler_defaults_and_bad_settings():
    s = mine.DynamicLossScaler()
    s.update(False)
    if _state(s) != (2.0 ** 16, 1, 0):
        raise Mismatch("DynamicLossScaler(): after one clean step expected the initial scale 2^16 kept, "
                       "good_steps 1 and skipped 0 (defaults: growth_interval 2000)")
    for kwargs in (dict(init_scale=0.0), dict(growth_factor=1.0), dict(backoff_factor=1.0),
                   dict(backoff_factor=0.0), dict(growth_interval=0), dict(init_scale=0.5, min_scale=1.0),
                   dict(init_scale=4.0, max_scale=2.0), dict(init_scale=4.0, min_scale=0.0)):
        assert_raises(ValueError, mine.DynamicLossScaler, **kwargs, what=f"DynamicLossScaler({kwargs})")


def test_scale_loss_is_float32_and_unscale_finds_inf_and_nan():
    scaler = mine.DynamicLossScaler(init_scale=2.0 ** 16)
    loss16 = Tensor([3.0], dtype=dtypes.float16).reshape(())
    scaled = scaler.scale_loss(loss16)
    if scaled.dtype != dtypes.float32:
        raise Mismatch(f"scale_loss returned {scaled.dtype}; 2^16 * loss must be computed in float32")
    assert_matches(scaled.numpy(), np.float32(3.0 * 2 ** 16), what="scale_loss(3.0 as float16) with S = 2^16")
    rng = np.random.default_rng(7)
    g = (rng.normal(size=(3, 4)) * 2 ** 10).astype(np.float16)
    h = (rng.normal(size=4) * 2 ** 10).astype(np.float16)
    _check_unscale(scaler, g, h, 16)
    for bad, name in ((np.inf, "inf"), (-np.inf, "-inf"), (np.nan, "NaN")):
        h2 = h.copy()
        h2[2] = bad
        _, found = scaler.unscale([Tensor(g), Tensor(h2)])
        if found is not True and found is not np.True_:
            raise Mismatch(f"unscale did not report the {name} in the second gradient (found_inf={found!r})")
    if _state(scaler) != (2.0 ** 16, 0, 0):
        raise Mismatch("unscale changed the scaler's state; only update() should")
    big = g.astype(np.float32)
    big[0, 0] = 1e6 * 2 ** 16                          # a finite float32 gradient far beyond float16's range
    _, found = scaler.unscale([Tensor(big)])
    if found is not False and found is not np.False_:
        raise Mismatch(f"unscale reported found_inf={found!r} for a finite float32 gradient of 1e6 after "
                       "unscaling: only inf and NaN count, not values beyond float16's range")


def test_compute_copy_is_detached_from_the_master():
    master = Tensor([0.5, -1.5, 2.0, 1.0]).contiguous().realize()
    (copy,) = mine.compute_copy([master])
    try:
        (g,) = (copy.float() * 3.0).sum().gradient(master)
    except Exception:                                   # noqa: BLE001  no path to the master at all: fine
        return
    assert_matches(g.numpy(), np.zeros(4, np.float32), atol=0,
                   what="gradient reaching the master from a loss on its compute copy (the copy must be "
                        "detached: a lazy cast of the master passes gradients back to it)")


def test_unscale_divides_in_float32_for_large_scales():
    # S = 2^27 is beyond float16's range (and 1/S below it): the division must happen in float32
    scaler = mine.DynamicLossScaler(init_scale=2.0 ** 27, max_scale=2.0 ** 27)
    rng = np.random.default_rng(9)
    g = (rng.normal(size=(3, 4)) * 2 ** 10).astype(np.float16)
    h = (rng.normal(size=4) * 2 ** 10).astype(np.float32)
    _check_unscale(scaler, g, h, 27)


def _check_unscale(scaler, g, h, log2_scale):
    """unscale of the finite gradients g and h by S = 2^log2_scale: float32 results, no inf found."""
    unscaled, found = scaler.unscale([Tensor(g), Tensor(h)])
    if found is not False and found is not np.False_:
        raise Mismatch(f"unscale with S = 2^{log2_scale} reported found_inf={found!r} for finite gradients")
    for k, (u, x) in enumerate(zip(unscaled, (g, h))):
        if u.dtype != dtypes.float32:
            raise Mismatch(f"unscaled gradient {k + 1} is {u.dtype}; it should be float32")
        assert_matches(u.numpy(), x.astype(np.float32) / 2 ** log2_scale, rtol=1e-6, atol=0,
                       what=f"unscaled gradient {k + 1} of 2 ({x.dtype} input, S = 2^{log2_scale}: "
                       "divide in float32)")


def test_underflow_is_rescued_by_scaling():
    if not mine.underflows(2.0 ** -26) or mine.underflows(2.0 ** -23) or mine.underflows(0.25, dtypes.float32):
        raise Mismatch("underflows(value): expected True for 2^-26 and False for 2^-23 in float16, and False "
                       "for 0.25 in float32")
    if mine.underflows(1e-30, dtypes.float32) or not mine.underflows(1e-50, dtypes.float32):
        raise Mismatch("underflows in float32: 1e-30 fits, 1e-50 does not")
    # storing rounds to the nearest value: just above half the smallest subnormal rounds up to it
    for value, dtype, tiny in ((0.6 * 2.0 ** -24, dtypes.float16, "2^-24"), (-0.6 * 2.0 ** -24, dtypes.float16, "2^-24"),
                               (0.6 * 2.0 ** -149, dtypes.float32, "2^-149")):
        if mine.underflows(value, dtype):
            raise Mismatch(f"underflows({value:.3g}, {dtype}) is True, but 0.6 * {tiny} rounds to {tiny} "
                           "when stored. Underflow means it rounds to 0.")
    for value, dtype in ((0.4 * 2.0 ** -24, dtypes.float16), (0.4 * 2.0 ** -149, dtypes.float32)):
        if not mine.underflows(value, dtype):
            raise Mismatch(f"underflows({value:.3g}, {dtype}) is False; it rounds to 0 when stored")
    a = Tensor([2.0 ** -14], dtype=dtypes.float16).reshape(())     # a buffer, so no constant folding
    master = Tensor([0.5, -1.5, 2.0, 1.0]).contiguous()
    for scale, expected, what in ((1.0, 0.0, "without scaling (2^-28 is below float16's range)"),
                                  (2.0 ** 12, 2.0 ** -28, "with S = 2^12 (the gradient survives)")):
        scaler = mine.DynamicLossScaler(init_scale=scale)
        (copy,) = mine.compute_copy([master])
        if copy.dtype != dtypes.float16:
            raise Mismatch(f"compute_copy returned {copy.dtype}; float16 is the default")
        (grad,) = scaler.scale_loss((copy * a).sum() * a).gradient(copy)
        grad.realize()                                      # stored in float16
        (u,), found = scaler.unscale([grad])
        assert_matches(u.numpy(), np.full(4, expected, np.float32), what=f"float32 gradient {what}",
                       rtol=1e-3, atol=0)


def _adam_state(opt):
    return [t.numpy().copy() for t in (*opt.m, *opt.v, opt.b1_t, opt.b2_t)]


def test_overflow_step_leaves_master_and_optimizer_state_untouched():
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    master = Tensor(w0).contiguous().realize()
    opt = optim.Adam([master], lr=0.01)
    scaler = mine.DynamicLossScaler(init_scale=2.0 ** 8, growth_interval=3)
    target = Tensor(rng.normal(size=(3, 4)).astype(np.float32)).cast(dtypes.float16)
    clean = lambda ws: (ws[0] - target).square().sum()                  # noqa: E731  gradients ~ 2^9
    huge = lambda ws: (ws[0] - target).square().sum() * 1000.0           # noqa: E731  ~ 5e5: inf in float16
    loss, stepped = mine.mixed_precision_step(clean, [master], opt, scaler)
    if not stepped:
        raise Mismatch("mixed_precision_step skipped a step whose gradients were finite")
    after_clean, state = master.numpy().copy(), _adam_state(opt)
    for t in range(2):
        loss, stepped = mine.mixed_precision_step(huge, [master], opt, scaler)
        if stepped:
            raise Mismatch("mixed_precision_step reported a step taken although a gradient was inf")
        assert_matches(master.numpy(), after_clean, what=f"master weights after overflowing step {t + 1} "
                       "(unchanged: the step is skipped)", atol=0)
        for k, (g, w) in enumerate(zip(_adam_state(opt), state)):
            assert_matches(g, w, what=f"Adam state tensor {k + 1} of 4 (m, v, b1^t, b2^t) after overflowing "
                           f"step {t + 1} (the optimizer must not run at all)", atol=0)
    if _state(scaler) != (2.0 ** 6, 0, 2):
        raise Mismatch("after a clean step and two overflows from S = 2^8 the scaler should hold S = 2^6, "
                       "good_steps 0, skipped 2")
    loss, stepped = mine.mixed_precision_step(clean, [master], opt, scaler)
    if not stepped or np.array_equal(master.numpy(), after_clean):
        raise Mismatch("after the overflows a clean step should update the master weights again")
    if _state(scaler) != (2.0 ** 6, 1, 2):
        raise Mismatch("after the overflows one clean step should leave S = 2^6, good_steps 1, skipped 2: "
                       "mixed_precision_step must call scaler.update on clean steps too")
    if not np.isfinite(master.numpy()).all():
        raise Mismatch("the master weights hold inf or NaN after skipped overflow steps")


def test_master_weights_stay_float32_and_keep_small_updates():
    master = [Tensor(np.ones((2, 3), np.float32)).contiguous(), Tensor(np.full(3, 4.0, np.float32)).contiguous()]
    opt = optim.SGD(master, lr=1e-4)
    scaler = mine.DynamicLossScaler(init_scale=2.0 ** 10)
    seen = []

    def loss_fn(ws):
        seen.extend(w.dtype for w in ws)
        return ws[0].sum() + ws[1].sum()                 # every gradient is 1: updates of 1e-4

    for _ in range(3):
        mine.mixed_precision_step(loss_fn, master, opt, scaler)
    if any(d != dtypes.float16 for d in seen):
        raise Mismatch(f"loss_fn received weights of dtypes {sorted(set(map(str, seen)))}; with dtype=float16 "
                       "the compute copies should be float16")
    seen.clear()
    mine.mixed_precision_step(loss_fn, master, optim.SGD(master, lr=0.0), scaler, dtype=dtypes.float32)
    if any(d != dtypes.float32 for d in seen):
        raise Mismatch(f"mixed_precision_step(dtype=float32) gave loss_fn weights of dtypes "
                       f"{sorted(set(map(str, seen)))}; the compute copies take the `dtype` argument")
    for k, (p, start) in enumerate(zip(master, (1.0, 4.0))):
        if p.dtype != dtypes.float32:
            raise Mismatch(f"master tensor {k + 1} became {p.dtype}; master weights must stay float32")
        assert_matches(p.numpy(), np.full(p.shape, start - 3e-4, np.float32),
                       what=f"master tensor {k + 1} after 3 SGD steps of 1e-4 (float16 cannot hold them)",
                       rtol=0, atol=2e-6)


# ---------------------------------------------------------------------------------------------
# A short float16 training run against the same network in float32 (NumPy, float64 arithmetic)
# ---------------------------------------------------------------------------------------------

RNG = np.random.default_rng(620)
X_NP = RNG.normal(size=(16, 6)).astype(np.float32)
Y_NP = (X_NP @ RNG.normal(size=(6, 3))).argmax(1).astype(np.int32)
W_NP = [RNG.normal(size=(6, 8)).astype(np.float32) * 0.5, np.zeros(8, np.float32),
        RNG.normal(size=(8, 3)).astype(np.float32) * 0.5, np.zeros(3, np.float32)]
STEPS, LR, MOMENTUM = 12, 0.1, 0.9


def _np_loss_and_grads(ws):
    w1, b1, w2, b2 = ws
    z = X_NP @ w1 + b1
    h = np.maximum(z, 0)
    o = h @ w2 + b2
    p = np.exp(o - o.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n = len(Y_NP)
    loss = -np.log(p[np.arange(n), Y_NP]).mean()
    d = p.copy()
    d[np.arange(n), Y_NP] -= 1
    d /= n
    dh = d @ w2.T * (z > 0)
    return loss, [X_NP.T @ dh, dh.sum(0), h.T @ d, d.sum(0)]


def _np_run(taken):
    """Losses of the float32 run (SGD with momentum) that updates exactly on the `taken` steps."""
    ws = [w.astype(np.float64) for w in W_NP]
    bufs, losses = [np.zeros_like(w) for w in ws], []
    for take in taken:
        loss, grads = _np_loss_and_grads(ws)
        losses.append(loss)
        if take:
            for i, g in enumerate(grads):
                bufs[i] = MOMENTUM * bufs[i] + g
                ws[i] = ws[i] - LR * bufs[i]
    return np.array(losses)


def test_float16_training_run_tracks_float32():
    master = [Tensor(w).contiguous().realize() for w in W_NP]
    opt = optim.SGD(master, lr=LR, momentum=MOMENTUM)
    opt.lr.realize()                                    # realized inputs: every step reuses one schedule
    # starts too high: overflows twice, grows back after 3 clean steps and overflows once more
    scaler = mine.DynamicLossScaler(init_scale=2.0 ** 20, growth_interval=3)
    X, Y = Tensor(X_NP).realize(), Tensor(Y_NP).realize()

    def loss_fn(ws):
        h = (X.cast(ws[0].dtype) @ ws[0] + ws[1]).relu()
        return (h @ ws[2] + ws[3]).float().sparse_categorical_crossentropy(Y)

    losses, taken, before = [], [], master[0].numpy().copy()
    for _ in range(STEPS):
        loss, _ = mine.mixed_precision_step(loss_fn, master, opt, scaler)
        losses.append(loss)
        after = master[0].numpy().copy()
        taken.append(not np.array_equal(before, after))                 # what the grader saw, not the report
        before = after
    skipped = STEPS - sum(taken)
    if not 1 <= skipped <= 4 or int(scaler.skipped) != skipped:
        raise Mismatch(f"float16 run from S = 2^20: the master weights stayed unchanged on {skipped} of {STEPS} "
                       f"steps and the scaler counted {scaler.skipped} skips (the first steps overflow, then "
                       "training proceeds; the two counts must agree)")
    want = _np_run(taken)
    # measured on the CPU: the float16 losses follow float32 within 1e-4 over the 12 steps; allowed 0.03
    assert_matches(np.array(losses), want, what=f"losses of the {STEPS} float16 steps vs a float32 run that "
                   "updates on the same steps", rtol=0, atol=0.03, check_dtype=False)
    if not want[-1] < 0.6 * want[0]:                  # 0.44 with the 3 skips of the reference
        raise Mismatch("internal: the float32 run did not learn (check the fixture)")
