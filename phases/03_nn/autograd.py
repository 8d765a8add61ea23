"""Exercise 3.4: a scalar autograd engine, `Value`, and a tiny neural-network library on top of it.

Every arithmetic operation on `Value`s records its inputs and a local rule for passing gradients back.
`loss.backward()` then visits the graph in reverse topological order (every node after all the nodes
that use it) and applies the chain rule once per edge. A node used twice (x * x, or a weight shared by
many examples) receives gradient from each use, so gradients ACCUMULATE with `+=`.

Conventions (the ones of Karpathy's micrograd): `Value(data)`, `.data` (a float), `.grad` (a float,
0.0 until backward runs), `.backward()`. Self-contained: pure Python (the `math` and `random` modules).
"""
from __future__ import annotations

import math
import random


class Value:
    """A scalar in a computational graph.

    Supports `+ - * /` between Values and plain numbers on either side (`2 * v`, `1 - v`, `1 / v`),
    unary `-`, `v ** k` for a plain number k, and the methods exp, log, tanh, relu, sigmoid, each
    returning a new Value. `backward()` sets `.grad` of every node reachable from this one to
    d(this)/d(node), starting from `self.grad = 1`; every other node ADDS to whatever `.grad` held
    (reset with `v.grad = 0.0`, or `Module.zero_grad()`).
    """

    def __init__(self, data: float, _children: tuple = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other) -> "Value":
        """self + other; d/dself = 1, d/dother = 1."""
        raise NotImplementedError("Exercise 3.4: implement Value.__add__ (see its docstring)")

    def __mul__(self, other) -> "Value":
        """self * other; d/dself = other, d/dother = self."""
        raise NotImplementedError("Exercise 3.4: implement Value.__mul__ (see its docstring)")

    def __pow__(self, k: float) -> "Value":
        """self ** k for a plain number k; d/dself = k * self^(k-1). Raises TypeError if k is a Value."""
        raise NotImplementedError("Exercise 3.4: implement Value.__pow__ (see its docstring)")

    def exp(self) -> "Value":
        """e^self; the derivative is e^self itself."""
        raise NotImplementedError("Exercise 3.4: implement Value.exp (see its docstring)")

    def log(self) -> "Value":
        """Natural log of self (self.data > 0); the derivative is 1 / self."""
        raise NotImplementedError("Exercise 3.4: implement Value.log (see its docstring)")

    def tanh(self) -> "Value":
        """tanh(self); the derivative is 1 - tanh^2."""
        raise NotImplementedError("Exercise 3.4: implement Value.tanh (see its docstring)")

    def relu(self) -> "Value":
        """max(self, 0); the derivative is 1 where self > 0, else 0."""
        raise NotImplementedError("Exercise 3.4: implement Value.relu (see its docstring)")

    def sigmoid(self) -> "Value":
        """1 / (1 + e^-self), without overflow for large |self|; the derivative is s (1 - s)."""
        raise NotImplementedError("Exercise 3.4: implement Value.sigmoid (see its docstring)")

    def backward(self) -> None:
        """Backpropagate from this node: order the graph topologically (children before parents), set
        self.grad = 1 (d self / d self), then call every node's local backward rule in reverse order, so that each node's
        gradient is complete before it is passed on to its inputs.

        Works at any depth: a chain of 10^4 operations is deeper than Python's recursion limit, so the
        topological sort must not recurse (keep an explicit stack)."""
        raise NotImplementedError("Exercise 3.4: implement Value.backward (see its docstring)")

    # the remaining operators are written in terms of the ones above
    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1


class Module:
    """Something with parameters (a list of Values)."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set .grad of every parameter to 0."""
        raise NotImplementedError("Exercise 3.4: implement Module.zero_grad (see its docstring)")


class Neuron(Module):
    """act(sum_i w_i x_i + b) with act = relu when `nonlin`, the identity otherwise.

    w_i ~ Uniform(-1, 1) from random.Random(seed), b = 0. parameters() returns [w_1, ..., w_nin, b].
    Calling it on a list of nin numbers or Values returns one Value.
    """

    def __init__(self, nin: int, nonlin: bool = True, seed: int | None = None):
        raise NotImplementedError("Exercise 3.4: implement Neuron.__init__ (see its docstring)")

    def __call__(self, x) -> Value:
        raise NotImplementedError("Exercise 3.4: implement Neuron.__call__ (see its docstring)")

    def parameters(self) -> list[Value]:
        raise NotImplementedError("Exercise 3.4: implement Neuron.parameters (see its docstring)")


class Layer(Module):
    """`nout` independent Neurons on the same input. Neuron j is built with seed `seed + j` when a seed is
    given. Calling it returns a list of nout Values (a single Value when nout == 1). parameters() lists
    the neurons' parameters in order."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True, seed: int | None = None):
        raise NotImplementedError("Exercise 3.4: implement Layer.__init__ (see its docstring)")

    def __call__(self, x):
        raise NotImplementedError("Exercise 3.4: implement Layer.__call__ (see its docstring)")

    def parameters(self) -> list[Value]:
        raise NotImplementedError("Exercise 3.4: implement Layer.parameters (see its docstring)")


class MLP(Module):
    """Layers nin -> nouts[0] -> ... -> nouts[-1], relu on all but the last (linear) layer. Layer i is
    built with seed `seed + 1000 * i` when a seed is given. parameters() lists layer after layer."""

    def __init__(self, nin: int, nouts: list[int], seed: int | None = None):
        raise NotImplementedError("Exercise 3.4: implement MLP.__init__ (see its docstring)")

    def __call__(self, x):
        raise NotImplementedError("Exercise 3.4: implement MLP.__call__ (see its docstring)")

    def parameters(self) -> list[Value]:
        raise NotImplementedError("Exercise 3.4: implement MLP.parameters (see its docstring)")


def make_moons(n: int = 60, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles in 2-D, centred near the origin: n points alternating between the
    moons, with Gaussian noise of standard deviation `noise`; labels -1 / +1."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * (i // 2) / max(n // 2 - 1, 1)
        if i % 2 == 0:
            u, v = math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)
            y.append(-1)
        else:
            u, v = 1 - math.cos(t) + rng.gauss(0, noise), 0.5 - math.sin(t) + rng.gauss(0, noise)
            y.append(1)
        X.append([u - 0.5, 2 * (v - 0.25)])
    return X, y


def train_classifier(model: Module, X: list[list[float]], y: list[int], steps: int = 60,
                     lr: float = 0.1, alpha: float = 1e-4) -> list[float]:
    """Full-batch gradient descent with the SVM hinge loss on labels y in {-1, +1}:

        loss = mean_n relu(1 - y_n * model(x_n)) + alpha * sum_p p^2

    Each step: zero the gradients, build the loss as a Value, backward, then p.data -= lr * p.grad for
    every parameter. Returns the loss (a float) of every step.
    """
    raise NotImplementedError("Exercise 3.4: implement train_classifier (see its docstring)")


def accuracy(model: Module, X: list[list[float]], y: list[int]) -> float:
    """Fraction of points where the sign of model(x) (score > 0 means +1) equals the label."""
    raise NotImplementedError("Exercise 3.4: implement accuracy (see its docstring)")
