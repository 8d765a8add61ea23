"""Exercise 5.7: a character-level GPT in tinygrad, trained on text and sampled with a KV cache.

A GPT reads a window of token ids and predicts, at every position, the next token. It is the
stack you built in 5.6 put to work:

    h_0   = E_tok[idx] + E_pos[0 .. T-1]                         (N, T, d)
    h_l+1 = h_l + Attn(LN1(h_l));  h_l+1 = h_l+1 + MLP(LN2(h_l+1))    (pre-LN blocks)
    logits = LN_f(h_L) @ E_tok^T                                 (N, T, V), a tied head

With 5.6 done, `nn.Linear`, `nn.Embedding`, `nn.LayerNorm` are allowed here. The attention
is written out (scores, causal mask, softmax, weighted sum) because its probabilities are one of
the tensors the materialization rule below applies to.

Text is cut into characters (`CharTokenizer`), training samples random windows of the training
text (`get_batch`) and minimises the cross-entropy of the next character (`make_train_step`,
TinyJit). `generate` samples new characters one at a time and keeps the keys and values of past
positions in a cache, so each new character costs one position's work, not the whole window's.

tinygrad compiles a kernel for every new tensor shape (seconds on a CPU). Every shape in this
module is fixed: the cached decoding step always sees a (1, 1) token, a cache of the full
context and a mask that says which slots are filled, so its kernels compile once per model size.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from tinygrad import Context, Tensor, TinyJit, nn
from tinygrad.nn.optim import Optimizer

INIT_STD = 0.02


class CharTokenizer:
    """Characters <-> integer ids for one text.

    The vocabulary is the set of distinct characters of `text`, sorted by code point; id i is the
    i-th of them. `chars` is that sorted list and `vocab_size` its length. `encode(s)` maps every
    character of s to its id (a list of int) and raises ValueError naming the first character that
    is not in the vocabulary; `decode(ids)` is the inverse (any iterable of ints, e.g. a NumPy
    array) and raises ValueError for an id outside [0, vocab_size). An empty text raises ValueError.
    """

    def __init__(self, text: str):
        if not text:
            raise ValueError("CharTokenizer needs a non-empty text to build its vocabulary")
        ### BEGIN SOLUTION
        self.chars = sorted(set(text))
        self.ids = {c: i for i, c in enumerate(self.chars)}
        ### END SOLUTION

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        ### BEGIN SOLUTION
        for c in s:
            if c not in self.ids:
                raise ValueError(f"character {c!r} is not in the vocabulary of this tokenizer")
        return [self.ids[c] for c in s]
        ### END SOLUTION

    def decode(self, ids) -> str:
        ### BEGIN SOLUTION
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.chars):
                raise ValueError(f"id {i} is outside the vocabulary [0, {len(self.chars)})")
            out.append(self.chars[i])
        return "".join(out)
        ### END SOLUTION


def init_linear(d_in: int, d_out: int, bias: bool = True) -> nn.Linear:
    """nn.Linear(d_in, d_out) whose weight (d_out, d_in) is drawn from N(0, INIT_STD^2) with
    `Tensor.randn` (so `Tensor.manual_seed` fixes it) and whose bias (d_out,) is zero."""
    ### BEGIN SOLUTION
    layer = nn.Linear(d_in, d_out, bias=bias)
    layer.weight = (Tensor.randn(d_out, d_in) * INIT_STD).contiguous()
    if bias:
        layer.bias = Tensor.zeros(d_out).contiguous()
    return layer
    ### END SOLUTION


def linear(layer: nn.Linear, x: Tensor) -> Tensor:
    """`layer(x)` with the materialization rule: the input is made contiguous (computed once, not
    fused into the weight-gradient reduction) and the output's gradient is materialized."""
    return layer(x.contiguous()).contiguous_backward()


