"""Hidden checks for Exercise 6.1: AdamW against tinygrad.nn.optim's update formula in NumPy float64
(groups) and against tinygrad.nn.optim itself (a learning rate changed inside TinyJit), schedules
against their closed forms, accumulation against the large batch's loss and gradients (NumPy) and
clipping against NumPy."""
import math

import numpy as np
from tinygrad import Context, Tensor, TinyJit, dtypes
from tinygrad.nn import optim

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import adam
from grader.hidden.probes import refuse_calls
from grader.target import exercise, reference

mine, ref = exercise("6.1"), reference("6.1")
RULE = "this exercise writes AdamW itself; tinygrad.nn.optim's AdamW/LAMB may not do the update"

RNG = np.random.default_rng(61)
N = 8                                      # one batch shape (and micro-batches of 2 and 3) everywhere
X_NP = RNG.normal(size=(N, 3)).astype(np.float32)
Y_NP = RNG.normal(size=(N, 4)).astype(np.float32)
X, Y = Tensor(X_NP).realize(), Tensor(Y_NP).realize()   # on buffers: the steps reuse one schedule
W0 = RNG.normal(size=(3, 4)).astype(np.float32)
B0 = RNG.normal(size=4).astype(np.float32)
G0 = RNG.uniform(0.5, 1.5, size=4).astype(np.float32)      # a normalisation-style gain (1-D)


def _params():
    return [Tensor(a).contiguous().realize() for a in (W0, B0, G0)]


def _loss(params, x=X, y=Y):
    w, b, g = params
    return ((x @ w + b).tanh() * g - y).square().mean()


def _np_grads(params, x=X_NP, y=Y_NP):
    """(loss, [dW, db, dg]) of _loss in float64."""
    w, b, g = (np.asarray(p, np.float64) for p in params)
    h = np.tanh(x.astype(np.float64) @ w + b)
    r = h * g - y
    d = 2 * r / r.size
    dz = d * g * (1 - h * h)
    return float((r * r).mean()), [x.T.astype(np.float64) @ dz, dz.sum(0), (d * h).sum(0)]


def _np_grads_of(*params):
    """The gradients of _np_grads, in the form grader.hidden.oracles.adam asks for."""
    return _np_grads(params)[1]


def _check_trajectory(params, opt, want, what):
    """Step the learner's opt once per entry of `want` (the oracle's parameters after each step),
    comparing after every step."""
    names = ("weight (3x4)", "bias (4,)", "gain (4,)")
    with Context(TRAINING=1):
        for t, ws in enumerate(want, start=1):
            opt.zero_grad()
            _loss(params).backward()
            with refuse_calls(optim.LAMB, ["_step"], RULE), refuse_calls(optim.LARS, ["_step"], RULE):
                opt.step()
            for name, p, w in zip(names, params, ws):
                assert_matches(p.numpy(), w, what=f"{what}: {name} after step {t}", rtol=2e-5, atol=5e-6)


# ---------------------------------------------------------------------------------------------
# AdamW
# ---------------------------------------------------------------------------------------------

def test_adamw_default_groups_match_tinygrad():
    ps = _params()
    opt = mine.AdamW(ps, lr=0.05, b1=0.8, b2=0.95, weight_decay=0.3)
    mask = list(opt.decay_mask)
    if mask != [True, False, False]:
        raise Mismatch(f"decay_mask for (weight 3x4, bias (4,), gain (4,)) is {mask}; by default only "
                       "tensors with ndim >= 2 are decayed")
    want = adam((W0, B0, G0), _np_grads_of, 3, lr=0.05, b1=0.8, b2=0.95, weight_decay=(0.3, 0.0, 0.0))
    _check_trajectory(ps, opt, want, "AdamW(lr=0.05, b1=0.8, b2=0.95, weight_decay=0.3), default groups")
    if opt.t != 3:
        raise Mismatch(f"after 3 steps AdamW.t is {opt.t}; it should count the steps taken")


def test_adamw_decay_predicate_chooses_the_groups():
    ps = _params()
    opt = mine.AdamW(ps, lr=0.02, weight_decay=0.5, decay=lambda p: p.shape == (4,) and p is not ps[1])
    _check_trajectory(ps, opt, adam((W0, B0, G0), _np_grads_of, 2, lr=0.02, weight_decay=(0.0, 0.0, 0.5)),
                      "AdamW(decay=<only the gain>)")


