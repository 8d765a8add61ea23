"""Exercise 4.3: reading tinygrad's UOp graphs, and a small UOp interpreter of your own.

A lazy tinygrad Tensor is a handle on a `UOp`: `t.uop.op` is an `Ops` member, `t.uop.src` the tuple of
input UOps, `t.uop.arg` extra data (a constant's value, a reduction's op and axes). UOps are hash-consed:
an identical sub-expression is one shared node, so the graph is a DAG, not a tree. Nothing is computed
until `.realize()`.

Part 1 reads a real graph (`count_ops`, `topo_order`, `graph_inputs`). Part 2 builds the same idea from
scratch: `SimpleUOp(op, src, arg)` nodes with a `toposort()` and `evaluate`, a NumPy interpreter.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from tinygrad import Tensor
from tinygrad.uop.ops import Ops, UOp


def _root(t: Tensor | UOp) -> UOp:
    return t.uop if isinstance(t, Tensor) else t


def _postorder(root: Any) -> list:
    """Nodes reachable from root, each once, every node after all of its `src` (iterative DFS)."""
    raise NotImplementedError("Exercise 4.3: implement _postorder (see its docstring)")


def topo_order(t: Tensor | UOp) -> list[UOp]:
    """Every distinct UOp of the graph of `t` exactly once, each one after all of its sources.

    Write the traversal yourself (do not call `UOp.toposort`) without recursion: graphs can be deeper than
    Python's recursion limit (tinygrad raises it to 10000; a long unrolled loop of ops goes past that).
    Shared nodes appear once. The root comes last.
    """
    raise NotImplementedError("Exercise 4.3: implement topo_order (see its docstring)")


def count_ops(t: Tensor | UOp) -> dict[str, int]:
    """How many distinct UOps of each kind the graph holds: {op name (e.g. "ADD"): count}."""
    raise NotImplementedError("Exercise 4.3: implement count_ops (see its docstring)")


def graph_inputs(t: Tensor | UOp) -> list[UOp]:
    """The data the graph reads: its distinct `Ops.BUFFER` nodes, each listed once."""
    raise NotImplementedError("Exercise 4.3: implement graph_inputs (see its docstring)")


class SimpleUOp:
    """A node of a tiny expression graph: `op` (a name from `SimpleUOp.OPS`), `src` (child nodes), `arg`.

    Nodes compare by identity, so a node used twice is one shared node (a DAG). Ops and their meaning:
      CONST  arg = a number (a float32 scalar)      INPUT  arg = the name of an input array
      ADD, MUL, MAX, CMPLT (a < b, bool)           NEG, EXP2, LOG2, SQRT, RECIP (1/x): elementwise, one src
      WHERE  src = (cond, a, b): a where cond else b
      CAST   arg = a NumPy dtype name ("float32", "int32", "bool"); float -> int truncates toward zero
      SUM    arg = axis (an int) or None for all axes
    """

    OPS = ("CONST", "INPUT", "ADD", "MUL", "MAX", "CMPLT", "NEG", "EXP2", "LOG2", "SQRT", "RECIP", "WHERE", "CAST", "SUM")
    ARITY = {"CONST": 0, "INPUT": 0, "ADD": 2, "MUL": 2, "MAX": 2, "CMPLT": 2, "WHERE": 3}

    def __init__(self, op: str, src: tuple["SimpleUOp", ...] = (), arg: Any = None):
        if op not in self.OPS:
            raise ValueError(f"unknown op {op!r}; expected one of {self.OPS}")
        if len(src) != self.ARITY.get(op, 1):
            raise ValueError(f"{op} takes {self.ARITY.get(op, 1)} sources, got {len(src)}")
        self.op, self.src, self.arg = op, tuple(src), arg

    def __repr__(self) -> str:
        return f"SimpleUOp({self.op}, arg={self.arg!r}, {len(self.src)} src)"

    def toposort(self) -> list["SimpleUOp"]:
        """Every node reachable from self once, sources before users, self last (no recursion)."""
        raise NotImplementedError("Exercise 4.3: implement SimpleUOp.toposort (see its docstring)")


def evaluate(root: SimpleUOp, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """Compute `root` with NumPy, visiting each node once in topological order (shared nodes computed once).

    Arithmetic is float32 like tinygrad's default (inputs are converted with np.asarray(..., np.float32)
    unless they are integer or bool arrays); CMPLT gives bool, CAST converts with `astype`. Returns an
    ndarray (0-d for a full SUM). Raises KeyError when an INPUT name is missing from `inputs`.
    """
    raise NotImplementedError("Exercise 4.3: implement evaluate (see its docstring)")
