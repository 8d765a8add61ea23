"""Exercise 5.6: attention, multi-head attention, positions and a pre-LN transformer block in tinygrad.

Attention lets every position of a sequence look at every other position and take a weighted average of
what it finds. For queries Q (T_q, d), keys K (T_k, d) and values V (T_k, d_v):

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V

The 1/sqrt(d) keeps the scores at unit scale when d grows (a dot product of d unit-variance terms has
variance d), so the softmax does not saturate. A boolean mask says which keys a query may see: a causal
mask (position i sees j <= i) makes a language model unable to read the future; a padding mask hides the
filler at the end of short sequences. Masked scores become -inf before the softmax, so they get weight
exactly 0 and the remaining weights still sum to 1.

You build it from primitives (`Tensor.scaled_dot_product_attention` is off limits here; after this
exercise you may use it), then multi-head attention (H attentions on d_model / H slices, side by side),
the sinusoidal and the learned position encodings, and the pre-LN block that GPT (5.7) stacks:

    x = x + Attention(LayerNorm(x)),   x = x + MLP(LayerNorm(x))

LayerNorm here is tinygrad's `nn.LayerNorm` (eps 1e-5, weight ones, bias zeros); GELU is
`Tensor.gelu()`, the tanh approximation.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from tinygrad import Tensor, dtypes, nn


def causal_mask(T: int) -> Tensor:
    """The (T, T) bool mask of causal self-attention: entry (i, j) is True when query i may attend to key j,
    that is when j <= i (the diagonal included: a position sees itself).

    Raises ValueError for T < 1.
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    ### BEGIN SOLUTION
    return Tensor.ones(T, T, dtype=dtypes.bool).tril()
    ### END SOLUTION


def padding_mask(lengths: Sequence[int], T: int) -> Tensor:
    """Key-padding mask for a batch of N sequences padded to length T: a bool Tensor of shape (N, 1, T) whose
    entry (n, 0, j) is True when j < lengths[n] (a real token) and False for the padding after it.

    The middle axis of size 1 lets it broadcast against (N, T_q, T) scores, and it combines with a causal
    mask by `&`: `causal_mask(T) & padding_mask(lengths, T)` has shape (N, T, T).
    Raises ValueError when a length is below 0 or above T.
    """
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if lengths.size == 0 or (lengths < 0).any() or (lengths > T).any():
        raise ValueError(f"lengths must be non-empty and within [0, T={T}], got {lengths.tolist()}")
    ### BEGIN SOLUTION
    positions = Tensor.arange(T).reshape(1, 1, T)
    return positions < Tensor(lengths.astype(np.int32)).reshape(-1, 1, 1)
    ### END SOLUTION


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(q k^T / sqrt(d) + M) v for q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v) -> (..., T_q, d_v).

    The leading axes (batch, heads) broadcast. `mask` is an optional bool Tensor broadcastable to
    (..., T_q, T_k); True means "may attend". M is 0 where the mask is True and -inf where it is False.

    The softmax over the key axis (the last one) is max-shifted: softmax(s) = exp(s - max s) / sum exp(s - max s),
    so scores of 1e4 stay finite. A fully masked row (a query that may see no key) has no softmax at all
    (every score is -inf, max - max is NaN); by this module's rule such a row outputs zeros (its weights are
    all 0), never NaN.

    Raises ValueError when q and k differ in d or k and v differ in T_k.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"need q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v); got {q.shape}, {k.shape}, {v.shape}")
    ### BEGIN SOLUTION
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        scores = mask.where(scores, float("-inf"))
    row_max = scores.max(axis=-1, keepdim=True).detach()
    row_max = (row_max == float("-inf")).where(0.0, row_max)   # a fully masked row: every exp below is 0
    e = (scores - row_max).exp()
    total = e.sum(axis=-1, keepdim=True)
    weights = e / (total == 0).where(1.0, total)
    return weights @ v
    ### END SOLUTION


