"""Hidden checks for Exercise 6.7: masking statistics, and the learner's BERT against a NumPy encoder.

The masking checks are statistical (any correct use of the generator passes): about 1e5 tokens,
tolerances of 4-5 standard deviations. The model checks use one size (V 12, context 8, d 16, 2
heads, 2 layers) and one batch shape (2, 8), so tinygrad compiles few kernels.
"""
import math

import numpy as np
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import built_with_constant_weights
from grader.target import exercise

mine = exercise("6.7")
V, C, D, H, L = 12, 8, 16, 2, 2
PAD, CLS, SEP, MASK, FIRST = 0, 1, 2, 3, 4


# ------------------------------------------------------------------ masking

def _corpus(rows, length, vocab_size, seed):
    """[CLS] characters [SEP] [PAD]... rows of random lengths, a few [MASK] ids among the characters."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(FIRST, vocab_size, size=(rows, length))
    ends = rng.integers(length // 3, length, size=rows)
    ids[:, 0] = CLS
    ids[np.arange(length) > ends[:, None]] = PAD
    ids[np.arange(rows), ends] = SEP
    ids[rng.random(ids.shape) < 0.01] = MASK
    return ids


def _fraction(got, want, tol, what):
    assert_matches(np.array([got]), np.array([want]), what=what, atol=tol)


def test_mask_tokens_statistics_over_1e5_tokens():
    ids = _corpus(400, 250, 69, seed=1)
    before = ids.copy()
    inputs, labels = mine.mask_tokens(ids, 69, np.random.default_rng(2))
    assert_matches(ids, before, what="the ids passed to mask_tokens (they must not be modified)")
    for name, arr in (("inputs", inputs), ("labels", labels)):
        if np.shape(arr) != ids.shape or np.asarray(arr).dtype.kind not in "iu":
            raise Mismatch(f"{name} must be an integer array of the ids' shape {ids.shape}")
        if np.asarray(arr).dtype != np.int32:
            raise Mismatch(f"{name} of int64 ids has dtype {np.asarray(arr).dtype}; the docstring declares int32 "
                           "whatever the dtype of ids")
    inputs, labels = np.asarray(inputs), np.asarray(labels)
    normal, chosen = ids >= FIRST, labels != -100
    if chosen[~normal].any():
        raise Mismatch("a [PAD], [CLS], [SEP] or [MASK] position was chosen (it has a label != -100)")
    if (inputs[~normal] != ids[~normal]).any():
        raise Mismatch("a special or padding token was changed")
    _fraction(chosen[normal].mean(), 0.15, 0.005, "fraction of the character positions chosen (labels != -100)")
    # independent choices: the count per row spreads like a binomial (a fixed 15% of every row does not)
    n_row, k_row = normal.sum(1), chosen.sum(1)
    spread = ((k_row - 0.15 * n_row) ** 2).sum() / (0.15 * 0.85 * n_row).sum()
    _fraction(spread, 1.0, 0.35, "spread of the number of chosen positions per row, relative to independent "
              "choices with probability mask_prob (a fixed share of every row has almost none)")
    assert_matches(labels[chosen], ids[chosen], what="labels at the chosen positions (the original ids)", check_dtype=False)
    if (inputs[~chosen] != ids[~chosen]).any():
        raise Mismatch("a position without a label was changed (only chosen positions may differ)")
    got = inputs[chosen]
    _fraction((got == MASK).mean(), 0.8, 0.02, "share of chosen positions replaced by [MASK]")
    _fraction((got == ids[chosen]).mean(), 0.1 + 0.1 / 65, 0.015,
              "share of chosen positions left unchanged (10%, plus random draws of the same id)")
    swapped = got[(got != MASK) & (got != ids[chosen])]
    _fraction(len(swapped) / len(got), 0.1 * 64 / 65, 0.015, "share of chosen positions replaced by another id")
    if swapped.size and (swapped.min() < FIRST or swapped.max() >= 69):
        raise Mismatch(f"a random replacement drew id {int(swapped.min())} or {int(swapped.max())}: "
                       f"random tokens are characters, ids {FIRST}..68")


def test_random_replacements_are_uniform_over_characters():
    ids = np.full((400, 250), 5)
    inputs, _ = mine.mask_tokens(ids, 12, np.random.default_rng(3), mask_prob=1.0)
    swapped = np.asarray(inputs)[(np.asarray(inputs) != MASK) & (np.asarray(inputs) != 5)]
    counts = np.bincount(swapped, minlength=12)
    if counts[:FIRST].any():
        raise Mismatch("random replacements include special tokens (ids 0..3)")
    expected = len(swapped) / 7                          # 7 characters other than the original
    share = np.delete(counts[FIRST:], 5 - FIRST) / expected
    assert_matches(share, np.ones(7), what="how often each other character (ids 4..11) was drawn as a random "
                   "replacement, relative to a uniform draw", atol=0.12)


def test_mask_tokens_with_one_or_two_characters_and_any_integer_dtype():
    # every id is the first character (id 4) and every position is chosen: 80% [MASK], 10% a random
    # character (the original among them), 10% unchanged; ids of several integer dtypes stay as they were
    for vocab_size, dtype in ((FIRST + 1, np.int32), (FIRST + 2, np.int64), (FIRST + 2, np.uint16)):
        ids = np.full((80, 250), FIRST, dtype=dtype)
        inputs, labels = mine.mask_tokens(ids, vocab_size, np.random.default_rng(10), mask_prob=1.0)
        case = f"{np.dtype(dtype).name} ids all {FIRST}, vocab_size={vocab_size}, mask_prob=1"
        if (ids != FIRST).any():
            raise Mismatch(f"mask_tokens modified the {np.dtype(dtype).name} ids passed in. "
                           "The docstring says ids is not modified")
        assert_matches(np.asarray(labels), np.full(ids.shape, FIRST), check_dtype=False,
                       what=f"labels for {case}: id {FIRST} is a normal token, every one is chosen")
        unchanged = (np.asarray(inputs) == FIRST).mean()
        _fraction(unchanged, 0.1 + 0.1 / (vocab_size - FIRST), 0.02,
                  f"share left unchanged for {case}. A random draw may give the original id")


def test_mask_tokens_seeds_and_generators():
    ids = _corpus(20, 30, 20, seed=4)
    a = mine.mask_tokens(ids, 20, 7)
    b = mine.mask_tokens(ids, 20, 7)
    for x, y, name in ((a[0], b[0], "inputs"), (a[1], b[1], "labels")):
        assert_matches(np.asarray(x), np.asarray(y), what=f"{name} of two calls with the int seed 7")
    c = mine.mask_tokens(ids, 20, 8)
    if np.array_equal(a[1], c[1]):
        raise Mismatch("seeds 7 and 8 chose the same positions (is the seed used?)")
    rng = np.random.default_rng(9)
    first, second = mine.mask_tokens(ids, 20, rng), mine.mask_tokens(ids, 20, rng)
    if np.array_equal(first[1], second[1]):
        raise Mismatch("two calls with one Generator chose the same positions (draw from the generator passed in)")
    none_in, none_lab = mine.mask_tokens(ids, 20, 0, mask_prob=0.0)
    assert_matches(np.asarray(none_in), ids, what="inputs with mask_prob=0", check_dtype=False)
    assert_matches(np.asarray(none_lab), np.full(ids.shape, -100), what="labels with mask_prob=0", check_dtype=False)


def test_mask_tokens_bad_input():
    ids = _corpus(2, 8, V, seed=5)
    inputs, _ = mine.mask_tokens(ids, V, 0)                  # valid input first
    if np.shape(inputs) != ids.shape:
        raise Mismatch("mask_tokens changed the shape of the ids")
    assert_raises(ValueError, mine.mask_tokens, ids.astype(np.float32), V, 0, what="mask_tokens with float ids")
    assert_raises(ValueError, mine.mask_tokens, ids, 6, 0, what="mask_tokens with ids >= vocab_size")
    assert_raises(ValueError, mine.mask_tokens, ids - 1, V, 0, what="mask_tokens with an id -1")
    assert_raises(ValueError, mine.mask_tokens, ids, V, 0, mask_prob=1.5, what="mask_prob 1.5")
    assert_raises(ValueError, mine.mask_tokens, np.full((2, 3), 1), FIRST, 0,
                  what="vocab_size 4 (no character to draw a random token from)")


# ------------------------------------------------------------------ vocabulary

def test_vocab_ids_decode_and_pack():
    text = "".join(np.random.default_rng(6).choice(list("zy x!\nQaB,"), size=120))
    vocab = mine.CharVocab(text)
    chars = sorted(set(text))
    if list(vocab.chars) != chars or vocab.vocab_size != FIRST + len(chars):
        raise Mismatch("the characters must be the sorted set of the text, after 4 special tokens")
    assert_matches(np.array(vocab.encode(text)), np.array([FIRST + chars.index(c) for c in text]), what="encode(text)")
    if vocab.decode(vocab.encode(text)) != text or vocab.decode([CLS, MASK, SEP, PAD]) != "[CLS][MASK][SEP][PAD]":
        raise Mismatch("decode is not the inverse of encode, or special tokens are not written by their names")
    rows = vocab.pack(["zy", "", "x!zy x!"], 5)
    want = [[CLS, FIRST + chars.index("z"), FIRST + chars.index("y"), SEP, PAD], [CLS, SEP, PAD, PAD, PAD],
            [CLS] + [FIRST + chars.index(c) for c in "x!z"] + [SEP]]
    assert_matches(np.asarray(rows), np.array(want), what="pack(['zy', '', 'x!zy x!'], 5)", check_dtype=False)
    assert_raises(ValueError, vocab.encode, "zw", what="encode with a character outside the vocabulary")
    assert_raises(ValueError, vocab.decode, [vocab.vocab_size], what="decode of id == vocab_size")
    assert_raises(ValueError, vocab.decode, [FIRST, -1], what="decode of id -1 (outside [0, vocab_size))")
    if np.asarray(rows).dtype != np.int32:
        raise Mismatch(f"pack returned dtype {np.asarray(rows).dtype}; the docstring declares int32")
    assert_raises(ValueError, vocab.pack, ["z"], 1, what="pack with length 1 (no room for [CLS] and [SEP])")


# ------------------------------------------------------------------ NumPy oracle

def _layernorm(x, w, b):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _encode(W, ids, keep):
    """H (N, T, d) in float64: bidirectional, padded keys masked for every query."""
    N, T = ids.shape
    x = W["tok"][ids] + W["pos"][:T]
    dh = D // H
    for b in W["blocks"]:
        h = _layernorm(x, *b["ln1"])
        qkv = h @ b["qkv"][0].T + b["qkv"][1]
        q, k, v = (qkv[..., i * D:(i + 1) * D].reshape(N, T, H, dh).transpose(0, 2, 1, 3) for i in range(3))
        s = np.where(keep[:, None, None, :], q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh), -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        o = (p / p.sum(-1, keepdims=True)) @ v
        x = x + o.transpose(0, 2, 1, 3).reshape(N, T, D) @ b["proj"][0].T + b["proj"][1]
        h = _gelu(_layernorm(x, *b["ln2"]) @ b["fc"][0].T + b["fc"][1])
        x = x + h @ b["fc_out"][0].T + b["fc_out"][1]
    return _layernorm(x, *W["ln_f"])


def _model_with_random_weights(seed, scale=0.3):
    """The learner's Bert with every weight replaced through the documented attribute names by
    seeded random values; returns (model, the same weights as float64 arrays)."""
    rng = np.random.default_rng(seed)
    model = built_with_constant_weights(mine.Bert, V, C, D, H, L)
    tied = model.head.weight is model.tok_emb.weight
    new = []

    def put(obj, name, shape, mean=0.0, s=scale):
        value = (mean + s * rng.normal(size=shape)).astype(np.float32)
        new.append(Tensor(value))
        setattr(obj, name, new[-1])
        return value.astype(np.float64)

    W = {"tok": put(model.tok_emb, "weight", (V, D)), "pos": put(model.pos_emb, "weight", (C, D)), "blocks": []}
    for block in model.blocks:
        b = {ln: (put(getattr(block, ln), "weight", (D,), 1.0, 0.2), put(getattr(block, ln), "bias", (D,), s=0.1))
             for ln in ("ln1", "ln2")}
        for name, (d_out, d_in) in {"qkv": (3 * D, D), "proj": (D, D), "fc": (4 * D, D), "fc_out": (D, 4 * D)}.items():
            layer = getattr(block, name)
            b[name] = (put(layer, "weight", (d_out, d_in)), put(layer, "bias", (d_out,), s=0.1))
        W["blocks"].append(b)
    W["ln_f"] = (put(model.ln_f, "weight", (D,), 1.0, 0.2), put(model.ln_f, "bias", (D,), s=0.1))
    if tied:
        model.head.weight = model.tok_emb.weight
        W["head"] = W["tok"]
    else:
        W["head"] = put(model.head, "weight", (V, D))
    Tensor.realize(*new)                                   # realized weights: repeated forwards share schedules
    return model, W


IDS = np.array([[CLS, 4, 9, 5, 11, 7, 6, SEP],
                [CLS, 8, 4, 10, SEP, PAD, PAD, PAD]], dtype=np.int32)
REAL = IDS != PAD


def _real(x):
    """The rows' values at real (non-padding) positions, flattened: (n_real, ...)."""
    return np.asarray(x)[REAL]


