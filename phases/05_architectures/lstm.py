"""Exercise 5.4: an LSTM cell written from its equations, and an LSTM that unrolls it over time.

A long short-term memory cell keeps two vectors per sequence: the hidden state h (what the cell
shows) and the cell state c (what it remembers). Four gates, each a function of the input x_t and
the previous hidden state h_{t-1}, decide what to write, forget and show:

    i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)      input gate: how much of g to write
    f = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf)      forget gate: how much of c to keep
    g = tanh   (x W_ig^T + b_ig + h W_hg^T + b_hg)      candidate values
    o = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho)      output gate: how much of tanh(c) to show
    c' = f * c + i * g
    h' = o * tanh(c')

The cell state is updated by a sum, not a product of matrices, which is why gradients survive many
more steps than in a plain RNN. You write the cell with tensor primitives (`tinygrad.nn.LSTMCell`
is the built-in it re-implements and may not be called here), then unroll it over a sequence.
"""
from __future__ import annotations

import math

from tinygrad import Tensor


def materialize(t: Tensor) -> Tensor:
    """Return t as a buffer of its own in the forward pass and in the backward pass.

    An unrolled RNN is one lazy graph. Left alone, tinygrad fuses the state of step t into the
    kernels of step t + 1, and so on: each step's sigmoid/tanh expansions are recomputed inside the
    next step's kernels, the kernels grow with T and code generation time grows faster than
    linearly (measured: 82 CPU-s for two steps of hidden 32; four steps did not finish in 15
    minutes). `.contiguous()` makes the forward value a realized buffer and `.contiguous_backward()`
    does the same for its gradient, which cuts the graph into one piece per step (cost linear in T).
    Apply it to h and c after every step. It changes no value and no gradient.
    """
    return t.contiguous().contiguous_backward()


class LSTMCell:
    """One LSTM step with the parameter layout of `tinygrad.nn.LSTMCell` and PyTorch.

    Parameters (float32):
      weight_ih (4H, D) and weight_hh (4H, H): the four gates' weights stacked by rows in the order
        i, f, g, o (rows 0:H are the input gate, H:2H the forget gate, 2H:3H the candidate, 3H:4H
        the output gate);
      bias_ih (4H,) and bias_hh (4H,) in the same order, or both None when bias=False.
    Initialisation: every weight uniform in [-1/sqrt(H), 1/sqrt(H)] (`Tensor.uniform`, so that
    `Tensor.manual_seed` makes it reproducible). Forget-gate bias convention: bias_ih[H:2H] = 1 and
    every other bias entry 0, so the gate sums b_ih + b_hh are (0, 1, 0, 0) per block. A cell that
    starts with f = sigmoid(1) ~ 0.73 keeps most of its memory from the first step (Jozefowicz et
    al., 2015). bias_hh stays all zero. Every parameter is `.contiguous()` (a buffer of its own),
    and `__call__` reads these four attributes each time (the checks replace them with their own).
    Raises ValueError when input_size or hidden_size is below 1.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be >= 1, got {input_size} and {hidden_size}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        H = self.hidden_size
        raise NotImplementedError("Exercise 5.4: implement LSTMCell.__init__ (see its docstring)")

    def parameters(self) -> list[Tensor]:
        """[weight_ih, weight_hh, bias_ih, bias_hh], without the biases when bias=False."""
        raise NotImplementedError("Exercise 5.4: implement LSTMCell.parameters (see its docstring)")

    def __call__(self, x: Tensor, hc: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """One step: x (N, D) and the previous state (h, c), each (N, H); returns the new (h, c).

        The equations are in the module docstring (gate order i, f, g, o). hc=None means the zero
        state. Raises ValueError when x is not 2-D with D = input_size columns.

        Compute all four gates with one matmul per weight, then cut the result into i, f, g, o
        after `gates = gates.contiguous_backward()`. Without it, tinygrad fuses the four gates'
        derivatives into the weight-gradient reductions and recomputes them for every element
        (the 5.5 milestone: 72 CPU-s with it left out, 28 with it, the same accuracy).
        """
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"x must have shape (N, {self.input_size}), got {tuple(x.shape)}")
        raise NotImplementedError("Exercise 5.4: implement LSTMCell.__call__ (see its docstring)")


class LSTM:
    """An LSTMCell unrolled over a time-major sequence.

    `self.cell` is the LSTMCell(input_size, hidden_size, bias) that every step shares.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        self.cell = LSTMCell(input_size, hidden_size, bias)

    def parameters(self) -> list[Tensor]:
        """The cell's parameters (the same tensors at every step)."""
        return self.cell.parameters()

    def __call__(self, xs: Tensor, hc: tuple[Tensor, Tensor] | None = None
                 ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Run the cell over xs of shape (T, N, D), time first (PyTorch's default layout).

        hc is the initial state (h0, c0), each (N, H); None means zeros. Returns (hs, (h_T, c_T)):
        hs of shape (T, N, H) stacks the hidden state after every step, h_T and c_T are the final
        state. Step t feeds the state of step t - 1. Pass h and c through `materialize` after every
        step (see its docstring: without it code generation explodes with T). Raises ValueError when
        xs is not 3-D or T is 0.
        """
        if xs.ndim != 3 or xs.shape[0] == 0:
            raise ValueError(f"xs must have shape (T, N, D) with T >= 1, got {tuple(xs.shape)}")
        raise NotImplementedError("Exercise 5.4: implement LSTM.__call__ (see its docstring)")
