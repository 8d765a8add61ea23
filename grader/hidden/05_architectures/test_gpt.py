"""Hidden checks for Exercise 5.7: the learner's GPT against a NumPy transformer on the same weights.

One model size (V 11, context 8, d 16, 2 heads, 2 layers) and two input shapes ((2, 8) and the
(1, 8) window of generation) keep tinygrad's kernel compilation to a few shapes (the training check
runs one block of the same shapes: a block's kernels are the same, its graph half as long to schedule).
The NumPy-level checks (batches, tokenizer, sampling) come first: a run stops at its first failure.
"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import built_with_constant_weights
from grader.target import exercise

mine = exercise("5.7")
V, C, D, H, L = 11, 8, 16, 2, 2
BLOCK_LAYERS = ("ln1", "ln2", "qkv", "proj", "fc", "fc_out")   # each block's layers, in the documented order


# ------------------------------------------------------------------ NumPy oracle

def _layernorm(x, w, b):
    """LayerNorm and what its backward needs (x normalised, the std)."""
    std = np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    xhat = (x - x.mean(-1, keepdims=True)) / std
    return xhat * w + b, (xhat, std)


def _layernorm_back(g, saved, w):
    """(dx, dweight, dbias) of LayerNorm from the gradient g of its output."""
    (xhat, std), gx = saved, g * w
    dx = (gx - gx.mean(-1, keepdims=True) - xhat * (gx * xhat).mean(-1, keepdims=True)) / std
    return dx, (g * xhat).sum((0, 1)), g.sum((0, 1))


GELU_C = math.sqrt(2 / math.pi)


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(GELU_C * (x + 0.044715 * x ** 3)))


def _gelu_grad(x):
    t = np.tanh(GELU_C * (x + 0.044715 * x ** 3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * GELU_C * (1 + 3 * 0.044715 * x ** 2)


def _forward(W, idx, tape=None):
    """Logits (N, T, V) in float64 of the documented architecture; `tape` (a list) gets what
    `_loss_and_grads` needs for the backward pass."""
    N, T = idx.shape
    x = W["tok"][idx] + W["pos"][:T]
    dh = D // H
    future = np.triu(np.ones((T, T), bool), 1)
    for b in W["blocks"]:
        h1, ln1 = _layernorm(x, *b["ln1"])
        qkv = h1 @ b["qkv"][0].T + b["qkv"][1]
        q, k, v = (qkv[..., i * D:(i + 1) * D].reshape(N, T, H, dh).transpose(0, 2, 1, 3) for i in range(3))
        s = np.where(future, -np.inf, q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh))
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        o = (p @ v).transpose(0, 2, 1, 3).reshape(N, T, D)
        x1 = x + o @ b["proj"][0].T + b["proj"][1]
        h2, ln2 = _layernorm(x1, *b["ln2"])
        a = h2 @ b["fc"][0].T + b["fc"][1]
        if tape is not None:
            tape.append((ln1, h1, q, k, v, p, o, ln2, h2, a))
        x = x1 + _gelu(a) @ b["fc_out"][0].T + b["fc_out"][1]
    hf, lnf = _layernorm(x, *W["ln_f"])
    if tape is not None:
        tape.append((lnf, hf))
    return hf @ W["head"].T


def _linear_grads(g, x):
    """(dweight, dbias) of a Linear with input x (N, T, d_in) and output gradient g (N, T, d_out)."""
    return g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1]), g.sum((0, 1))


def _loss_and_grads(W, idx, y):
    """The mean cross-entropy of `_forward(W, idx)` against y, and its gradient in float64 for each
    weight (a dict shaped like W; the head's apart from the token embedding's, even when tied)."""
    N, T = idx.shape
    tape, dh = [], D // H
    z = _forward(W, idx, tape).reshape(-1, V)
    z = z - z.max(-1, keepdims=True)
    logp, rows = z - np.log(np.exp(z).sum(-1, keepdims=True)), np.arange(N * T)
    dz = np.exp(logp)
    dz[rows, y.reshape(-1)] -= 1
    dz = (dz / (N * T)).reshape(N, T, V)
    lnf, hf = tape.pop()
    G = {"head": _linear_grads(dz, hf)[0], "blocks": []}
    dx, *G["ln_f"] = _layernorm_back(dz @ W["head"], lnf, W["ln_f"][0])
    for b, (ln1, h1, q, k, v, p, o, ln2, h2, a) in reversed(list(zip(W["blocks"], tape))):
        g = {"fc_out": _linear_grads(dx, _gelu(a))}
        da = (dx @ b["fc_out"][0]) * _gelu_grad(a)
        g["fc"] = _linear_grads(da, h2)
        dx1, *g["ln2"] = _layernorm_back(da @ b["fc"][0], ln2, b["ln2"][0])
        dx = dx + dx1
        g["proj"] = _linear_grads(dx, o)
        do = (dx @ b["proj"][0]).reshape(N, T, H, dh).transpose(0, 2, 1, 3)
        dp = do @ v.transpose(0, 1, 3, 2)
        ds = p * (dp - (dp * p).sum(-1, keepdims=True)) / math.sqrt(dh)
        dqkv = np.concatenate([t.transpose(0, 2, 1, 3).reshape(N, T, D)
                               for t in (ds @ k, ds.transpose(0, 1, 3, 2) @ q, p.transpose(0, 1, 3, 2) @ do)], -1)
        g["qkv"] = _linear_grads(dqkv, h1)
        dx0, *g["ln1"] = _layernorm_back(dqkv @ b["qkv"][0], ln1, b["ln1"][0])
        dx = dx + dx0
        G["blocks"].insert(0, g)
    G["tok"], G["pos"] = np.zeros_like(W["tok"]), np.zeros_like(W["pos"])
    np.add.at(G["tok"], idx, dx)
    G["pos"][:T] = dx.sum(0)
    return -logp[rows, y.reshape(-1)].mean(), G


def _sample(logits, temperature, top_k, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    z = np.asarray(logits, np.float64) / temperature
    if top_k is not None and top_k < len(z):
        z = np.where(z < np.sort(z)[-top_k], -np.inf, z)
    p = np.exp(z - z.max())
    return int(rng.choice(len(z), p=p / p.sum()))


def _generate(W, prompt, n, temperature=1.0, top_k=None, seed=0):
    rng, seq, out = np.random.default_rng(seed), list(prompt), []
    for _ in range(n):
        out.append(_sample(_forward(W, np.array([seq[-C:]]))[0, -1], temperature, top_k, rng))
        seq.append(out[-1])
    return out


def _model_with_random_weights(seed, scale=0.3, n_layers=L):
    """The learner's GPT with every weight replaced (through the documented attribute names) by
    seeded random values; returns (model, the same weights as float64 NumPy arrays)."""
    rng = np.random.default_rng(seed)
    model = built_with_constant_weights(mine.GPT, V, C, D, H, n_layers)
    tied = model.head.weight is model.tok_emb.weight
    made = []

    def put(obj, name, shape, mean=0.0, s=scale):
        value = (mean + s * rng.normal(size=shape)).astype(np.float32)
        made.append(Tensor(value))
        setattr(obj, name, made[-1])
        return value.astype(np.float64)

    W = {"tok": put(model.tok_emb, "weight", (V, D)), "pos": put(model.pos_emb, "weight", (C, D)), "blocks": []}
    for block in model.blocks:
        b = {}
        for ln in ("ln1", "ln2"):
            b[ln] = (put(getattr(block, ln), "weight", (D,), 1.0, 0.2), put(getattr(block, ln), "bias", (D,), s=0.1))
        for name, (d_out, d_in) in {"qkv": (3 * D, D), "proj": (D, D), "fc": (4 * D, D), "fc_out": (D, 4 * D)}.items():
            layer = getattr(block, name)
            b[name] = (put(layer, "weight", (d_out, d_in)), put(layer, "bias", (d_out,), s=0.1))
        W["blocks"].append(b)
    W["ln_f"] = (put(model.ln_f, "weight", (D,), 1.0, 0.2), put(model.ln_f, "bias", (D,), s=0.1))
    if tied:
        model.head.weight = model.tok_emb.weight     # a tied head stays tied
        W["head"] = W["tok"]
    else:
        W["head"] = put(model.head, "weight", (V, D))
    Tensor.realize(*made)      # buffers from the start: a model's later graphs share one schedule
    return model, W


def _weights_of(model):
    """The model's own weights as float64 NumPy arrays, read through the documented names."""
    def pair(layer):
        return tuple(t.numpy().astype(np.float64) if t is not None else 0.0 for t in (layer.weight, layer.bias))
    W = {"tok": model.tok_emb.weight.numpy().astype(np.float64), "pos": model.pos_emb.weight.numpy().astype(np.float64),
         "blocks": [{name: pair(getattr(b, name)) for name in BLOCK_LAYERS} for b in model.blocks],
         "ln_f": pair(model.ln_f), "head": model.head.weight.numpy().astype(np.float64)}
    return W