# ------------------------------------------------------------------ the encoder

def test_mlm_logits_match_numpy():
    model, W = _model_with_random_weights(1)
    logits = model(Tensor(IDS))
    if tuple(logits.shape) != (2, C, V) or logits.dtype.name != "float":
        raise Mismatch(f"logits: shape {tuple(logits.shape)}, dtype {logits.dtype}; want (2, 8, 12) float32")
    want = _encode(W, IDS, REAL) @ W["head"].T
    assert_matches(_real(logits.numpy()), _real(want).astype(np.float32), what="masked-LM logits (H @ E_tok^T) of "
                   "Bert(12, 8, 16, 2 heads, 2 layers) at the real positions of a padded (2, 8) batch, random weights",
                   rtol=1e-3, atol=1e-3)


def test_a_later_token_changes_earlier_outputs():
    model, W = _model_with_random_weights(2)
    hidden = model.encode(Tensor(IDS))
    if tuple(hidden.shape) != (2, C, D) or hidden.dtype.name != "float":
        raise Mismatch(f"encode: shape {tuple(hidden.shape)}, dtype {hidden.dtype}; want (2, 8, 16) float32")
    base = hidden.numpy()
    assert_matches(_real(base), _real(_encode(W, IDS, REAL)).astype(np.float32), what="encode(ids) at the real "
                   "positions of a padded (2, 8) batch, random weights", rtol=1e-3, atol=1e-3)
    later = IDS.copy()
    later[0, 6] = 10                                       # only the last character of row 0
    moved = model.encode(Tensor(later)).numpy()
    unchanged = [t for t in range(1, 6) if np.allclose(moved[0, t], base[0, t], atol=1e-5)]
    if unchanged:
        raise Mismatch(f"changing the token at position 6 left the outputs at positions {unchanged} unchanged: "
                       "an encoder sees the whole sequence (is a causal mask still applied?)")
    first = IDS.copy()
    first[0, 1] = 10
    if np.allclose(model.encode(Tensor(first)).numpy()[0, 6], base[0, 6], atol=1e-5):
        raise Mismatch("the output at position 6 ignores the token at position 1 (attention sees no context?)")
    assert_matches(moved[1], base[1], what="row 1 after changing a token of row 0 (rows are independent)", atol=1e-5)


