"""Hidden checks for Exercise 7.1: schedule_stats against the grader's own counting; the fused blocks
against NumPy float64 oracles on extremes (large logits, rows with a large mean, eps, the GELU variant,
the mask and the scale); kernel budgets and memory traffic counted by the grader (kernels that run
while the learner's function builds its graph count too); gradients and FLOPs of the training block."""
import math

import numpy as np
from tinygrad import Context, GlobalCounters, Tensor, dtypes
from tinygrad.engine.realize import run_linear
from tinygrad.uop.ops import Ops

from grader.compare import Mismatch, assert_matches
from grader.hidden.probes import refuse_calls
from grader.target import exercise, reference

mine, ref = exercise("7.1"), reference("7.1")
rng = np.random.default_rng(71)
HOST = ["numpy", "tolist", "item", "data"]
RULE = "a fused block builds a lazy tinygrad graph; it never reads values back to the host"


def f32(a):
    return np.asarray(a, np.float32)


def measure(fn, *inputs, learner=True):
    """(kernels, bytes, flops, outputs): inputs realized first, counters reset, then fn builds its graph
    (kernels it runs on the way count too), its outputs are scheduled with SPLIT_REDUCEOP=0 and run.
    SCACHE=0: a schedule cached by an earlier call (under other settings) is not reused."""
    if inputs:
        Tensor.realize(*inputs)
    GlobalCounters.reset()
    if learner:
        with refuse_calls(Tensor, HOST, RULE):
            out = fn(*inputs)
    else:
        out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    early = GlobalCounters.kernel_count
    with Context(SPLIT_REDUCEOP=0, SCACHE=0):
        lin = outs[0].schedule_linear(*outs[1:])
    kernels = early + sum(call.src[0].op is Ops.SINK for call in lin.src)
    run_linear(lin)
    return kernels, GlobalCounters.global_mem, GlobalCounters.global_ops, outs


def check_budgets(name, *arrays):
    """The learner's fused block within its kernel budget and its traffic ratio (the reference's
    constants and the reference's unfused version, counted by the grader)."""
    k, nbytes, _, _ = measure(getattr(mine, name), *[Tensor(a) for a in arrays])
    if k > ref.KERNEL_BUDGETS[name]:                         # checked before the unfused run is measured
        raise Mismatch(f"{name} scheduled into {k} kernels (counting any it ran while building the graph); "
                       f"the budget is {ref.KERNEL_BUDGETS[name]}: something is forced into a buffer")
    _, unfused, _, _ = measure(getattr(ref, f"{name}_unfused"), *[Tensor(a) for a in arrays], learner=False)
    if nbytes > ref.TRAFFIC_RATIOS[name] * unfused:
        raise Mismatch(f"{name} moved {nbytes / unfused:.2f} of the unfused version's bytes; "
                       f"at most {ref.TRAFFIC_RATIOS[name]} is allowed")


def values(name, *arrays):
    _, _, _, (out,) = measure(getattr(mine, name), *[Tensor(a) for a in arrays])
    if out.dtype != dtypes.float32:
        raise Mismatch(f"{name} should return float32, got {out.dtype}")
    return out.numpy()


# ---- oracles (float64) ----------------------------------------------------------------------------

def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_layer_norm(x, w, b, eps):
    x = x.astype(np.float64)
    c = x - x.mean(-1, keepdims=True)
    return c / np.sqrt((c * c).mean(-1, keepdims=True) + eps) * w + b


def np_gelu(h):
    return 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))


def np_gelu_grad(h):
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * (h + 0.044715 * h ** 3))
    return 0.5 * (1 + t) + 0.5 * h * (1 - t * t) * c * (1 + 3 * 0.044715 * h * h)


def np_mlp(x, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = (a.astype(np.float64) for a in (x, W1, b1, W2, b2))
    return np_gelu(x @ W1 + b1) @ W2 + b2


def np_attention(q, k, mask):
    q, k = q.astype(np.float64), k.astype(np.float64)
    s = np.where(mask, q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]), -np.inf)
    return np_softmax(s)


# ---- schedule_stats -------------------------------------------------------------------------------

