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
        raise NotImplementedError("Exercise 5.7: implement CharTokenizer.__init__ (see its docstring)")

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        raise NotImplementedError("Exercise 5.7: implement CharTokenizer.encode (see its docstring)")

    def decode(self, ids) -> str:
        raise NotImplementedError("Exercise 5.7: implement CharTokenizer.decode (see its docstring)")


def init_linear(d_in: int, d_out: int, bias: bool = True) -> nn.Linear:
    """nn.Linear(d_in, d_out) whose weight (d_out, d_in) is drawn from N(0, INIT_STD^2) with
    `Tensor.randn` (so `Tensor.manual_seed` fixes it) and whose bias (d_out,) is zero."""
    raise NotImplementedError("Exercise 5.7: implement init_linear (see its docstring)")


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
        raise NotImplementedError("Exercise 5.7: implement Block.__init__ (see its docstring)")

    def __call__(self, x: Tensor) -> Tensor:
        """(N, T, d) -> (N, T, d), causal over T."""
        raise NotImplementedError("Exercise 5.7: implement Block.__call__ (see its docstring)")

    def decode(self, x: Tensor, K: Tensor, V: Tensor, write: Tensor, visible: Tensor) -> Tensor:
        """One position t with a KV cache: x (1, 1, d) is the embedded token at position t; K and V,
        each (1, n_heads, context, d / n_heads), are realized buffers holding the keys and values
        of positions 0..t-1 in their slots 0..t-1; `write` (1, 1, context, 1) is True at slot t
        only and `visible` (1, 1, 1, context) at slots 0..t. Stores this position's key and value
        into slot t of K and V in place (`assign`) and returns the block's output (1, 1, d)."""
        raise NotImplementedError("Exercise 5.7: implement Block.decode (see its docstring)")

    def heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v of x (N, T, d), each (N, n_heads, T, d / n_heads), from one call of `qkv`."""
        raise NotImplementedError("Exercise 5.7: implement Block.heads (see its docstring)")

    def mlp(self, x: Tensor) -> Tensor:
        """The residual branch fc_out(gelu(fc(LN2(x)))), without the residual itself."""
        raise NotImplementedError("Exercise 5.7: implement Block.mlp (see its docstring)")


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
        raise NotImplementedError("Exercise 5.7: implement GPT.__init__ (see its docstring)")

    def __call__(self, idx: Tensor) -> Tensor:
        if idx.ndim != 2 or not 1 <= idx.shape[1] <= self.context:
            raise ValueError(f"idx must be (N, T) with 1 <= T <= {self.context}, got {idx.shape}")
        raise NotImplementedError("Exercise 5.7: implement GPT.__call__ (see its docstring)")

    def parameters(self) -> list[Tensor]:
        raise NotImplementedError("Exercise 5.7: implement GPT.parameters (see its docstring)")


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
    raise NotImplementedError("Exercise 5.7: implement get_batch (see its docstring)")


def make_train_step(model: GPT, optimizer: Optimizer) -> Callable[[Tensor, Tensor], Tensor]:
    """A TinyJit `step(x, y) -> loss`: x, y (N, T) int32 Tensors; the loss is the mean next-token
    cross-entropy of model(x) against y over all N*T positions (nats), returned realized, after
    one optimizer update, all under Context(TRAINING=1)."""
    raise NotImplementedError("Exercise 5.7: implement make_train_step (see its docstring)")


def sample_next(logits: np.ndarray, temperature: float, top_k: int | None, rng: np.random.Generator) -> int:
    """The next token id from one position's logits (V,).

    temperature == 0: argmax (greedy), and `rng` is not used. Otherwise: z = logits / temperature
    (in float64); with top_k, every entry below the k-th largest z is set to -inf; p = softmax(z);
    the id is `rng.choice(V, p=p)` (one draw). Raises ValueError for temperature < 0 or top_k < 1.
    """
    if temperature < 0 or (top_k is not None and top_k < 1):
        raise ValueError(f"need temperature >= 0 and top_k >= 1, got {temperature} and {top_k}")
    raise NotImplementedError("Exercise 5.7: implement sample_next (see its docstring)")


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
    raise NotImplementedError("Exercise 5.7: implement generate (see its docstring)")
