"""Hidden checks for Exercise 5.6: attention against float64 NumPy oracles, black-box probes (causality,
context dependence, head order), masks at their boundaries, and a pre-LN block on copied weights.

The learner's calls run inside `refuse_calls`: Tensor.scaled_dot_product_attention is what this exercise
builds, so calling it fails the check. Shapes are few and shared, since tinygrad compiles per shape, and
copied weights are realized before the first forward pass, so later passes reuse its schedule.
"""
import math

import numpy as np
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import attribute_uses, built_with_constant_weights, refuse_calls
from grader.target import exercise

mine = exercise("5.6")

BUILTIN = ["scaled_dot_product_attention"]
RULE = "Exercise 5.6 builds attention from primitives; the built-in is allowed from 5.7 on"
N, T, D, H, D_FF = 2, 6, 12, 3, 16          # the MHA and block shapes of every check below


def learner(fn, *args):
    """fn(*args) with the built-in attention refused, the result as NumPy (Tensor) or as it is."""
    with refuse_calls(Tensor, BUILTIN, RULE):
        out = fn(*args)
        return out.numpy() if isinstance(out, Tensor) else out


def t(a):
    return Tensor(np.ascontiguousarray(a))


# ---------------------------------------------------------------- NumPy oracles (float64)

def np_attention(q, k, v, mask=None):
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    keep = np.ones(scores.shape, bool) if mask is None else np.broadcast_to(mask, scores.shape)
    scores = np.where(keep, scores, -np.inf)
    row_max = scores.max(-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    e = np.where(keep, np.exp(scores - row_max), 0.0)
    total = e.sum(-1, keepdims=True)
    return (e / np.where(total == 0, 1.0, total)) @ v          # a fully masked row: zeros (the documented rule)


def np_linear(x, p):
    return x @ p["w"].T + p["b"]


def np_mha(x, P, mask=None):
    def split(a):
        return a.reshape(N, T, H, D // H).transpose(0, 2, 1, 3)
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]
    q, k, v = (split(np_linear(x, P[name])) for name in ("q", "k", "v"))
    heads = np_attention(q, k, v, mask)
    return np_linear(heads.transpose(0, 2, 1, 3).reshape(N, T, D), P["o"])


def np_layernorm(x, p, eps=1e-5):
    centred = x - x.mean(-1, keepdims=True)
    return centred / np.sqrt((centred ** 2).mean(-1, keepdims=True) + eps) * p["w"] + p["b"]


def np_gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_block(x, P, mask):
    x = x + np_mha(np_layernorm(x, P["ln1"]), P, mask)
    return x + np_linear(np_gelu(np_linear(np_layernorm(x, P["ln2"]), P["fc1"])), P["fc2"])


# ---------------------------------------------------------------- weights copied into the learner's layers

def random_params(rng):
    layer = lambda n_out, n_in: {"w": rng.normal(0, 1 / math.sqrt(n_in), (n_out, n_in)).astype(np.float32),
                                 "b": rng.normal(0, 0.1, n_out).astype(np.float32)}
    norm = lambda: {"w": rng.normal(1, 0.2, D).astype(np.float32), "b": rng.normal(0, 0.2, D).astype(np.float32)}
    return {"q": layer(D, D), "k": layer(D, D), "v": layer(D, D), "o": layer(D, D),
            "ln1": norm(), "ln2": norm(), "fc1": layer(D_FF, D), "fc2": layer(D, D_FF)}


def _has_bias(owner, attr, layer, size):
    """The layer was built with a bias (checked before the copied weights replace it)."""
    bias = getattr(layer, "bias", None)
    if bias is None or tuple(bias.shape) != (size,):
        raise Mismatch(f"{owner}.{attr} has no bias of shape ({size},): the docstring\n"
                       "builds it as an nn.Linear with bias.")


def _copy_in(layers):
    """(layer, params) pairs: the copied weights, realized in one schedule, so every forward pass after
    it is the same graph on buffers (tinygrad schedules it once, then reuses the schedule)."""
    for layer, p in layers:
        layer.weight, layer.bias = t(p["w"]), t(p["b"])
    Tensor.realize(*(w for layer, _ in layers for w in (layer.weight, layer.bias)))


def _mha_layers(mha, P):
    for name, attr in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj"), ("o", "out_proj")):
        layer = getattr(mha, attr)
        _has_bias("MultiHeadAttention", attr, layer, D)
        yield layer, P[name]


def load_mha(mha, P):
    _copy_in(list(_mha_layers(mha, P)))


def load_block(block, P):
    layers = list(_mha_layers(block.attn, P))
    for name in ("ln1", "ln2", "fc1", "fc2"):
        layer = getattr(block, name)
        if name.startswith("fc"):
            _has_bias("TransformerBlock", name, layer, D_FF if name == "fc1" else D)
        layers.append((layer, P[name]))
    _copy_in(layers)


def seeded_mha(seed):
    rng = np.random.default_rng(seed)
    P = random_params(rng)
    mha = learner(built_with_constant_weights, mine.MultiHeadAttention, D, H)    # every weight is copied in
    load_mha(mha, P)
    return mha, P, rng


def qkv(rng, scale=1.0):
    q = (scale * rng.normal(size=(2, 3, 4, 8))).astype(np.float32)     # T_q = 4
    k = (scale * rng.normal(size=(2, 3, 6, 8))).astype(np.float32)     # T_k = 6
    v = rng.normal(size=(2, 3, 6, 5)).astype(np.float32)               # d_v = 5
    return q, k, v


# ---------------------------------------------------------------- scaled dot-product attention

def test_attention_matches_numpy_with_batch_and_head_axes():
    rng = np.random.default_rng(1)
    q, k, v = qkv(rng)
    got = learner(mine.scaled_dot_product_attention, t(q), t(k), t(v))
    assert_matches(got, np_attention(q, k, v).astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="attention of q (2, 3, 4, 8), k (2, 3, 6, 8), v (2, 3, 6, 5) without a mask")


def test_masked_attention_matches_numpy_with_a_per_sequence_mask():
    rng = np.random.default_rng(2)
    q, k, v = qkv(rng)
    mask = rng.random((2, 1, 4, 6)) < 0.5                   # one mask per sequence, shared by the 3 heads
    mask[..., 1] = True                                     # every query keeps at least one key here
    got = learner(mine.scaled_dot_product_attention, t(q), t(k), t(v), t(mask))
    assert_matches(got, np_attention(q, k, v, mask).astype(np.float32), rtol=1e-4, atol=1e-5,
                   what="attention with a random bool mask of shape (2, 1, 4, 6)")


def test_causal_attention_matches_numpy():
    rng = np.random.default_rng(3)
    q, k, v = (rng.normal(size=(2, 3, 6, 8)).astype(np.float32) for _ in range(3))
    got = learner(mine.scaled_dot_product_attention, t(q), t(k), t(v), mine.causal_mask(6))
    assert_matches(got, np_attention(q, k, v, np.tril(np.ones((6, 6), bool))).astype(np.float32), rtol=1e-4,
                   atol=1e-5, what="attention with causal_mask(6) on (2, 3, 6, 8) inputs (key j <= query i)")


def test_fully_masked_rows_are_zero_and_the_others_unchanged():
    rng = np.random.default_rng(4)
    q, k, v = qkv(rng)
    mask = rng.random((4, 6)) < 0.6
    mask[:, 2] = True
    mask[[0, 3]] = False                                    # queries 0 and 3 may see no key at all
    got = learner(mine.scaled_dot_product_attention, t(q), t(k), t(v), t(mask))
    if not np.isfinite(got).all():
        raise Mismatch("attention with fully masked rows (queries that may see no key) returned NaN or inf; "
                       "the docstring's rule is a row of zeros")
    assert_matches(got[:, :, [0, 3]], np.zeros((2, 3, 2, 5), np.float32),
                   what="output of the fully masked query rows (the rule: zeros)", atol=1e-7)
    assert_matches(got[:, :, [1, 2]], np_attention(q, k, v, mask)[:, :, [1, 2]].astype(np.float32),
                   what="output of the other query rows, next to fully masked ones", rtol=1e-4, atol=1e-5)


def test_huge_scores_stay_finite_and_exact():
    rng = np.random.default_rng(5)
    q, k, v = qkv(rng, scale=40.0)                          # scores of several thousand, up to about 1e4
    mask = np.ones((4, 6), bool)
    mask[1, 3:] = False
    got = learner(mine.scaled_dot_product_attention, t(q), t(k), t(v), t(mask))
    assert_matches(got, np_attention(q, k, v, mask).astype(np.float32),
                   what="attention with scores of order 1e4 (exp overflows without the max-shift)", rtol=1e-4, atol=1e-4)


def test_attention_rejects_mismatched_shapes_and_never_uses_the_builtin():
    rng = np.random.default_rng(6)
    q, k, v = qkv(rng)
    with refuse_calls(Tensor, BUILTIN, RULE):                # a call is refused as the graph is built: nothing to run
        mine.scaled_dot_product_attention(t(q), t(k), t(v))
    assert_raises(ValueError, mine.scaled_dot_product_attention, t(q), t(k[..., :7]), t(v),
                  what="attention with q of width 8 and k of width 7")
    assert_raises(ValueError, mine.scaled_dot_product_attention, t(q), t(k), t(v[..., :5, :]),
                  what="attention with 6 keys and 5 values")
    uses = attribute_uses(mine, BUILTIN)
    if uses:
        raise Mismatch(f"the module reaches Tensor.scaled_dot_product_attention ({', '.join(uses)}): {RULE}")


# ---------------------------------------------------------------- masks

def test_causal_mask_boundaries():
    for size in (1, 2, 7):
        got = learner(mine.causal_mask, size)
        assert_matches(got, np.tril(np.ones((size, size), bool)),
                       what=f"causal_mask({size}) (True where key j <= query i, the diagonal included)")
    assert_raises(ValueError, mine.causal_mask, 0, what="causal_mask(0)")


def test_padding_mask_against_numpy_and_combined_with_causal():
    lengths = [0, 3, 7, 5]
    got = learner(mine.padding_mask, lengths, 7)
    want = (np.arange(7)[None, None, :] < np.array(lengths)[:, None, None])
    assert_matches(got, want, what=f"padding_mask({lengths}, 7) of shape (4, 1, 7)")
    both = learner(lambda: mine.causal_mask(7) & mine.padding_mask(lengths, 7))
    assert_matches(both, np.tril(np.ones((7, 7), bool)) & want, what="causal_mask(7) & padding_mask(lengths, 7)")
    for bad in ([8], [2, -1]):
        assert_raises(ValueError, mine.padding_mask, bad, 7, what=f"padding_mask({bad}, 7)")


# ---------------------------------------------------------------- multi-head attention

def test_split_and_merge_heads_keep_each_heads_columns():
    rng = np.random.default_rng(7)
    mha = learner(built_with_constant_weights, mine.MultiHeadAttention, D, H)     # only its reshapes run
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    heads = x.reshape(N, T, H, D // H).transpose(0, 2, 1, 3)
    assert_matches(learner(mha.split_heads, t(x)), np.ascontiguousarray(heads),
                   what=f"split_heads of (N, T, d_model) = {x.shape} with {H} heads")
    y = rng.normal(size=(N, H, T, D // H)).astype(np.float32)
    assert_matches(learner(mha.merge_heads, t(y)), y.transpose(0, 2, 1, 3).reshape(N, T, D),
                   what=f"merge_heads of (N, H, T, d_head) = {y.shape} (head h into columns h*d_head...)")
    assert_raises(ValueError, mine.MultiHeadAttention, D, 5, what=f"MultiHeadAttention({D}, 5)")


def test_mha_matches_numpy_with_copied_weights():
    mha, P, rng = seeded_mha(8)
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    try:
        got = learner(mha, t(x))                            # mask=None: every position sees every other
    except NotImplementedError:
        raise
    except Exception as e:
        raise Mismatch(f"MultiHeadAttention({D}, {H}) without a mask raised {type(e).__name__}: {e}\n"
                       "mask=None means no mask.") from None
    assert_matches(got, np_mha(x, P).astype(np.float32), what=f"MultiHeadAttention({D}, {H}) with mask=None "
                   "(no mask at all, not a causal one)", rtol=1e-4, atol=1e-5)
    pad = np.arange(T) < np.array([3, T - 1])[:, None, None]      # a padding mask (N, 1, T)
    got = learner(mha, t(x), t(pad))
    assert_matches(got, np_mha(x, P, pad).astype(np.float32), what=f"MultiHeadAttention({D}, {H}) with an "
                   "(N, 1, T) padding mask, lengths [3, 5]", rtol=1e-4, atol=1e-5)
    causal = np.tril(np.ones((T, T), bool))
    lengths = [4, 0]                                        # the second sequence is all padding
    both = causal & (np.arange(T) < np.array(lengths)[:, None, None])
    got = learner(mha, t(x), t(both))
    assert_matches(got, np_mha(x, P, both).astype(np.float32), what=f"MultiHeadAttention({D}, {H}) with an "
                   "(N, T, T) causal & padding mask, lengths [4, 0]", rtol=1e-4, atol=1e-5)
    got = learner(mha, t(x), mine.causal_mask(T))
    assert_matches(got, np_mha(x, P, causal).astype(np.float32),
                   what=f"MultiHeadAttention({D}, {H}) with a (T, T) causal mask on x {x.shape}", rtol=1e-4, atol=1e-5)


def test_mha_head_permutation_probe():
    # relabelling the heads (the same permutation of q, k, v output blocks and of out_proj's input blocks)
    # must not change the output when heads are split and merged consistently
    mha, P, rng = seeded_mha(9)
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    before = learner(mha, t(x), mine.causal_mask(T))
    order = np.arange(D).reshape(H, D // H)[[2, 0, 1]].ravel()
    Q = {name: {"w": P[name]["w"][order], "b": P[name]["b"][order]} for name in ("q", "k", "v")}
    Q["o"] = {"w": P["o"]["w"][:, order], "b": P["o"]["b"]}
    load_mha(mha, Q)
    after = learner(mha, t(x), mine.causal_mask(T))
    assert_matches(after, before, what="MultiHeadAttention output after relabelling its heads (heads split or "
                   "merged in an inconsistent order?)", rtol=1e-4, atol=1e-5)


def test_causality_and_context_dependence_probes():
    rng = np.random.default_rng(10)
    P = random_params(rng)
    block = learner(built_with_constant_weights, mine.TransformerBlock, D, H, D_FF)
    load_block(block, P)
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    # sequences do not see each other, so each row of a batch carries its own probe: two changed batches
    # cover the tokens after positions 0, 2 and 4 and a change of the first token
    later, mixed = x.copy(), x.copy()
    later[0, 1:], later[1, 3:] = rng.normal(size=(T - 1, D)), rng.normal(size=(T - 3, D))
    mixed[0, 5:] = rng.normal(size=(T - 5, D))
    mixed[1, 0] += rng.normal(size=D).astype(np.float32)               # not a constant: LayerNorm removes one

    def probe(name, model):
        base, got_later, got_mixed = (learner(model, t(a), mine.causal_mask(T)) for a in (x, later, mixed))
        for row, pos, got in ((0, 0, got_later), (1, 2, got_later), (0, 4, got_mixed)):
            assert_matches(got[row, :pos + 1], base[row, :pos + 1], rtol=0, atol=1e-6,
                           what=f"{name} outputs 0..{pos} under a causal mask after changing the tokens after "
                           f"position {pos} (the future leaks in)")
        if np.abs(got_mixed[1, T - 1] - base[1, T - 1]).max() < 1e-3:
            raise Mismatch(f"{name} output at the last position did not change when the first token changed: "
                           "it does not attend to earlier positions")
    # the block's only path between positions is its attention, so the block passes these probes exactly
    # when its attention does; the attention alone is probed where the block fails, to name the culprit
    try:
        probe("TransformerBlock", block)
    except Mismatch:
        probe("MultiHeadAttention", block.attn)
        raise


# ---------------------------------------------------------------- positions

def test_sinusoidal_positions_match_the_closed_form():
    for rows, dims in ((1, 1), (7, 6), (5, 9), (50, 16)):
        got = learner(mine.sinusoidal_positions, rows, dims)
        p, j = np.arange(rows)[:, None], np.arange(dims)[None, :]
        angle = p / 10000.0 ** ((j - j % 2) / dims)
        want = np.where(j % 2 == 0, np.sin(angle), np.cos(angle)).astype(np.float32)
        assert_matches(got, want, what=f"sinusoidal_positions({rows}, {dims})", atol=2e-5)
    assert_raises(ValueError, mine.sinusoidal_positions, 0, 4, what="sinusoidal_positions(0, 4)")


def test_learned_positions_init_forward_and_gradient():
    Tensor.manual_seed(11)
    pos = learner(mine.LearnedPositions, 64, 32)
    w = pos.weight.numpy()
    assert_matches(np.array([w.std(), w.mean()], np.float64), np.array([0.02, 0.0]), what="std and mean of the initial "
                   "LearnedPositions(64, 32).weight", atol=0.002)
    Tensor.manual_seed(11)
    assert_matches(learner(mine.LearnedPositions, 64, 32).weight.numpy(), w, rtol=0, atol=0,
                   what="LearnedPositions weight after the same Tensor.manual_seed (use Tensor.randn)")
    x = np.random.default_rng(12).normal(size=(3, 5, 32)).astype(np.float32)
    xt = t(x)
    out = pos(xt)
    assert_matches(out.numpy(), x + w[:5], what="LearnedPositions(64, 32) on x (3, 5, 32)", rtol=1e-6, atol=1e-7)
    out.sum().backward()
    grad = np.zeros((64, 32), np.float32)
    grad[:5] = 3.0                                         # each of the first 5 rows is used by 3 sequences
    if pos.weight.grad is None:
        raise Mismatch("LearnedPositions.weight got no gradient: the output must be computed from the weight tensor")
    assert_matches(pos.weight.grad.numpy(), grad, what="gradient of sum(LearnedPositions(x)) w.r.t. its weight")
    assert_raises(ValueError, pos, Tensor.zeros(1, 65, 32), what="LearnedPositions(64, 32) on 65 positions")


# ---------------------------------------------------------------- the block

def test_block_matches_numpy_pre_ln():
    rng = np.random.default_rng(13)
    P = random_params(rng)
    block = learner(built_with_constant_weights, mine.TransformerBlock, D, H, D_FF)
    load_block(block, P)
    x = rng.normal(1.0, 2.0, size=(N, T, D)).astype(np.float32)
    got = learner(block, t(x), mine.causal_mask(T))
    assert_matches(got, np_block(x, P, np.tril(np.ones((T, T), bool))).astype(np.float32),
                   what=f"TransformerBlock({D}, {H}, {D_FF}) with copied weights and a causal mask",
                   rtol=1e-4, atol=1e-4)
    # rows of tiny variance (about 1e-5): the LayerNorms' eps (1e-5) shows
    x = (0.5 + 3e-3 * rng.normal(size=(N, T, D))).astype(np.float32)
    got = learner(block, t(x), mine.causal_mask(T))
    assert_matches(got, np_block(x, P, np.tril(np.ones((T, T), bool))).astype(np.float32),
                   what="TransformerBlock on rows of variance ~1e-5 (LayerNorm eps 1e-5)",
                   rtol=1e-3, atol=1e-3)