def _documented_tensors(model):
    """The documented weights in the order of `_flat` (None where a layer has no bias; a tied matrix twice)."""
    layers = [model.ln_f] + [getattr(b, name) for b in model.blocks for name in BLOCK_LAYERS]
    return [model.tok_emb.weight, model.pos_emb.weight, model.head.weight] + [t for layer in layers
                                                                              for t in (layer.weight, layer.bias)]


def _flat(W):
    """The arrays of a dict shaped like `_weights_of`'s (weights or their gradients) in a flat list."""
    return [W["tok"], W["pos"], W["head"], *W["ln_f"], *(a for b in W["blocks"] for name in BLOCK_LAYERS for a in b[name])]


def _grads_by_tensor(model, G):
    """{id(Tensor): gradient} over the model's documented weights; a tied matrix gets both of its
    gradients (token embedding and head)."""
    out = {}
    for t, g in zip(_documented_tensors(model), _flat(G)):
        if t is not None:
            out[id(t)] = out.get(id(t), 0) + g
    return out


IDX = np.random.default_rng(0).integers(0, V, size=(2, C)).astype(np.int32)


@pytest.fixture(scope="module")
def random_model():
    """(model, W): one model with random weights for the checks that only read it (forward, causality,
    generation); building one costs more than most of them."""
    return _model_with_random_weights(10, scale=0.5)


