"""Hidden checks for Exercise 4.2: the learner's Adam/AdamW against a float64 NumPy Adam, parameter for parameter."""
import numpy as np
from tinygrad import Context, Tensor

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.oracles import adam
from grader.target import exercise

mine = exercise("4.2")
RNG = np.random.default_rng(42)
X_NP = RNG.normal(size=(5, 3)).astype(np.float32)
W0, B0 = RNG.normal(size=(3, 4)).astype(np.float32), RNG.normal(size=4).astype(np.float32)
TARGET_NP = RNG.normal(size=(5, 4)).astype(np.float32)
X, TARGET = Tensor(X_NP), Tensor(TARGET_NP)


def lsq_grads(w, b):
    """Gradients of mean((tanh(X @ w + b) - TARGET)^2) with respect to w and b."""
    h = np.tanh(X_NP.astype(np.float64) @ w + b)
    dz = 2 * (h - TARGET_NP) * (1 - h * h) / h.size
    return X_NP.T.astype(np.float64) @ dz, dz.sum(0)


def realize_state(opt):
    """Realize the tensors a new optimizer keeps (attributes, or in lists such as m and v), so that step 2
    reuses step 1's schedule (lazy zeros make step 1's graph differ); the zero-gradient and state checks
    step unrealized state."""
    kept = list(getattr(opt, "__dict__", {}).values())
    kept += [x for held in kept if isinstance(held, (list, tuple)) for x in held]
    Tensor.realize(*[x for x in kept if isinstance(x, Tensor)])


def compare(name, mine_opt, hyper, steps=6, rtol=2e-5, atol=5e-6):
    """Step a small least-squares-through-tanh problem; check the parameters after each step (stops at a miss)."""
    want = adam((W0, B0), lsq_grads, steps, **hyper)
    w, b = Tensor(W0).contiguous(), Tensor(B0).contiguous()
    Tensor.realize(w, b, X, TARGET)   # realized inputs: the later steps' graphs repeat and hit the schedule cache
    opt = mine_opt([w, b])
    realize_state(opt)
    with Context(TRAINING=1):
        for t, (ew, eb) in enumerate(want, start=1):
            opt.zero_grad()
            ((X @ w + b).tanh() - TARGET).square().mean().backward()
            opt.step()
            assert_matches(w.numpy(), ew, what=f"{name}: weight (3x4) after step {t}", rtol=rtol, atol=atol)
            assert_matches(b.numpy(), eb, what=f"{name}: bias (4,) after step {t}", rtol=rtol, atol=atol)


def test_adam_default_hyperparameters():
    compare("Adam()", lambda p: mine.Adam(p), {})


def test_adam_large_lr_and_custom_betas():
    compare("Adam(lr=0.1, b1=0.8, b2=0.95)", lambda p: mine.Adam(p, lr=0.1, b1=0.8, b2=0.95),
            dict(lr=0.1, b1=0.8, b2=0.95))


def test_adam_eps_placement():
    # with a large eps the difference between sqrt(v_hat) + eps and sqrt(v_hat + eps) is visible
    compare("Adam(lr=0.05, eps=0.1)", lambda p: mine.Adam(p, lr=0.05, eps=0.1), dict(lr=0.05, eps=0.1))


def test_adamw_decoupled_weight_decay():
    compare("AdamW(lr=0.05, weight_decay=0.5)", lambda p: mine.AdamW(p, lr=0.05, weight_decay=0.5),
            dict(lr=0.05, weight_decay=0.5))


def test_adamw_default_weight_decay():
    compare("AdamW(lr=0.02)", lambda p: mine.AdamW(p, lr=0.02), dict(lr=0.02, weight_decay=0.01), steps=4)


def test_step_counter_and_state():
    w = Tensor([1.0, 2.0]).contiguous()
    opt = mine.Adam([w], lr=0.01)
    for _ in range(3):
        opt.zero_grad(); (w * w).sum().backward(); opt.step()
    if opt.t != 3:
        raise Mismatch(f"after 3 steps Adam.t is {opt.t}; it should count the steps taken")
    if len(opt.m) != 1 or len(opt.v) != 1:
        raise Mismatch("Adam.m and Adam.v should hold one state tensor per parameter")
    if w.grad is None:
        raise Mismatch("step() cleared the parameter's .grad; only zero_grad() should forget gradients")
    if not all(t.uop.is_realized for t in (w, *opt.m, *opt.v)):
        raise Mismatch("after step() the parameters and the state m, v should be realized (a lazy state's graph grows "
                       "every step); realize them together at the end of step()")
    assert_raises(ValueError, mine.Adam, [w], b1=1.0, what="Adam(b1=1.0)")
    assert_raises(ValueError, mine.AdamW, [w], weight_decay=-0.1, what="AdamW(weight_decay=-0.1)")


def test_two_optimizers_keep_separate_state():
    # two problems stepped alternately must each follow their own trajectory
    problems = [tuple(np.random.default_rng(seed).normal(size=(2, 2, 3)).astype(np.float32)) for seed in (1, 2)]
    hypers = [dict(lr=0.1, b1=0.9), dict(lr=0.05, b1=0.5)]
    ws = [Tensor(w0).contiguous() for w0, _ in problems]
    targets = [Tensor(t) for _, t in problems]
    Tensor.realize(*ws, *targets)
    opts = [mine.Adam([w], **h) for w, h in zip(ws, hypers)]
    for opt in opts:
        realize_state(opt)
    with Context(TRAINING=1):
        for _ in range(3):
            for opt, w, t in zip(opts, ws, targets):   # the two optimizers stepped alternately
                opt.zero_grad()
                ((w.tanh() - t).square()).mean().backward()
                opt.step()
    got = [w.numpy() for w in ws]

    def grads(t):   # of mean((tanh(w) - t)^2)
        return lambda w: [2 * (np.tanh(w) - t) * (1 - np.tanh(w) ** 2) / w.size]
    want = [adam([w0], grads(t), 3, **h)[-1][0] for (w0, t), h in zip(problems, hypers)]
    for k in range(2):
        assert_matches(got[k], want[k], what=f"parameter of optimizer {k + 1} of 2 stepped alternately (state shared between optimizers?)", rtol=2e-5, atol=5e-6)


def test_zero_gradient_leaves_a_parameter_unchanged_and_zero_grad_gives_none():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]]).contiguous()
    opt = mine.Adam([w], lr=0.1)
    with Context(TRAINING=1):
        for _ in range(3):
            opt.zero_grad()
            (w[0] * w[0]).sum().backward()   # the second row gets a gradient of exactly 0
            opt.step()
    got = w.numpy()
    if not np.isfinite(got).all():
        raise Mismatch("Adam produced NaN or inf for a parameter whose gradient is exactly 0 (m / (sqrt(v) + eps) with m = v = 0)")
    assert_matches(got[1], np.array([0.5, 3.0], np.float32), what="a parameter row with zero gradient after 3 Adam steps (unchanged)", atol=0)
    if got.dtype != np.float32 or opt.m[0].dtype != w.dtype:
        raise Mismatch(f"Adam changed the dtype: parameter {got.dtype}, state {opt.m[0].dtype} (float32 expected)")
    opt.zero_grad()
    if w.grad is not None:
        raise Mismatch("after zero_grad() a parameter's .grad should be None (documented), not a tensor of zeros")