def test_padding_changes_nothing_at_real_positions():
    model, W = _model_with_random_weights(3)
    base = model.encode(Tensor(IDS)).numpy()
    padded_keep = Tensor(REAL)
    other = IDS.copy()
    other[1, 5:] = [9, 4, 11]                              # characters where row 1 has padding
    got = model.encode(Tensor(other), padded_keep).numpy()
    assert_matches(got[1, :5], base[1, :5], what="outputs at the real positions of row 1 when the tokens under "
                   "mask=False change (padded keys must get attention weight 0 from every query)", atol=1e-4)
    want = _encode(W, other, REAL)
    assert_matches(_real(got), _real(want).astype(np.float32),
                   what="encode(ids, mask) with an explicit mask, real positions", rtol=1e-3, atol=1e-3)
    assert_matches(_real(model(Tensor(other), padded_keep).numpy()), _real(want @ W["head"].T).astype(np.float32),
                   what="Bert(ids, mask) logits with an explicit mask, real positions (is the mask passed on "
                        "to encode?)", rtol=1e-3, atol=1e-3)
    rng = np.random.default_rng(3)
    clf = mine.BertClassifier(model, 3)
    w, b = rng.normal(size=(3, D)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    clf.head.weight, clf.head.bias = Tensor(w), Tensor(b)
    assert_matches(clf(Tensor(other), padded_keep).numpy(), (want[:, 0] @ w.T + b).astype(np.float32),
                   what="BertClassifier(ids, mask) logits with an explicit mask (is the mask passed on to the "
                        "encoder?)", rtol=1e-3, atol=1e-3)
    model.tok_emb.weight = Tensor(np.concatenate([np.full((1, D), 5.0), W["tok"][1:]]).astype(np.float32)).realize()
    if model.head.weight is not model.tok_emb.weight and W["head"] is W["tok"]:
        model.head.weight = model.tok_emb.weight
    shifted = model.encode(Tensor(IDS)).numpy()
    assert_matches(shifted[1, :5], base[1, :5], what="real positions after changing the [PAD] embedding "
                   "(mask=None must hide the [PAD] positions: ids != PAD)", atol=1e-4)


def test_classifier_reads_the_cls_position():
    model, W = _model_with_random_weights(4)
    Tensor.manual_seed(4)
    clf = mine.BertClassifier(model, 3)
    ids = [id(p) for p in clf.parameters()]                # cheap checks (no kernels) first
    if len(ids) != len(set(ids)):
        raise Mismatch("BertClassifier.parameters() lists a Tensor twice")
    for name, t in (("head.weight", clf.head.weight), ("bert.tok_emb.weight", model.tok_emb.weight),
                    ("bert.blocks[1].fc.weight", model.blocks[1].fc.weight)):
        if id(t) not in set(ids):
            raise Mismatch(f"BertClassifier.parameters() misses {name} (fine-tuning trains the encoder too)")
    assert_raises(ValueError, mine.BertClassifier, model, 1, what="BertClassifier with 1 class")
    w0, b0 = clf.head.weight.numpy(), clf.head.bias.numpy()
    if w0.shape != (3, D) or b0.shape != (3,):
        raise Mismatch(f"the classifier head must be Linear({D}, 3): weight (3, {D}), bias (3,)")
    assert_matches(np.array([float(w0.std())]), np.array([0.02]), rtol=0.5,
                   what="std of the classifier head's initial weight. It starts ~ N(0, 0.02^2)")
    assert_matches(b0, np.zeros(3, np.float32), check_dtype=False,
                   what="the classifier head's initial bias (it starts at 0)")
    rng = np.random.default_rng(4)
    w, b = rng.normal(size=(3, D)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    clf.head.weight, clf.head.bias = Tensor(w), Tensor(b)
    got = clf(Tensor(IDS)).numpy()
    want = _encode(W, IDS, REAL)[:, 0] @ w.T + b
    assert_matches(got, want.astype(np.float32), what="BertClassifier logits (2, 3): head(encode(ids)[:, 0]), "
                   "the [CLS] position", rtol=1e-3, atol=1e-3)


def test_initialisation_and_parameters():
    Tensor.manual_seed(5)
    model = mine.Bert(V, C, D, H, L)
    params = model.parameters()                            # cheap checks (no kernels) first
    if len({id(p) for p in params}) != len(params):
        raise Mismatch("parameters() lists a Tensor twice (a tied matrix would be updated twice per step)")
    wanted = [model.tok_emb.weight, model.pos_emb.weight, model.ln_f.weight, model.head.weight,
              model.blocks[1].ln2.bias, model.blocks[0].proj.weight]
    if not all(any(p is w for p in params) for w in wanted):
        raise Mismatch("parameters() misses a weight (embeddings, LayerNorms, the head or a block's Linear)")
    # in the order of creation: each read realizes little more of the random-number chain than the last
    named = {"tok_emb": model.tok_emb.weight, "pos_emb": model.pos_emb.weight, "head": model.head.weight,
             "blocks[0].qkv": model.blocks[0].qkv.weight, "blocks[0].proj": model.blocks[0].proj.weight,
             "blocks[0].fc": model.blocks[0].fc.weight, "blocks[1].fc_out": model.blocks[1].fc_out.weight}
    for name, t in named.items():
        assert_matches(np.array([float(t.numpy().std())]), np.array([0.02]), what=f"std of the initial {name}",
                       rtol=0.3)
    for name in ("qkv", "proj", "fc", "fc_out"):
        bias = getattr(model.blocks[0], name).bias.numpy()
        assert_matches(bias, np.zeros(bias.shape), check_dtype=False,
                       what=f"the initial blocks[0].{name}.bias (Linear biases start at 0)")


def test_encoder_bad_input():
    model = built_with_constant_weights(mine.Bert, V, C, D, H, L)
    assert_raises(ValueError, model, Tensor(np.zeros((2, C + 1), np.int32)), what="ids longer than the context")
    assert_raises(ValueError, model, Tensor(IDS[0]), what="1-D ids")
    assert_raises(ValueError, model, Tensor(IDS.astype(np.float32)), what="float ids")
    assert_raises(ValueError, model.encode, Tensor(IDS), Tensor(REAL[:, :4]), what="a mask of another shape")


# ------------------------------------------------------------------ the loss

def test_mlm_loss_matches_numpy_over_chosen_positions():
    rng = np.random.default_rng(7)
    logits = (rng.normal(size=(2, C, V)) * 2).astype(np.float32)
    labels = np.where(rng.random((2, C)) < 0.3, rng.integers(0, V, size=(2, C)), -100)
    labels[0, 0], labels[1, 3] = 5, 2                       # at least two chosen positions
    labels[1, 6] = PAD                                      # id 0 is a class like any other: only -100 is skipped
    got = mine.mlm_loss(Tensor(logits), Tensor(labels.astype(np.int32)))
    z = logits.astype(np.float64)
    logp = z - z.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    chosen = labels != -100
    want = -logp[chosen, labels[chosen]].mean()
    if tuple(got.shape) != ():
        raise Mismatch(f"mlm_loss must be a scalar Tensor, got shape {tuple(got.shape)}")
    assert_matches(np.array([got.item()]), np.array([want]), what="mlm_loss: mean cross-entropy over the "
                   f"{chosen.sum()} chosen positions of 16, one labelled 0 (the others are labelled -100; only -100 "
                   "is skipped)", rtol=1e-4)
    none = mine.mlm_loss(Tensor(logits), Tensor(np.full((2, C), -100, np.int32))).item()
    assert_matches(np.array([none]), np.array([0.0]), what="mlm_loss with no chosen position (0, not NaN)")
    assert_raises(ValueError, mine.mlm_loss, Tensor(logits), Tensor(labels[:, :4].astype(np.int32)),
                  what="mlm_loss with labels of another shape")