@pytest.fixture(scope="module")
def random_logits(random_model):
    """The learner's logits of the random model on IDX, one forward for the checks that read them."""
    return random_model[0](Tensor(IDX)).numpy()


@pytest.fixture(scope="module")
def fresh_model():
    """A GPT as its constructor leaves it (seed 3), for the checks of its initial weights and parameters()."""
    Tensor.manual_seed(3)
    return mine.GPT(V, C, D, H, L)


# ------------------------------------------------------------------ data

def test_get_batch_windows_and_shift_by_one():
    data = np.arange(1000, 1040)
    x, y = mine.get_batch(data, 6, 64, np.random.default_rng(5))
    assert_matches(np.array(x.shape), np.array([64, 6]), what="shape of x from get_batch(data, 6, 64, rng)")
    assert_matches(np.array(y.shape), np.array([64, 6]), what="shape of y")
    starts = x[:, 0] - 1000
    assert_matches(x, (1000 + starts[:, None] + np.arange(6)).astype(x.dtype),
                   what="each row of x is a contiguous window of the data")
    assert_matches(y, x + 1, what="y is x shifted by exactly one position (the next token of every x)")
    if x.dtype != np.int32 or y.dtype != np.int32:
        raise Mismatch(f"get_batch of int64 data returned {x.dtype} and {y.dtype};\n"
                       "the docstring promises int32 arrays.")
    x2, _ = mine.get_batch(data, 6, 64, np.random.default_rng(5))
    assert_matches(x2, x, what="get_batch with an rng of the same seed")


def test_get_batch_reaches_the_last_valid_start():
    short = np.arange(7)                                  # context 5: starts 0 and 1 only
    x, y = mine.get_batch(short, 5, 200, np.random.default_rng(6))
    seen = sorted(set(int(s) for s in x[:, 0]))
    if seen != [0, 1]:
        raise Mismatch(f"with 7 tokens and context 5 the window starts seen were {seen}; expected both 0 "
                       "and 1 (the last valid start is len(data) - context - 1)")
    assert_matches(y[:, -1], x[:, 0] + 5, what="last target of each window (inside the data)")
    only, _ = mine.get_batch(np.arange(6), 5, 3, np.random.default_rng(0))
    assert_matches(only, np.tile(np.arange(5), (3, 1)).astype(only.dtype), what="get_batch with exactly context + 1 tokens")
    assert_raises(ValueError, mine.get_batch, np.arange(5), 5, 2, np.random.default_rng(0),
                  what="get_batch with len(data) == context (no target for the last position)")