class MultiHeadAttention:
    """Self-attention with n_heads heads of size d_head = d_model / n_heads.

    Attributes `q_proj`, `k_proj`, `v_proj`, `out_proj`: each an `nn.Linear(d_model, d_model)` (with bias).
    For x (N, T, d_model): q, k, v = the three projections of x, each split into heads (N, H, T, d_head),
    attention per head, the heads merged back to (N, T, d_model) (head h fills columns h*d_head .. (h+1)*d_head - 1),
    then `out_proj`. Raises ValueError when n_heads does not divide d_model.
    """

    def __init__(self, d_model: int, n_heads: int):
        if n_heads < 1 or d_model % n_heads:
            raise ValueError(f"n_heads must divide d_model, got d_model={d_model}, n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        ### BEGIN SOLUTION
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        ### END SOLUTION

    def split_heads(self, x: Tensor) -> Tensor:
        """(N, T, d_model) -> (N, H, T, d_head): head h gets columns h*d_head .. (h+1)*d_head - 1 of x."""
        ### BEGIN SOLUTION
        N, T, _ = x.shape
        return x.reshape(N, T, self.n_heads, self.d_head).transpose(1, 2)
        ### END SOLUTION

    def merge_heads(self, x: Tensor) -> Tensor:
        """(N, H, T, d_head) -> (N, T, d_model), the inverse of `split_heads`."""
        ### BEGIN SOLUTION
        N, H, T, d_head = x.shape
        return x.transpose(1, 2).reshape(N, T, H * d_head)
        ### END SOLUTION

    def __call__(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Self-attention of x (N, T, d_model) -> (N, T, d_model).

        `mask` (bool, True = may attend) is (T, T), or (N, T, T) / (N, 1, T) (a head axis is inserted so one
        mask serves every head), or 4-D and broadcastable to (N, H, T, T) as it is.
        """
        ### BEGIN SOLUTION
        q = self.split_heads(self.q_proj(x))
        k = self.split_heads(self.k_proj(x))
        v = self.split_heads(self.v_proj(x))
        if mask is not None and mask.ndim == 3:
            mask = mask.unsqueeze(1)
        return self.out_proj(self.merge_heads(scaled_dot_product_attention(q, k, v, mask)))
        ### END SOLUTION


def sinusoidal_positions(T: int, d: int) -> Tensor:
    """The fixed position table of "Attention Is All You Need", float32 (T, d):

        PE[p, 2i] = sin(p / 10000^(2i/d)),   PE[p, 2i+1] = cos(p / 10000^(2i/d))

    Column j has frequency 10000^(-2*floor(j/2)/d): columns come in (sin, cos) pairs of one frequency, from
    one radian per position down to about 1/10000. An odd d is allowed (the last column is a lone sin).
    Raises ValueError for T < 1 or d < 1.
    """
    if T < 1 or d < 1:
        raise ValueError(f"T and d must be at least 1, got T={T}, d={d}")
    ### BEGIN SOLUTION
    position = np.arange(T, dtype=np.float64)[:, None]
    pair = np.arange(d) // 2 * 2                               # 2i for both columns of pair i
    angle = position / 10000.0 ** (pair / d)
    table = np.where(np.arange(d) % 2 == 0, np.sin(angle), np.cos(angle))
    return Tensor(table.astype(np.float32))
    ### END SOLUTION


class LearnedPositions:
    """A learned position embedding: `weight` is a float32 Tensor (max_len, d_model) drawn from N(0, 0.02^2)
    (use `Tensor.randn`, so `Tensor.manual_seed` fixes it), trained like any other parameter.

    `__call__(x)` adds the first T rows to x (N, T, d_model): out[n, t] = x[n, t] + weight[t].
    Raises ValueError when T > max_len or the last axis of x is not d_model.
    """

    def __init__(self, max_len: int, d_model: int):
        self.max_len, self.d_model = max_len, d_model
        ### BEGIN SOLUTION
        self.weight = (Tensor.randn(max_len, d_model) * 0.02).contiguous()
        ### END SOLUTION

    def __call__(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[1] > self.max_len or x.shape[2] != self.d_model:
            raise ValueError(f"expected x (N, T <= {self.max_len}, {self.d_model}), got {x.shape}")
        ### BEGIN SOLUTION
        return x + self.weight[:x.shape[1]]
        ### END SOLUTION


class TransformerBlock:
    """A pre-LN transformer block (GPT-2 style) for x (N, T, d_model) -> (N, T, d_model):

        x = x + attn(ln1(x), mask)
        x = x + fc2(gelu(fc1(ln2(x))))

    Attributes: `ln1`, `ln2` (`nn.LayerNorm(d_model)`), `attn` (`MultiHeadAttention(d_model, n_heads)`),
    `fc1` (`nn.Linear(d_model, d_ff)`), `fc2` (`nn.Linear(d_ff, d_model)`). GELU is `Tensor.gelu()` (tanh form).
    The normalisation sits inside each branch, so the residual path x -> x + ... is never normalised: that
    is what keeps deep stacks trainable (post-LN, LayerNorm(x + branch), normalises the sum instead).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int):
        ### BEGIN SOLUTION
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads)
        self.fc1, self.fc2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        ### END SOLUTION

    def __call__(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """One block; `mask` as for `MultiHeadAttention.__call__`."""
        ### BEGIN SOLUTION
        x = x + self.attn(self.ln1(x), mask)
        return x + self.fc2(self.fc1(self.ln2(x)).gelu())
        ### END SOLUTION