def test_adamw_learning_rate_tensor_drives_a_jitted_step():
    lrs = [0.05, 0.05, 0.0, 0.2, 0.01]

    def run(make_opt, set_lr, learner):
        ps = _params()
        opt = make_opt(ps)

        @TinyJit
        def step(x, y):
            opt.zero_grad()
            loss = _loss(ps, x, y).backward()
            return loss.realize(*opt.schedule_step())

        out = []
        with Context(TRAINING=1):
            for lr in lrs:
                set_lr(opt, lr)
                if learner:
                    with refuse_calls(optim.LAMB, ["_step"], RULE):
                        step(X, Y)
                else:
                    step(X, Y)
                out.append([p.numpy().copy() for p in ps])
        return out, opt

    got, opt = run(lambda ps: mine.AdamW(ps, lr=0.05, weight_decay=0.2), lambda o, lr: o.set_lr(lr), True)
    if not isinstance(opt.lr, Tensor) or tuple(opt.lr.shape) != (1,):
        raise Mismatch("AdamW.lr should be a Tensor of shape (1,), so that a captured step reads it")
    want, _ = run(lambda ps: optim.OptimizerGroup(optim.AdamW(ps[:1], lr=0.05, weight_decay=0.2),
                                                  optim.AdamW(ps[1:], lr=0.05, weight_decay=0.0)),
                  lambda o, lr: [x.lr.assign(Tensor([lr])).realize() for x in o.optimizers], False)
    for t, (gs, ws) in enumerate(zip(got, want), start=1):
        for name, g, w in zip(("weight", "bias", "gain"), gs, ws):
            assert_matches(g, w, what=f"{name} after TinyJit call {t} (lr set to {lrs[t - 1]} before it; "
                           "calls 3+ replay the capture)", rtol=2e-5, atol=5e-6)


def test_adamw_skips_missing_gradients_and_validates():
    ps = _params()
    half = Tensor(B0.astype(np.float16)).contiguous().realize()      # the cheap checks first
    opt = mine.AdamW([ps[0], half], lr=0.1)
    wrong = [p.dtype for p in opt.m + opt.v if p.dtype != dtypes.float32]
    if wrong:
        raise Mismatch(f"AdamW's m and v for a float16 parameter are {wrong[0]}. "
                       "The docstring: same shape, float32.")
    assert_raises(ValueError, opt.set_lr, -0.1, what="set_lr(-0.1)")
    assert_raises(ValueError, mine.AdamW, [], what="AdamW([])")
    assert_raises(ValueError, mine.AdamW, ps, weight_decay=-1.0, what="AdamW(weight_decay=-1.0)")
    assert_raises(ValueError, mine.AdamW, ps, b2=1.0, what="AdamW(b2=1.0)")
    opt = mine.AdamW(ps, lr=0.1, weight_decay=0.4, decay=lambda p: True)    # missing is not zero
    with Context(TRAINING=1):
        for _ in range(2):
            opt.zero_grad()
            ((X @ ps[0]).tanh() - Y).square().mean().backward()    # bias and gain get no gradient
            ps[1].grad = ps[2].grad = None
            opt.step()
    for k, (p, start) in enumerate(((ps[1], B0), (ps[2], G0)), start=1):
        assert_matches(p.numpy(), start, what=f"parameter {k + 1} without a gradient after 2 steps "
                       "(unchanged)", atol=0)
        for name, state in (("m", opt.m[k]), ("v", opt.v[k])):
            assert_matches(state.numpy(), np.zeros(4, np.float32),
                           what=f"AdamW.{name} of parameter {k + 1}, which never had a gradient", atol=0)
    if any(p.dtype != ps[0].dtype for p in opt.m + opt.v):
        raise Mismatch("AdamW's moments should be float32 like the parameters")
    opt.zero_grad()
    if any(p.grad is not None for p in ps):
        raise Mismatch("after zero_grad() every parameter's .grad should be None")


def test_default_decay_by_dimension():
    # unrealized tensors: only the shape is read
    for shape, want in (((2, 1, 3, 3), True), ((5, 3), True), ((4,), False), ((), False)):
        got = mine.default_decay(Tensor.empty(*shape))
        if bool(got) != want:
            raise Mismatch(f"default_decay of a tensor of shape {shape} is {got}; decay every tensor with ndim >= 2 "
                           "(matrices, convolution kernels), never vectors or scalars")


# ---------------------------------------------------------------------------------------------
# Schedules (closed forms written out here; the reference for random steps)
# ---------------------------------------------------------------------------------------------

def _number(got, want, what, rtol=1e-9):
    if not isinstance(got, (float, int)) or isinstance(got, bool):
        raise Mismatch(f"{what}: expected a Python float, got {type(got).__name__}")
    assert_matches(float(got), float(want), what=what, rtol=rtol, atol=1e-15)