def test_tokenizer_round_trip_and_vocabulary():
    rng = np.random.default_rng(7)
    alphabet = list("zy x!\nQaB,;")
    text = "".join(rng.choice(alphabet, size=200))
    tok = mine.CharTokenizer(text)
    if list(tok.chars) != sorted(set(text)) or tok.vocab_size != len(set(text)):
        raise Mismatch("the vocabulary is not the sorted set of the text's characters")
    ids = tok.encode(text)
    assert_matches(np.array(ids), np.array([sorted(set(text)).index(c) for c in text]), what="encode(text)")
    if tok.decode(ids) != text or tok.decode(np.array(ids)) != text:
        raise Mismatch("decode(encode(text)) is not the text (lists and NumPy arrays of ids)")
    assert_raises(ValueError, tok.encode, "xyzw", what="encode with a character outside the vocabulary ('w')")
    assert_raises(ValueError, tok.decode, [0, tok.vocab_size], what="decode with an id == vocab_size")
    assert_raises(ValueError, tok.decode, [0, -1], what="decode with the id -1 (outside [0, vocab_size))")


# ------------------------------------------------------------------ sampling

def test_sample_next_temperature_top_k_and_greedy():
    rng = np.random.default_rng(8)
    logits = rng.normal(size=V) * 2
    top3 = set(np.argsort(logits)[-3:].tolist())
    for temperature, top_k in ((1.0, None), (0.5, None), (2.0, 3), (0.7, 1)):
        got = [mine.sample_next(logits.astype(np.float32), temperature, top_k, np.random.default_rng(s)) for s in range(60)]
        want = [_sample(logits.astype(np.float32), temperature, top_k, np.random.default_rng(s)) for s in range(60)]
        assert_matches(np.array(got), np.array(want), what=f"sample_next with temperature {temperature}, "
                       f"top_k {top_k} over 60 seeds (divide the logits by the temperature before the softmax)")
    # ties at the k-th largest value are all kept; top_k >= V keeps everything
    ties = np.array([1, 3, 0, 3, 1, 3, 2, 0, 1, 2, 3], np.float64)
    for lg, temperature, top_k in ((ties, 1.0, 1), (ties, 0.5, 2), (logits, 1.0, V), (logits, 1.5, V + 1)):
        got = [mine.sample_next(lg, temperature, top_k, np.random.default_rng(s)) for s in range(60)]
        want = [_sample(lg, temperature, top_k, np.random.default_rng(s)) for s in range(60)]
        what = "logits with ties at the k-th value" if lg is ties else f"V = {V} logits"
        assert_matches(np.array(got), np.array(want), what=f"sample_next with top_k {top_k}, {what},\n"
                       "over 60 seeds (keep every z >= the k-th largest)")
    # large z (confident logits, low temperature): exp overflows unless the softmax is max-shifted
    for lg, temperature, top_k in ((logits * 300, 1.0, None), (logits, 0.02, 3)):
        want = [_sample(lg, temperature, top_k, np.random.default_rng(s)) for s in range(20)]
        try:
            got = [mine.sample_next(lg, temperature, top_k, np.random.default_rng(s)) for s in range(20)]
        except (ValueError, FloatingPointError) as e:
            raise Mismatch(f"sample_next with logits/temperature of several hundred raised {type(e).__name__}:\n"
                           "exp overflowed; subtract max(z) before the softmax.") from None
        assert_matches(np.array(got), np.array(want), what=f"sample_next with temperature {temperature}, top_k "
                       f"{top_k} on logits whose z reach several hundred, over 20 seeds (max-shift the softmax)")
    draws = np.random.default_rng(9)
    outside = [i for i in (mine.sample_next(logits, 5.0, 3, draws) for _ in range(300)) if i not in top3]
    if outside:
        raise Mismatch(f"top_k=3 sampled id {outside[0]}, which is not among the 3 largest logits")
    if mine.sample_next(logits, 0, None, np.random.default_rng(0)) != int(np.argmax(logits)):
        raise Mismatch("sample_next with temperature 0 is not the argmax of the logits")
    # greedy leaves the generator alone: a draw taken there would shift every later sample
    draws = np.random.default_rng(1)
    mine.sample_next(logits, 0, 3, draws)
    if draws.random() != np.random.default_rng(1).random():
        raise Mismatch("sample_next with temperature 0 took a draw from rng; the docstring's greedy\n"
                       "branch does not use rng (return the argmax without sampling).")
    assert_raises(ValueError, mine.sample_next, logits, -1.0, None, np.random.default_rng(0), what="temperature -1")


