"""Exercise 4.5: what backward() builds, and reverse-mode autodiff of your own.

`loss.backward()` (or `loss.gradient(*params)`) does not compute numbers: it walks the forward UOp graph
from the loss back to the inputs and *builds more graph*, one gradient rule per op (tinygrad's rules live in
`tinygrad/mixin/gradient.py`). For (x * x).sum() the new nodes are: a CONST 1.0 seed, an EXPAND (the
gradient of a sum is the upstream gradient broadcast back), a MUL (upstream * x, shared by both uses of x)
and an ADD: x is used twice, so its two contributions are accumulated -- d(x*x)/dx = x + x.

Part 2 does the same by hand: a `Tape` records every operation on `Var`s (NumPy values) in execution order;
`Tape.backward(out)` visits the records in reverse, applies each op's local gradient rule
(vector-Jacobian product) and *adds* into the inputs' `.grad`.
"""
from __future__ import annotations

import numpy as np
from tinygrad import Tensor


def gradient_ops(loss: Tensor, *wrt: Tensor) -> list[str]:
    """Op names of the nodes that the gradient of `loss` w.r.t. `wrt` adds to the graph.

    Take `loss.gradient(*wrt)` (one lazy Tensor per input), list the UOps of every gradient graph in the
    order of `UOp.toposort()` (gradients in the order of `wrt`, each node once overall), and keep only those
    that are not already part of the forward graph `loss.uop`. Returns names like "MUL".
    """
    raise NotImplementedError("Exercise 4.5: implement gradient_ops (see its docstring)")


class Var:
    """A value on a tape: `value` (float64 ndarray), `grad` (same shape, filled by Tape.backward)."""

    def __init__(self, value, tape: "Tape"):
        self.value = np.asarray(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)
        self.tape = tape

    def __add__(self, other: "Var") -> "Var":
        return self.tape.record("add", self, other)

    def __mul__(self, other: "Var") -> "Var":
        return self.tape.record("mul", self, other)

    def __matmul__(self, other: "Var") -> "Var":
        return self.tape.record("matmul", self, other)

    def relu(self) -> "Var":
        return self.tape.record("relu", self)

    def sum(self) -> "Var":
        return self.tape.record("sum", self)

    def cross_entropy(self, labels: np.ndarray) -> "Var":
        """Mean over the batch of -log softmax(self)[i, labels[i]] for logits self (N, C)."""
        return self.tape.record("cross_entropy", self, labels=np.asarray(labels))


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum g over the axes that broadcasting added or stretched, so it has `shape` again."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


class Tape:
    """Records operations in execution order: `records` is a list of (op, output Var, input Vars, extra)."""

    def __init__(self):
        self.records: list[tuple[str, Var, tuple[Var, ...], dict]] = []

    def var(self, value) -> Var:
        """A new leaf Var on this tape."""
        return Var(value, self)

    def record(self, op: str, *inputs: Var, **extra) -> Var:
        """Compute op's forward value (NumPy, with broadcasting for add/mul), append the record, return the output."""
        v = [x.value for x in inputs]
        if op == "add":
            out = v[0] + v[1]
        elif op == "mul":
            out = v[0] * v[1]
        elif op == "matmul":
            out = v[0] @ v[1]
        elif op == "relu":
            out = np.maximum(v[0], 0.0)
        elif op == "sum":
            out = np.asarray(v[0].sum())
        elif op == "cross_entropy":
            z = v[0] - v[0].max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            extra["logp"] = logp
            out = np.asarray(-logp[np.arange(len(logp)), extra["labels"]].mean())
        else:
            raise ValueError(f"unknown op {op!r}")
        result = Var(out, self)
        self.records.append((op, result, inputs, extra))
        return result

    def backward(self, out: Var) -> None:
        """Reverse-mode sweep: seed out.grad = 1, then for each record from last to first push the output's
        grad into its inputs' grads (accumulating with +=). Gradients of add/mul are un-broadcast to the input
        shape; relu passes the gradient where its input was > 0; cross_entropy's gradient is
        (softmax - onehot) / N."""
        raise NotImplementedError("Exercise 4.5: implement Tape.backward (see its docstring)")
