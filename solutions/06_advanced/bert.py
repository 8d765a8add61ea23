"""Exercise 6.7: a small character-level BERT in tinygrad: masked-LM pre-training, then fine-tuning.

A GPT (5.7) reads left to right and predicts the next token. BERT reads the whole sequence at
once (no causal mask: every position attends to every real position, before and after it) and
learns by filling in blanks. Pre-training hides 15% of the characters and asks the model to
recover them from both sides (the masked-LM objective); the encoder it leaves behind is then
fine-tuned for a sentence-level task by a small classifier that reads the output at position 0,
where every sequence starts with the special token [CLS].

    ids   = [CLS] c_1 ... c_n [SEP] [PAD] ... [PAD]                     (N, T) int
    h_0   = E_tok[ids] + E_pos[0 .. T-1]                                (N, T, d)
    h_l+1 = h_l + Attn(LN1(h_l), padding mask); h_l+1 += MLP(LN2(h_l+1))    (pre-LN blocks)
    H     = LN_f(h_L)                     the encoder's output (N, T, d)
    MLM logits = H @ E_tok^T              (N, T, V), a tied head
    class logits = head(H[:, 0])          (N, n_classes), read at [CLS]

`mask_tokens` implements BERT's corruption rule in NumPy, `mlm_loss` the cross-entropy over the
chosen positions only. Padding is hidden from attention by a mask over the keys, so the tokens
at padded positions never change the outputs at real positions.

Materialization rule (tinygrad on a CPU): call every Linear through `linear`, materialize the
attention probabilities with `.contiguous().contiguous_backward()` and the gradients of q, k and v
with `.contiguous_backward()`; otherwise tinygrad fuses LayerNorm, GELU and softmax into the
weight-gradient reductions and the backward pass costs about 3 times the work (phase 5's GPT).
"""
from __future__ import annotations

import math

import numpy as np
from tinygrad import Tensor, dtypes, nn

PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")
N_SPECIAL = len(SPECIAL_TOKENS)     # the first character's id
IGNORE_INDEX = -100                 # the label of a position the loss skips
INIT_STD = 0.02


class CharVocab:
    """Characters <-> ids, after the four special tokens.

    ids 0..3 are [PAD], [CLS], [SEP], [MASK] (the constants PAD, CLS, SEP, MASK); the distinct
    characters of `text`, sorted by code point, get ids 4, 5, ... (`chars` is that sorted list).
    `vocab_size` = 4 + len(chars). `encode(s)` -> list of the characters' ids (no special tokens);
    a character outside the vocabulary raises ValueError. `decode(ids)` -> str; a special token is
    written as its name ("[MASK]"), an id outside [0, vocab_size) raises ValueError. An empty text
    raises ValueError.
    """

    def __init__(self, text: str):
        if not text:
            raise ValueError("CharVocab needs a non-empty text")
        ### BEGIN SOLUTION
        self.chars = sorted(set(text))
        self.ids = {c: N_SPECIAL + i for i, c in enumerate(self.chars)}
        ### END SOLUTION

    @property
    def vocab_size(self) -> int:
        return N_SPECIAL + len(self.chars)

    def encode(self, s: str) -> list[int]:
        ### BEGIN SOLUTION
        missing = [c for c in s if c not in self.ids]
        if missing:
            raise ValueError(f"character {missing[0]!r} is not in the vocabulary")
        return [self.ids[c] for c in s]
        ### END SOLUTION

    def decode(self, ids) -> str:
        ### BEGIN SOLUTION
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"id {i} is outside the vocabulary [0, {self.vocab_size})")
            out.append(SPECIAL_TOKENS[i] if i < N_SPECIAL else self.chars[i - N_SPECIAL])
        return "".join(out)
        ### END SOLUTION

    def pack(self, texts: list[str], length: int) -> np.ndarray:
        """Rows of fixed `length` (int32, shape (len(texts), length)): [CLS], the text's ids cut to
        length - 2, [SEP], then [PAD] up to `length`. Raises ValueError for length < 2."""
        if length < 2:
            raise ValueError(f"a row needs room for [CLS] and [SEP]: length {length} < 2")
        ### BEGIN SOLUTION
        rows = np.full((len(texts), length), PAD, dtype=np.int32)
        for r, text in enumerate(texts):
            ids = [CLS] + self.encode(text)[:length - 2] + [SEP]
            rows[r, :len(ids)] = ids
        return rows
        ### END SOLUTION