def test_step_decay():
    got = mine.step_decay(0, 0.3, 7, 0.5)
    _number(got, 0.3, "step_decay(0, base 0.3, step_size 7, gamma 0.5)")
    for step in (6, 7, 13, 14, 20, 21, 70):
        _number(mine.step_decay(step, 0.3, 7, 0.5), 0.3 * 0.5 ** (step // 7),
                f"step_decay({step}, base 0.3, step_size 7, gamma 0.5)")
    for args in ((-1, 0.3, 7), (3, 0.3, 0), (3, -0.3, 7)):
        assert_raises(ValueError, mine.step_decay, *args, what=f"step_decay{args}")
    assert_raises(ValueError, mine.step_decay, 3, 0.3, 7, 0.0, what="step_decay(gamma=0)")
    for gamma in (1.5, 1.0 + 1e-9):
        assert_raises(ValueError, mine.step_decay, 3, 0.3, 7, gamma,
                      what=f"step_decay(gamma={gamma!r}): gamma must lie in (0, 1]")
    _number(mine.step_decay(20, 0.3, 7, 1.0), 0.3, "step_decay(20, base 0.3, step_size 7, gamma 1.0) (valid)")


def _cosine(step, total, base, warmup, floor):
    if step < warmup:
        return base * step / warmup
    if step >= total:
        return floor
    return floor + (base - floor) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def test_warmup_cosine_landmarks():
    total, base, warm, floor = 50, 0.2, 8, 0.01
    for step, name in ((0, "step 0"), (1, "step 1"), (7, "last warm-up step"), (8, "end of warm-up"),
                       (29, "middle"), (49, "last step"), (50, "step == total_steps"), (80, "beyond the end")):
        _number(mine.warmup_cosine(step, total, base, warmup_steps=warm, min_lr=floor),
                _cosine(step, total, base, warm, floor),
                f"warmup_cosine({step}, total 50, base 0.2, warmup 8, min_lr 0.01) at the {name}")
    for step in (0, 10, 49):
        _number(mine.warmup_cosine(step, total, base), _cosine(step, total, base, 0, 0.0),
                f"warmup_cosine({step}, total 50, base 0.2) without warm-up and floor")
    for step in (4, 20, 60):                  # min_lr == base_lr is allowed: flat after the warm-up
        _number(mine.warmup_cosine(step, total, base, warmup_steps=warm, min_lr=base),
                _cosine(step, total, base, warm, base),
                f"warmup_cosine({step}, total 50, base 0.2, warmup 8, min_lr 0.2 = base_lr)")
    rng = np.random.default_rng(3)
    for _ in range(20):
        total = int(rng.integers(2, 300))
        warm, step = int(rng.integers(0, total)), int(rng.integers(0, total + 20))
        base = float(rng.uniform(0.01, 1.0))
        floor = float(rng.uniform(0, base))
        _number(mine.warmup_cosine(step, total, base, warm, floor), ref.warmup_cosine(step, total, base, warm, floor),
                f"warmup_cosine({step}, total {total}, base {base:.3g}, warmup {warm}, min_lr {floor:.3g})")


def test_warmup_cosine_shape_and_bad_input():
    lrs = [mine.warmup_cosine(s, 60, 1.0, warmup_steps=10, min_lr=0.1) for s in range(70)]
    if not all(b > a for a, b in zip(lrs[:10], lrs[1:11])):
        raise Mismatch("warmup_cosine should rise strictly during the warm-up (steps 0..10 of 60)")
    if not all(b <= a + 1e-12 for a, b in zip(lrs[10:], lrs[11:])):
        raise Mismatch("warmup_cosine should never rise after the warm-up")
    if min(lrs[10:]) < 0.1 - 1e-12 or max(lrs) > 1.0 + 1e-12:
        raise Mismatch("warmup_cosine left [min_lr, base_lr] after the warm-up")
    for args, what in (((-1, 60, 1.0, 10), "a negative step"), ((5, 60, 1.0, 70), "warmup_steps > total_steps"),
                       ((5, 60, 1.0, 60), "warmup_steps == total_steps"), ((5, 0, 1.0, 0), "total_steps 0"),
                       ((5, 60, 1.0, 10, 2.0), "min_lr > base_lr"), ((5, 60, 1.0, 10, -0.1), "min_lr < 0"),
                       ((5, 60, -1.0, 10, -2.0), "base_lr < 0")):
        assert_raises(ValueError, mine.warmup_cosine, *args, what=f"warmup_cosine with {what}")


def test_one_cycle():
    total, top = 100, 0.4
    lr0, end = top / 25, top / 25 / 1e4
    for step, want, name in ((0, lr0, "step 0"), (29, top, "the peak (0.3 * 100 - 1)"), (99, end, "last step"),
                             (150, end, "beyond the end")):
        _number(mine.one_cycle(step, total, top), want, f"one_cycle({step}, total 100, max_lr 0.4) at {name}")
    lrs = [mine.one_cycle(s, total, top) for s in range(total)]
    if not all(b > a for a, b in zip(lrs[:29], lrs[1:30])) or not all(b < a for a, b in zip(lrs[29:], lrs[30:])):
        raise Mismatch("one_cycle should rise strictly up to its peak (step 29 of 100) and fall strictly after it")
    rng = np.random.default_rng(5)
    for _ in range(20):
        total = int(rng.integers(10, 400))
        pct, step = float(rng.uniform(0.1, 0.9)), int(rng.integers(0, total + 5))
        div, final = float(rng.uniform(5, 50)), float(rng.uniform(10, 1e4))
        _number(mine.one_cycle(step, total, 0.3, pct, div, final), ref.one_cycle(step, total, 0.3, pct, div, final),
                f"one_cycle({step}, total {total}, max_lr 0.3, pct_start {pct:.3g}, div {div:.3g}, final {final:.3g})")
    for args, what in (((-1, 100, 0.4), "a negative step"), ((5, 100, 0.4, 1.0), "pct_start 1"),
                       ((1, 3, 0.4, 0.3), "pct_start * total_steps <= 1"), ((5, 100, 0.0), "max_lr 0"),
                       ((5, 100, 0.4, 0.3, 0.0), "div_factor 0"),
                       ((5, 100, 0.4, 0.3, 25.0, -1.0), "final_div_factor < 0")):
        assert_raises(ValueError, mine.one_cycle, *args, what=f"one_cycle with {what}")


# ---------------------------------------------------------------------------------------------
# Gradient accumulation
# ---------------------------------------------------------------------------------------------

def _micro(sizes):
    # realized slices: micro-batches of one size share one schedule
    out, start = [], 0
    for n in sizes:
        out.append((Tensor(X_NP[start:start + n]).realize(), Tensor(Y_NP[start:start + n]).realize()))
        start += n
    return out


def _check_accumulation(make_opt, sizes, steps, what):
    """accumulate_gradients, `steps` times with an opt.step between (which leaves its gradients behind);
    each call's loss and gradients against the large batch's at the current parameters, in float64 (equal
    gradients: the large batch's update, whatever the optimizer)."""
    ps = _params()
    opt = make_opt(ps)
    with Context(TRAINING=1):
        for t in range(1, steps + 1):
            now = [p.numpy() for p in ps]
            loss = mine.accumulate_gradients(lambda x, y: _loss(ps, x, y), ps, _micro(sizes))
            if not isinstance(loss, float):
                raise Mismatch(f"accumulate_gradients returned {type(loss).__name__}; expected a Python float")
            want_loss, want = _np_grads(now)
            assert_matches(np.array(loss), np.array(want_loss), what=f"{what}: returned loss of step {t}",
                           rtol=1e-5, atol=1e-6)
            for name, p, w in zip(("weight", "bias", "gain"), ps, want):
                assert_matches(p.grad.numpy(), w.astype(np.float32), what=f"{what}: {name} gradient of step {t}",
                               rtol=1e-5, atol=1e-6, n=4)
            if t < steps:
                opt.step()


def test_accumulation_equals_large_batch_sgd():
    _check_accumulation(lambda ps: optim.SGD(ps, lr=0.5), (2, 2, 2, 2), 1,
                        "SGD with 4 micro-batches of 2 rows vs one batch of 8")


def test_accumulation_with_unequal_micro_batches_and_adamw():
    _check_accumulation(lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1), (3, 3, 2), 2,
                        "AdamW with micro-batches of 3, 3 and 2 rows vs one batch of 8")