def test_schedule_stats_agrees_with_the_grader_and_runs_the_schedule():
    a = f32(rng.normal(size=(16, 64)))
    v = f32(rng.normal(size=1 << 15))           # long enough that tinygrad would split its reduction
    row = f32(rng.normal(size=64))
    cases = {   # the graphs are written here (not the reference's softmax): only schedule_stats is tested
        "the sum of a 32768-long vector (SPLIT_REDUCEOP=0)": (lambda t: t.sum(), [v]),
        "two outputs returned as a list (x.exp().sum(1), x.max(0))": (lambda t: [t.exp().sum(1), t.max(0)], [a]),
        "the same two outputs as a tuple": (lambda t: (t.exp().sum(1), t.max(0)), [a]),
        "softmax of a (16, 64) x": (
            lambda t: (lambda e: e / e.sum(1, keepdim=True))((t - t.max(1, keepdim=True)).exp()), [a]),
        "(x + 1).contiguous() * 2": (lambda t: (t + 1).contiguous() * 2, [a]),
        "softmax and its row sums, scheduled together (shared work)": (
            lambda t: (lambda e: (e / e.sum(1, keepdim=True), e.sum(1)))((t - t.max(1, keepdim=True)).exp()), [a]),
        "x * 3 with x not yet realized": (lambda t: t * 3, [a]),
        "x plus a row uploaded inside fn (a copy, then one kernel)": (lambda t: t + Tensor(row), [a]),
    }
    for name, (fn, arrays) in cases.items():
        kept = []

        def keep(*ts, fn=fn):
            out = fn(*ts)
            kept.append(out)
            return out
        primed = fn(*[Tensor(x).realize() for x in arrays])   # cache this graph's schedule under the
        primed = list(primed) if isinstance(primed, (tuple, list)) else [primed]   # defaults (SPLIT_REDUCEOP=1):
        primed[0].schedule_linear(*primed[1:])  # schedule_stats must not reuse it (SCACHE=0)
        got = mine.schedule_stats(keep, *[Tensor(x) for x in arrays])
        kernels, nbytes, flops, outs = measure(fn, *[Tensor(x) for x in arrays], learner=False)
        want = {"kernels": kernels, "bytes": nbytes, "flops": flops}
        if not isinstance(got, dict) or set(want) - set(got):
            raise Mismatch(f"schedule_stats should return a dict with the keys {sorted(want)}")
        wrong = [key for key in want if int(got[key]) != want[key]]
        if wrong:
            raise Mismatch(f"schedule_stats({name}): {', '.join(wrong)} differ from the grader's count "
                           "(realize the inputs first, count SINK items only, pin SPLIT_REDUCEOP=0, "
                           "reset the counters just before running). "
                           "This graph was scheduled before under the defaults: is SCACHE=0 set?")
        mine_outs = kept[0] if isinstance(kept[0], (tuple, list)) else (kept[0],)
        for got_t, want_t in zip(mine_outs, outs):
            assert_matches(got_t.numpy(), want_t.numpy(), rtol=1e-6, atol=1e-6,
                           what=f"the output of {name} read after schedule_stats (was the schedule run?)")


# ---- softmax --------------------------------------------------------------------------------------

def test_softmax_values_on_large_and_infinite_logits():
    x = f32(rng.normal(size=(2, 3, 64)) * 400)               # |x| up to ~1e3: exp overflows unshifted
    x[0, 0] = 1e3
    x[0, 1, :5] = -np.inf                                    # masked logits inside a row
    x[1, 2] = f32(rng.normal(size=64)) - 1e3                 # every logit of the row far below 0
    assert_matches(values("softmax", x), f32(np_softmax(x.astype(np.float64))), rtol=1e-4, atol=1e-7,
                   what="softmax over the last axis of a (2, 3, 64) x with logits up to 1e3 and -inf")


def test_softmax_budgets():
    check_budgets("softmax", f32(rng.normal(size=(16, 64)) * 3))


# ---- layer norm -----------------------------------------------------------------------------------

def test_layer_norm_rows_with_a_large_mean():
    x = f32(1e3 + rng.normal(size=(16, 64)))
    w, b = f32(rng.normal(size=64)), f32(rng.normal(size=64))
    assert_matches(values("layer_norm", x, w, b), f32(np_layer_norm(x, w, b, 1e-5)), rtol=1e-3, atol=2e-3,
                   what="layer_norm of rows 1e3 + N(0, 1) (compute the variance from centred values)")


def test_layer_norm_biased_variance_and_eps():
    x = f32(rng.normal(size=(2, 3, 64)) * rng.uniform(0.05, 2.0, size=(2, 3, 1)))
    x[1, 1] = 0.75                                           # a constant row: y = b
    w, b = f32(rng.normal(size=64)), f32(rng.normal(size=64))
    for eps in (1e-5, 0.25):
        assert_matches(mine.layer_norm(Tensor(x), Tensor(w), Tensor(b), eps).numpy(),
                       f32(np_layer_norm(x, w, b, eps)), rtol=1e-4, atol=1e-5,
                       what=f"layer_norm of a (2, 3, 64) x, eps={eps} (biased variance, eps inside the sqrt)")