# ------------------------------------------------------------------ the model

# the causal check comes first in the file: the bank's warm-up charges the fixtures to it, and the
# forward check, which catches most model edits, counts as cheap and runs first for them
def test_whole_model_is_causal_and_uses_context(random_model, random_logits):
    model, base = random_model[0], random_logits
    edited = IDX.copy()                                   # both edits in one (2, 8) batch: one more forward
    edited[0, 5:] = (edited[0, 5:] + 1) % V               # row 0: change only the tokens after position 4
    edited[1, 0] = (edited[1, 0] + 3) % V                 # row 1: change only the first token
    changed = model(Tensor(edited)).numpy()
    assert_matches(changed[0, :5], base[0, :5], what="logits at positions 0..4 after changing tokens 5..7 "
                   "(a future token leaked into the past: is the causal mask applied in every layer?)", atol=1e-5)
    if np.allclose(changed[0, 5:], base[0, 5:], atol=1e-4):
        raise Mismatch("logits at positions 5..7 did not change when their own tokens changed")
    if np.allclose(changed[1, 7], base[1, 7], atol=1e-5):
        raise Mismatch("the logits at position 7 ignore the token at position 0 (attention sees no context?)")


def test_forward_matches_numpy_transformer(random_model, random_logits):
    _, W = random_model
    assert_matches(random_logits, _forward(W, IDX).astype(np.float32),
                   what="logits of GPT(11, 8, 16, 2 heads, 2 layers) on a (2, 8) batch, random weights",
                   rtol=1e-3, atol=1e-3)


def test_parameters_lists_every_weight_once(fresh_model):
    model = fresh_model
    params = model.parameters()
    ids = [id(p) for p in params]
    if len(set(ids)) != len(ids):
        raise Mismatch("parameters() lists a Tensor twice (a tied matrix would then be updated twice per step)")
    wanted = {"tok_emb.weight": model.tok_emb.weight, "pos_emb.weight": model.pos_emb.weight,
              "ln_f.weight": model.ln_f.weight, "head.weight": model.head.weight}
    if model.ln_f.bias is not None:
        wanted["ln_f.bias"] = model.ln_f.bias
    for i, block in enumerate(model.blocks):
        for name in BLOCK_LAYERS:
            wanted[f"blocks[{i}].{name}.weight"] = getattr(block, name).weight
            if getattr(block, name).bias is not None:
                wanted[f"blocks[{i}].{name}.bias"] = getattr(block, name).bias
    missing = [name for name, t in wanted.items() if id(t) not in set(ids)]
    if missing:
        raise Mismatch(f"parameters() misses {missing[:3]} (the optimizer would never train them)")


def test_initialisation_std_and_loss_near_ln_v(fresh_model):
    model = fresh_model
    tensors = {id(t): t for t in _documented_tensors(model) if t is not None}
    Tensor.realize(*tensors.values())    # one schedule, not one per .numpy()
    W = _weights_of(model)
    named = {"tok_emb": W["tok"], "pos_emb": W["pos"]}
    for i, block in enumerate(model.blocks):
        for name in ("qkv", "proj", "fc", "fc_out"):
            named[f"blocks[{i}].{name}.weight"], bias = W["blocks"][i][name]
            if getattr(block, name).bias is not None:
                assert_matches(bias, np.zeros(bias.shape), what=f"initial blocks[{i}].{name}.bias")
    for name, w in named.items():
        assert_matches(np.array([float(w.std())]), np.array([0.02]), what=f"std of the initial {name}", rtol=0.25)
    logits = _forward(W, IDX).reshape(-1, V)
    logp = logits - logits.max(-1, keepdims=True)
    loss = -(logp - np.log(np.exp(logp).sum(-1, keepdims=True))).mean()    # averaged over every target
    assert_matches(np.array([loss]), np.array([math.log(V)]), what="cross-entropy at initialisation (about ln V "
                   "when the logits start near 0)", atol=0.05)