def test_accumulation_clears_old_gradients_and_leaves_unused_params():
    ps = _params()
    unused = Tensor([1.0, 2.0]).contiguous().realize()
    ps[0].grad = Tensor(np.full((3, 4), 100.0, np.float32))        # stale, from some earlier step
    mine.accumulate_gradients(lambda x, y: _loss(ps, x, y), ps + [unused], _micro((2, 2, 2, 2)))
    if unused.grad is not None:
        raise Mismatch("a parameter the loss does not depend on should keep .grad None")
    want = _np_grads((W0, B0, G0))[1][0].astype(np.float32)
    assert_matches(ps[0].grad.numpy(), want, what="weight gradient when .grad held an old "
                   "gradient before the call (it must be discarded)", rtol=1e-5, atol=1e-6, n=4)
    assert_raises(ValueError, mine.accumulate_gradients, lambda x, y: _loss(ps, x, y), ps, [],
                  what="accumulate_gradients with no micro-batch")


# ---------------------------------------------------------------------------------------------
# Clipping by the global norm
# ---------------------------------------------------------------------------------------------

def _with_grads(grads):
    ps = []
    for g in grads:
        p = Tensor(np.zeros(g.shape, np.float32)).contiguous()
        p.grad = Tensor(g)
        ps.append(p)
    return ps