class Block:
    """One pre-LN transformer block of width d with `n_heads` heads (d % n_heads == 0):

        x = x + proj(attention(LN1(x)))          attention: causal, heads of width d / n_heads
        x = x + fc_out(gelu(fc(LN2(x))))         MLP hidden width 4 d, GELU = Tensor.gelu (tanh)

    Attributes (the grader copies weights through these names): `ln1`, `ln2` (nn.LayerNorm(d)),
    `qkv` (nn.Linear(d, 3d): its output is [q | k | v] along the last axis, each split into heads
    as (N, T, n_heads, d / n_heads)), `proj` (nn.Linear(d, d)), `fc` (nn.Linear(d, 4d)), `fc_out`
    (nn.Linear(4d, d)). Linear weights ~ N(0, 0.02^2), biases 0; LayerNorms start at weight 1,
    bias 0. Attention of head h: softmax(q k^T / sqrt(d / n_heads)) v with the scores of future
    positions (key index > query index) set to -inf.
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

    def __call__(self, x: Tensor) -> Tensor:
        """(N, T, d) -> (N, T, d), causal over T."""
        ### BEGIN SOLUTION
        N, T, d = x.shape
        q, k, v = self.heads(self.ln1(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.n_heads)
        causal = Tensor.ones(T, T, dtype="bool").tril()
        att = causal.where(scores, float("-inf")).softmax(-1).contiguous().contiguous_backward()
        x = x + linear(self.proj, (att @ v).transpose(1, 2).reshape(N, T, d))
        return x + self.mlp(x)
        ### END SOLUTION

    def decode(self, x: Tensor, K: Tensor, V: Tensor, write: Tensor, visible: Tensor) -> Tensor:
        """One position t with a KV cache: x (1, 1, d) is the embedded token at position t; K and V,
        each (1, n_heads, context, d / n_heads), are realized buffers holding the keys and values
        of positions 0..t-1 in their slots 0..t-1; `write` (1, 1, context, 1) is True at slot t
        only and `visible` (1, 1, 1, context) at slots 0..t. Stores this position's key and value
        into slot t of K and V in place (`assign`) and returns the block's output (1, 1, d)."""
        ### BEGIN SOLUTION
        d = x.shape[-1]
        q, k, v = self.heads(self.ln1(x))
        K, V = K.assign(write.where(k, K)), V.assign(write.where(v, V))
        scores = q @ K.transpose(-2, -1) / math.sqrt(d // self.n_heads)
        att = visible.where(scores, float("-inf")).softmax(-1)
        x = x + linear(self.proj, (att @ V).transpose(1, 2).reshape(1, 1, d))
        return x + self.mlp(x)
        ### END SOLUTION

    def heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v of x (N, T, d), each (N, n_heads, T, d / n_heads), from one call of `qkv`."""
        ### BEGIN SOLUTION
        N, T, d = x.shape
        q, k, v = linear(self.qkv, x).split(d, dim=-1)
        return tuple(t.reshape(N, T, self.n_heads, d // self.n_heads).transpose(1, 2).contiguous_backward()
                     for t in (q, k, v))
        ### END SOLUTION

    def mlp(self, x: Tensor) -> Tensor:
        """The residual branch fc_out(gelu(fc(LN2(x)))), without the residual itself."""
        ### BEGIN SOLUTION
        return linear(self.fc_out, linear(self.fc, self.ln2(x)).gelu())
        ### END SOLUTION


class GPT:
    """A decoder-only transformer over `vocab_size` tokens and windows of at most `context`.

    `__call__(idx)`: idx (N, T) integer ids with 1 <= T <= context -> logits (N, T, V) float32,
    where logits[:, t] depend only on idx[:, :t+1]. T > context raises ValueError.

    Attributes: `tok_emb` (nn.Embedding(V, d)), `pos_emb` (nn.Embedding(context, d), learned,
    position t uses row t), `blocks` (list of `Block`), `ln_f` (nn.LayerNorm(d)), `head`
    (nn.Linear(d, V, bias=False)). The head is TIED: `head.weight` is the same Tensor as
    `tok_emb.weight` (a (V, d) matrix read both ways), which saves V*d parameters; an untied
    head is also correct. Every embedding and Linear weight starts ~ N(0, 0.02^2) (so the logits
    start near 0 and the loss near ln V), biases at 0. `parameters()` lists each trainable Tensor
    once (the tied matrix appears once).

    Materialization rule (required, or a training step costs 2.6x the work). tinygrad fuses
    elementwise producers (LayerNorm's normalisation, GELU's derivative, softmax) into the
    weight-gradient reductions of the backward pass and recomputes them for every output element:
    16.35 GFLOP per step for a 2-layer, d 128 model at T 64, batch 32. Call every Linear as
    `layer(x.contiguous()).contiguous_backward()` (see `linear`) and materialize the attention
    probabilities with `.contiguous().contiguous_backward()`: the same maths costs 6.26 GFLOP.
    Also end each of q, k, v (after the split into heads) with `.contiguous_backward()`: else one
    kernel computes the gradient of the whole qkv output, running the reductions of all three for
    every element (5.85 GFLOP, and 15% less CPU time per step).
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

    def __call__(self, idx: Tensor) -> Tensor:
        if idx.ndim != 2 or not 1 <= idx.shape[1] <= self.context:
            raise ValueError(f"idx must be (N, T) with 1 <= T <= {self.context}, got {idx.shape}")
        ### BEGIN SOLUTION
        T = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(Tensor.arange(T).reshape(1, T))
        for block in self.blocks:
            x = block(x)
        return linear(self.head, self.ln_f(x))
        ### END SOLUTION

    def parameters(self) -> list[Tensor]:
        ### BEGIN SOLUTION
        unique = {}
        for t in nn.state.get_parameters(self):
            unique.setdefault(id(t), t)
        return list(unique.values())
        ### END SOLUTION


def get_batch(data: np.ndarray, context: int, batch: int, rng: np.random.Generator):
    """A training batch of random windows: (x, y), each an int32 array of shape (batch, context).

    Row i starts at a start s_i drawn uniformly from every valid start 0 .. len(data) - context - 1
    (the last one included): x[i] = data[s_i : s_i + context], y[i] = data[s_i + 1 : s_i + context
    + 1], the targets shifted by exactly one. Uses `rng` (a NumPy Generator) only, so the same
    seed gives the same batch. Raises ValueError when len(data) < context + 1.
    """
    data = np.asarray(data)
    if len(data) < context + 1:
        raise ValueError(f"data has {len(data)} tokens; a window of {context} needs at least {context + 1}")
    ### BEGIN SOLUTION
    starts = rng.integers(0, len(data) - context, size=batch)
    rows = starts[:, None] + np.arange(context)[None, :]
    return data[rows].astype(np.int32), data[rows + 1].astype(np.int32)
    ### END SOLUTION


def make_train_step(model: GPT, optimizer: Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """A TinyJit `step(x, y) -> loss`: x, y (N, T) int32 Tensors; the loss is the mean next-token
    cross-entropy of model(x) against y over all N*T positions (nats), returned realized, after
    one optimizer update, all under Context(TRAINING=1)."""
    ### BEGIN SOLUTION
    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        logits = model(x)
        loss = logits.reshape(-1, logits.shape[-1]).sparse_categorical_crossentropy(y.reshape(-1)).backward()
        return loss.realize(*optimizer.schedule_step())
    return step
    ### END SOLUTION


def sample_next(logits: np.ndarray, temperature: float, top_k: int | None, rng: np.random.Generator) -> int:
    """The next token id from one position's logits (V,).

    temperature == 0: argmax (greedy), and `rng` is not used. Otherwise: z = logits / temperature
    (in float64); with top_k, every entry below the k-th largest z is set to -inf; p = softmax(z);
    the id is `rng.choice(V, p=p)` (one draw). Raises ValueError for temperature < 0 or top_k < 1.
    """
    if temperature < 0 or (top_k is not None and top_k < 1):
        raise ValueError(f"need temperature >= 0 and top_k >= 1, got {temperature} and {top_k}")
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    if top_k is not None and top_k < len(z):
        z = np.where(z < np.sort(z)[-top_k], -np.inf, z)
    p = np.exp(z - z.max())
    return int(rng.choice(len(z), p=p / p.sum()))
    ### END SOLUTION


def generate(model: GPT, prompt_ids: Sequence[int], n: int, temperature: float = 1.0,
             top_k: int | None = None, seed: int = 0, use_cache: bool = True) -> list[int]:
    """Sample `n` new token ids after `prompt_ids` (at least one id); returns the n new ids.

    Each new id is `sample_next(logits, temperature, top_k, rng)` of the model's logits for the
    position after the sequence so far, rng = np.random.default_rng(seed) made once per call. The
    model sees the last `model.context` ids (the window slides once the sequence is longer).

    use_cache=True keeps each layer's keys and values of the positions seen so far (a KV cache),
    so each new id runs one position through the model (`Block.decode`): its token embedding plus
    the position embedding of ITS position. Once the sequence exceeds the context, every position
    of the window moves, so the cache is stale: it computes the whole window then. use_cache=False
    runs the whole window every step. Both give the same ids. Raises ValueError for an empty
    prompt or n < 0.

    Cost: every new tensor shape compiles new kernels, and an un-jitted step spends about 0.3
    CPU s scheduling them. Keep shapes fixed (a cache of the full context with masks for the
    filled slots; the window right-padded to the context, which a causal model ignores) and run
    each kind of step through a TinyJit.
    """
    prompt = [int(i) for i in prompt_ids]
    if not prompt or n < 0:
        raise ValueError(f"need a non-empty prompt and n >= 0, got {len(prompt)} ids and n={n}")
    ### BEGIN SOLUTION
    rng, seq, C = np.random.default_rng(seed), list(prompt), model.context
    slots = np.arange(C)
    H = model.blocks[0].n_heads
    cache = [(Tensor.zeros(1, H, C, model.d_model // H).contiguous().realize(),
              Tensor.zeros(1, H, C, model.d_model // H).contiguous().realize()) for _ in model.blocks]

    @TinyJit
    def decode_step(token: Tensor, pos: Tensor, write: Tensor, visible: Tensor) -> Tensor:
        x = model.tok_emb(token) + model.pos_emb(pos)
        for block, (K, V) in zip(model.blocks, cache):
            x = block.decode(x, K, V, write, visible)
        logits = linear(model.head, model.ln_f(x))
        Tensor.realize(logits, *[t for kv in cache for t in kv])
        return logits

    @TinyJit
    def window_step(idx: Tensor) -> Tensor:
        return model(idx).realize()

    def decode_one(token: int, t: int) -> np.ndarray:
        ids = Tensor(np.array([[token]], dtype=np.int32)), Tensor(np.array([[t]], dtype=np.int32))
        masks = Tensor((slots == t).reshape(1, 1, C, 1)), Tensor((slots <= t).reshape(1, 1, 1, C))
        return decode_step(*ids, *masks).numpy()[0, 0]

    def full_window() -> np.ndarray:
        window = seq[-C:]
        padded = np.zeros((1, C), dtype=np.int32)   # right padding: a causal model ignores it
        padded[0, :len(window)] = window
        return window_step(Tensor(padded)).numpy()[0, len(window) - 1]

    use_cache = use_cache and len(seq) <= C
    if use_cache:
        for t in range(len(seq) - 1):
            decode_one(seq[t], t)
    out = []
    for _ in range(n):
        if use_cache and len(seq) <= C:
            logits = decode_one(seq[-1], len(seq) - 1)
        else:
            logits = full_window()
        out.append(sample_next(logits, temperature, top_k, rng))
        seq.append(out[-1])
    return out
    ### END SOLUTION