class _TrainingSpy:
    """Stands in for a layer and records TRAINING each time the model calls it."""

    def __init__(self, layer, seen):
        self.layer, self.seen = layer, seen

    weight = property(lambda self: self.layer.weight)
    bias = property(lambda self: self.layer.bias)

    def __call__(self, x):
        from tinygrad.helpers import TRAINING
        self.seen.append(bool(TRAINING.value))
        return self.layer(x)

    def __getattr__(self, name):      # eps, axis, ...: a functional LayerNorm reads them through the layer
        return getattr(self.layer, name)


def test_train_step_two_sgd_steps_against_numpy_gradients():
    from tinygrad.nn.optim import SGD
    model, _ = _model_with_random_weights(6, n_layers=1)   # one block: half the graph to schedule
    seen = []
    model.ln_f = _TrainingSpy(model.ln_f, seen)
    params = model.parameters()
    rng = np.random.default_rng(6)
    x, y = IDX, rng.integers(0, V, size=IDX.shape).astype(np.int32)
    opt = SGD(params, lr=0.5)
    step = mine.make_train_step(model, opt)
    for p in params:              # stale gradients from an earlier backward: each step must clear them
        p.grad = Tensor.full(p.shape, 0.5)
    Tensor.realize(*params, opt.lr)   # all realized before step 1: step 2 hits the schedules of step 1
    for k in (1, 2):
        want_loss, G = _loss_and_grads(_weights_of(model), x, y)   # float64 backward of the weights as they are
        grads = _grads_by_tensor(model, G)           # a Tensor outside the documented weights: no gradient
        want = [(p.numpy() - 0.5 * grads.get(id(p), 0)).astype(np.float32) for p in params]
        seen.clear()
        got = step(Tensor(x), Tensor(y))
        if not isinstance(got, Tensor):
            raise Mismatch(f"the step returned {type(got).__name__}; expected the loss Tensor")
        assert_matches(np.array([got.item()]), np.array([want_loss]), rtol=1e-4,
                       what=f"loss of train step {k} (the mean cross-entropy over N*T)")
        if k == 1 and not all(seen):      # empty when ln_f is applied functionally: nothing to tell
            raise Mismatch("the model ran outside Context(TRAINING=1) in the step;\n"
                           "the docstring runs the whole step under it.")
        for i, (p, w) in enumerate(zip(params, want)):
            assert_matches(p.numpy(), w, rtol=1e-3, atol=1e-5,
                           what=f"parameters()[{i}] after train step {k} of SGD(lr=0.5)\n"
                           "(zero the gradients, then one update)")


# ------------------------------------------------------------------ generation

def test_generate_with_and_without_cache_matches_numpy(random_model):
    model, W = random_model
    prompt = [3, 1, 4, 1, 5]
    want = _generate(W, prompt, 7, temperature=0.8, seed=11)     # 5 + 7 > context 8: the window slides
    for use_cache in (True, False):
        got = mine.generate(model, prompt, 7, temperature=0.8, seed=11, use_cache=use_cache)
        assert_matches(np.array(got), np.array(want), what=f"generate(model, [3, 1, 4, 1, 5], 7, temperature=0.8, "
                       f"seed=11, use_cache={use_cache}): ids past the context too")
    # called again on the same model with another prompt: nothing of the first calls' cache is reused
    again = mine.generate(model, [5, 2], 4, temperature=0)      # greedy, through the KV cache alone
    assert_matches(np.array(again), np.array(_generate(W, [5, 2], 4, temperature=0)),
                   what="greedy generate(model, [5, 2], 4, temperature=0) with the KV cache, called again")


def test_generate_greedy_long_prompt_and_top_k(random_model):
    model, W = random_model
    long_prompt = [int(i) for i in np.random.default_rng(13).integers(0, V, size=11)]   # longer than context
    got = mine.generate(model, long_prompt, 3, temperature=0)
    assert_matches(np.array(got), np.array(_generate(W, long_prompt, 3, temperature=0)),
                   what="greedy generate (temperature 0) from an 11-id prompt with context 8")
    short = [5, 2]
    got = mine.generate(model, short, 4, temperature=1.5, top_k=2, seed=14)
    assert_matches(np.array(got), np.array(_generate(W, short, 4, 1.5, 2, 14)),
                   what="generate from a 2-id prompt with the KV cache, temperature 1.5, top_k=2, seed 14")
    if mine.generate(model, [5], 0) != []:
        raise Mismatch("generate(..., n=0) should return no ids")
    assert_raises(ValueError, mine.generate, model, [], 3, what="generate from an empty prompt")