def _np_clip(grads, max_norm):
    total = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
    factor = min(1.0, max_norm / (total + 1e-6))
    return total, [g * factor for g in grads]


def test_clip_uses_one_global_factor():
    rng = np.random.default_rng(11)
    # every tensor is below max_norm on its own, together they are far above it
    grads = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32),
             rng.normal(size=4).astype(np.float32)]
    norms = [float(np.linalg.norm(g)) for g in grads]
    max_norm = 1.05 * max(norms)
    ps = _with_grads(grads)
    got = mine.clip_grad_norm(ps, max_norm)
    total, want = _np_clip(grads, max_norm)
    _number(got, total, "clip_grad_norm's returned global norm (before clipping)", rtol=1e-5)
    for k, (p, w) in enumerate(zip(ps, want)):
        assert_matches(p.grad.numpy(), w.astype(np.float32), what=f"clipped gradient {k + 1} of 3 (each tensor "
                       "alone is below max_norm, the global norm is not)", rtol=1e-5, atol=1e-7)
    # one large tensor and two small ones
    grads = [grads[0] * 10, grads[1] * 0.1, grads[2] * 0.1]
    ps = _with_grads(grads)
    total, want = _np_clip(grads, 2.0)
    _number(mine.clip_grad_norm(ps, 2.0), total, "clip_grad_norm's returned norm (one large gradient)", rtol=1e-5)
    for k, (p, w) in enumerate(zip(ps, want)):
        assert_matches(p.grad.numpy(), w.astype(np.float32), what=f"clipped gradient {k + 1} of 3 (one large, "
                       "two small gradients)", rtol=1e-5, atol=1e-7)


def test_clip_below_max_and_missing_gradients():
    rng = np.random.default_rng(12)
    grads = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)]
    ps = _with_grads(grads)
    skipped = Tensor(np.ones(4, np.float32)).contiguous()
    total, _ = _np_clip(grads, 1.0)
    got = mine.clip_grad_norm(ps + [skipped], 2 * total)
    _number(got, total, "clip_grad_norm's returned norm below max_norm", rtol=1e-5)
    for k, (p, g) in enumerate(zip(ps, grads)):
        assert_matches(p.grad.numpy(), g, what=f"gradient {k + 1} of 2 when the global norm is below max_norm "
                       "(unchanged)", rtol=0, atol=0)
    if skipped.grad is not None:
        raise Mismatch("a parameter without .grad should be skipped by clip_grad_norm and keep None")
    _number(mine.clip_grad_norm([skipped], 1.0), 0.0, "clip_grad_norm over parameters without gradients")
    assert_raises(ValueError, mine.clip_grad_norm, ps, 0.0, what="clip_grad_norm(max_norm=0)")


def test_clip_half_gradients():
    # float16 gradients: the global norm must not overflow (300^2 > 65504) and they stay float16
    grads = [np.array([300.0, 400.0, 0.0, 0.0], np.float16), np.array([0.0, 0.0, 0.0, 0.0], np.float16)]
    ps = _with_grads(grads)
    got = mine.clip_grad_norm(ps, 1.0)
    _number(got, 500.0, "clip_grad_norm of float16 grads [300, 400, 0, 0] (the norm of float16 "
            "values can exceed float16's range)", rtol=1e-4)
    if ps[0].grad.dtype != dtypes.float16:
        raise Mismatch(f"a float16 gradient came out of clip_grad_norm as {ps[0].grad.dtype}. "
                       "The docstring: the clipped gradients keep their dtype.")
    assert_matches(ps[0].grad.numpy().astype(np.float32), np.array([0.6, 0.8, 0, 0], np.float32),
                   what="float16 grads [300, 400, 0, 0] clipped to max_norm 1", rtol=2e-3, atol=1e-4,
                   check_dtype=False)