def test_layer_norm_budgets():
    check_budgets("layer_norm", f32(rng.normal(size=(16, 64)) * 2 + 1), f32(rng.normal(size=64)),
                  f32(rng.normal(size=64)))


# ---- GELU MLP -------------------------------------------------------------------------------------

def mlp_arrays(scale=0.6):
    x = f32(rng.normal(size=(64, 32)))
    return [x] + [f32(rng.normal(size=s) * scale) for s in ((32, 64), (64,), (64, 32), (32,))]


def test_gelu_mlp_uses_the_tanh_gelu():
    arrays = mlp_arrays()                                    # pre-activations spread over about [-8, 8]
    assert_matches(values("gelu_mlp", *arrays), f32(np_mlp(*arrays)), rtol=1e-4, atol=1e-4,
                   what="gelu_mlp on a (64, 32) x, 32 -> 64 -> 32, tanh GELU")


def test_gelu_mlp_budgets():
    check_budgets("gelu_mlp", *mlp_arrays(0.2))


# ---- attention scores -----------------------------------------------------------------------------

def attention_arrays(mask_shape=(32, 32)):
    q, k = f32(rng.normal(size=(2, 2, 32, 8)) * 2), f32(rng.normal(size=(2, 2, 32, 8)) * 2)
    mask = rng.random(mask_shape) < 0.6
    mask |= np.eye(32, dtype=bool)                           # every query keeps at least one key
    return q, k, mask


def test_attention_scores_with_a_random_mask():
    q, k, mask = attention_arrays()                          # (..., T, d) with one batch axis, not (B, H, T, d)
    q, k = q.reshape(4, 32, 8), k.reshape(4, 32, 8)
    assert_matches(values("attention_scores", q, k, mask), f32(np_attention(q, k, mask)), rtol=1e-4, atol=1e-6,
                   what="attention_scores for q, k (4, 32, 8) (3-D: use the last two axes, not axes 2 and 3)")
    for mask_shape in ((32, 32), (2, 1, 32, 32)):
        q, k, mask = attention_arrays(mask_shape)
        got = values("attention_scores", q, k, mask)
        assert_matches(got, f32(np_attention(q, k, mask)), rtol=1e-4, atol=1e-6,
                       what=f"attention_scores for q, k (2, 2, 32, 8) and a random {mask_shape} mask")
        if not np.all(got[..., ~np.broadcast_to(mask, got.shape)] == 0):
            raise Mismatch("attention_scores: a masked entry is not exactly 0")


def test_attention_scores_budgets():
    check_budgets("attention_scores", *attention_arrays())


# ---- the training block ---------------------------------------------------------------------------

def test_training_block_same_gradients_fewer_flops():
    arrays = mlp_arrays(0.3)
    G = f32(rng.normal(size=(64, 32)))
    dy = Tensor(G).realize()

    def step(block):
        def run(x, W1, b1, W2, b2):
            loss = (block(x, W1, b1, W2, b2) * dy).sum()
            return (loss, *loss.gradient(W1, b1, W2, b2))
        return run

    def plain_block(x, W1, b1, W2, b2):                      # the fused gelu_mlp, written here
        return (x @ W1 + b1).gelu() @ W2 + b2

    _, _, flops, outs = measure(step(mine.gelu_mlp_for_training), *[Tensor(a) for a in arrays])
    x, W1, b1, W2, b2 = (a.astype(np.float64) for a in arrays)
    h = x @ W1 + b1
    g = np_gelu(h)
    dh = (G @ W2.T) * np_gelu_grad(h)
    want = [((g @ W2 + b2) * G).sum(), x.T @ dh, dh.sum(0), g.T @ G, G.sum(0)]
    for name, got_t, w in zip(("loss", "dW1", "db1", "dW2", "db2"), outs, want):
        assert_matches(got_t.numpy(), f32(w), rtol=1e-4, atol=1e-4,
                       what=f"{name} of sum(gelu_mlp_for_training(...) * G) (same values and gradients)")
    _, _, plain, _ = measure(step(plain_block), *[Tensor(a) for a in arrays], learner=False)
    if flops > ref.BACKWARD_FLOP_RATIO * plain:
        raise Mismatch(f"forward + backward of gelu_mlp_for_training costs {flops / plain:.2f} of the "
                       f"fused gelu_mlp's FLOPs; at most {ref.BACKWARD_FLOP_RATIO} is allowed")