def mask_tokens(ids, vocab_size: int, rng, mask_prob: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """BERT's masked-LM corruption of a batch of token ids: (inputs, labels), int32, ids' shape.

    Every position that holds a normal token (id >= N_SPECIAL; never [PAD], [CLS], [SEP] or
    [MASK]) is chosen independently with probability `mask_prob`. Of the chosen positions 80%
    become [MASK], 10% a random normal token (uniform over ids N_SPECIAL .. vocab_size - 1) and 10%
    keep their token. labels = the original id at every chosen position and IGNORE_INDEX (-100)
    everywhere else; inputs equal ids wherever nothing was chosen. `ids` is not modified.

    rng: a NumPy Generator (used, so consecutive calls differ) or an int seed (the same seed gives
    the same result). Raises ValueError when ids is not integer, holds an id outside
    [0, vocab_size), vocab_size has no normal token (<= N_SPECIAL), or mask_prob is outside [0, 1].
    """
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got {ids.dtype}")
    if vocab_size <= N_SPECIAL or not 0 <= mask_prob <= 1:
        raise ValueError(f"need vocab_size > {N_SPECIAL} and 0 <= mask_prob <= 1, got {vocab_size}, {mask_prob}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    ### BEGIN SOLUTION
    rng = np.random.default_rng(rng)
    chosen = (ids >= N_SPECIAL) & (rng.random(ids.shape) < mask_prob)
    action = rng.random(ids.shape)
    random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)
    inputs = ids.astype(np.int32).copy()
    inputs[chosen & (action < 0.8)] = MASK
    swap = chosen & (action >= 0.8) & (action < 0.9)
    inputs[swap] = random_ids[swap]
    labels = np.where(chosen, ids, IGNORE_INDEX).astype(np.int32)
    return inputs, labels
    ### END SOLUTION


def init_linear(d_in: int, d_out: int, bias: bool = True) -> nn.Linear:
    """nn.Linear(d_in, d_out) with weight (d_out, d_in) ~ N(0, INIT_STD^2) drawn by `Tensor.randn`
    (so `Tensor.manual_seed` fixes it) and a zero bias (d_out,)."""
    ### BEGIN SOLUTION
    layer = nn.Linear(d_in, d_out, bias=bias)
    layer.weight = (Tensor.randn(d_out, d_in) * INIT_STD).contiguous()
    if bias:
        layer.bias = Tensor.zeros(d_out).contiguous()
    return layer
    ### END SOLUTION


def linear(layer: nn.Linear, x: Tensor) -> Tensor:
    """`layer(x)` under the materialization rule: a contiguous input, a materialized gradient."""
    return layer(x.contiguous()).contiguous_backward()


class Block:
    """A pre-LN encoder block of width d with `n_heads` heads (d % n_heads == 0):

        x = x + proj(attention(LN1(x), keep))      bidirectional: no causal mask
        x = x + fc_out(gelu(fc(LN2(x))))            hidden width 4 d, Tensor.gelu

    `keep` (N, 1, 1, T) bool is True at the real (non-padding) KEYS: the scores of a padded key
    are -inf for every query, so padding gets attention weight 0. Attributes (the grader copies
    weights through them): `ln1`, `ln2` (nn.LayerNorm(d)), `qkv` (nn.Linear(d, 3d), output
    [q | k | v], each split into heads as (N, T, n_heads, d / n_heads)), `proj` (d -> d), `fc`
    (d -> 4d), `fc_out` (4d -> d). Head h: softmax(q k^T / sqrt(d / n_heads)) v.
    """

    def __init__(self, d_model: int, n_heads: int):
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
        self.n_heads = n_heads
        ### BEGIN SOLUTION
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.qkv = init_linear(d_model, 3 * d_model)
        self.proj = init_linear(d_model, d_model)
        self.fc = init_linear(d_model, 4 * d_model)
        self.fc_out = init_linear(4 * d_model, d_model)
        ### END SOLUTION

    def __call__(self, x: Tensor, keep: Tensor) -> Tensor:
        """(N, T, d) and keep (N, 1, 1, T) -> (N, T, d)."""
        ### BEGIN SOLUTION
        N, T, d = x.shape
        dh = d // self.n_heads
        q, k, v = linear(self.qkv, self.ln1(x)).split(d, dim=-1)
        q, k, v = (t.reshape(N, T, self.n_heads, dh).transpose(1, 2).contiguous_backward() for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        att = keep.where(scores, float("-inf")).softmax(-1).contiguous().contiguous_backward()
        x = x + linear(self.proj, (att @ v).transpose(1, 2).reshape(N, T, d))
        return x + linear(self.fc_out, linear(self.fc, self.ln2(x)).gelu())
        ### END SOLUTION


class Bert:
    """A bidirectional encoder over `vocab_size` tokens and rows of at most `context` positions.

    `encode(ids, mask=None)`: ids (N, T) integer Tensor, 1 <= T <= context -> H (N, T, d) float32,
    the final LayerNorm's output. mask (N, T) bool Tensor, True at real tokens; None means
    `ids != PAD`. Every row needs at least one real token. Changing the tokens at masked-out
    positions changes nothing at the real ones; every real position sees every other.
    `__call__(ids, mask=None)` -> masked-LM logits (N, T, V) = linear(head, H).

    Attributes: `tok_emb` (nn.Embedding(V, d)), `pos_emb` (nn.Embedding(context, d), learned),
    `blocks` (list of `Block`), `ln_f` (nn.LayerNorm(d)), `head` (nn.Linear(d, V, bias=False)),
    TIED: `head.weight` is `tok_emb.weight` (an untied head is also correct). Embeddings and
    Linear weights start ~ N(0, 0.02^2), biases 0. `parameters()` lists each trainable Tensor once.

    Raises ValueError for ids that are not (N, T) integers with 1 <= T <= context, or a mask of
    another shape.
    """

    def __init__(self, vocab_size: int, context: int, d_model: int, n_heads: int, n_layers: int):
        if min(vocab_size, context, d_model, n_heads, n_layers) < 1:
            raise ValueError("vocab_size, context, d_model, n_heads and n_layers must be positive")
        self.vocab_size, self.context, self.d_model = vocab_size, context, d_model
        ### BEGIN SOLUTION
        self.tok_emb, self.pos_emb = nn.Embedding(vocab_size, d_model), nn.Embedding(context, d_model)
        self.tok_emb.weight = (Tensor.randn(vocab_size, d_model) * INIT_STD).contiguous()
        self.pos_emb.weight = (Tensor.randn(context, d_model) * INIT_STD).contiguous()
        self.blocks = [Block(d_model, n_heads) for _ in range(n_layers)]
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight
        ### END SOLUTION

    def encode(self, ids: Tensor, mask: Tensor | None = None) -> Tensor:
        if not isinstance(ids, Tensor) or ids.ndim != 2 or not dtypes.is_int(ids.dtype) \
                or not 1 <= ids.shape[1] <= self.context:
            raise ValueError(f"ids must be an (N, T) integer Tensor with 1 <= T <= {self.context}")
        if mask is not None and tuple(mask.shape) != tuple(ids.shape):
            raise ValueError(f"mask must have the shape of ids {ids.shape}, got {mask.shape}")
        ### BEGIN SOLUTION
        N, T = ids.shape
        keep = (ids != PAD) if mask is None else mask.cast(dtypes.bool)
        keep = keep.reshape(N, 1, 1, T)
        x = self.tok_emb(ids) + self.pos_emb(Tensor.arange(T).reshape(1, T))
        for block in self.blocks:
            x = block(x, keep)
        return self.ln_f(x)
        ### END SOLUTION

    def __call__(self, ids: Tensor, mask: Tensor | None = None) -> Tensor:
        ### BEGIN SOLUTION
        return linear(self.head, self.encode(ids, mask))
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        ### BEGIN SOLUTION
        unique = {}
        for t in nn.state.get_parameters(self):
            unique.setdefault(id(t), t)
        return list(unique.values())
        ### END SOLUTION


class BertClassifier:
    """A sequence classifier on top of an encoder: logits = head(bert.encode(ids, mask)[:, 0]).

    It reads the encoder's output at position 0 (the [CLS] token) only. `head` is
    nn.Linear(d, n_classes) ~ N(0, 0.02^2), bias 0. `__call__(ids, mask=None)` -> (N, n_classes)
    float32. `parameters()`: the encoder's parameters and the head's, each once (the masked-LM
    head is not used here). Raises ValueError for n_classes < 2.
    """

    def __init__(self, bert: Bert, n_classes: int):
        if n_classes < 2:
            raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
        self.bert = bert
        ### BEGIN SOLUTION
        self.head = init_linear(bert.d_model, n_classes)
        ### END SOLUTION

    def __call__(self, ids: Tensor, mask: Tensor | None = None) -> Tensor:
        ### BEGIN SOLUTION
        return linear(self.head, self.bert.encode(ids, mask)[:, 0])
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        ### BEGIN SOLUTION
        return self.bert.parameters() + [self.head.weight, self.head.bias]
        ### END SOLUTION


def mlm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """The masked-LM loss: mean cross-entropy (nats) over the positions whose label is not
    IGNORE_INDEX, a scalar Tensor. logits (N, T, V) float, labels (N, T) integer Tensor.

        loss = - sum_{labels[i] != -100} log softmax(logits[i])[labels[i]]  /  #{labels != -100}

    Positions labelled -100 count neither in the sum nor in the denominator (the mean is over the
    chosen positions, not over all positions); with no chosen position the loss is 0, not NaN.
    Raises ValueError when the shapes do not agree.
    """
    if logits.ndim != 3 or tuple(labels.shape) != tuple(logits.shape[:2]):
        raise ValueError(f"need logits (N, T, V) and labels (N, T), got {logits.shape} and {labels.shape}")
    ### BEGIN SOLUTION
    V = logits.shape[-1]
    flat, y = logits.reshape(-1, V), labels.reshape(-1)
    chosen = y != IGNORE_INDEX
    picked = (flat.log_softmax(-1) * y.one_hot(V)).sum(-1)
    return -(chosen.where(picked, 0.0)).sum() / chosen.sum().maximum(1).cast(flat.dtype)
    ### END SOLUTION
