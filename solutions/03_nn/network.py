"""Exercise 3.3: a fully connected network with manual backpropagation.

`NeuralNetwork([784, 256, 128, 10], "relu")` is an MLP: hidden layers h = act(h_prev @ W + b), a linear
output layer producing logits, and a softmax cross-entropy loss on integer class labels. Backprop runs
the chain rule from the loss back through every layer, reusing what the forward pass cached:

    dlogits = (softmax(logits) - onehot(y)) / N
    for each layer, last to first:  dW = h_prev^T dout,  db = sum over the batch of dout,
                                    dh_prev = dout @ W^T,  then through act': dout = dh_prev * act'(z_prev)

Self-contained: NumPy only.
"""
from __future__ import annotations

import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "tanh")


class NeuralNetwork:
    """An MLP with `len(layer_sizes) - 1` dense layers.

    Attributes:
        weights: list of float64 arrays, weights[i] has shape (layer_sizes[i], layer_sizes[i + 1])
        biases:  list of float64 arrays, biases[i] has shape (layer_sizes[i + 1],), initialised to 0
    Weights are drawn from np.random.default_rng(seed), layer by layer: Normal(0, 2 / fan_in) for relu
    (Kaiming), Normal(0, 1 / fan_in) for sigmoid and tanh. Raises ValueError for an unknown activation
    or fewer than two layer sizes.
    """

    def __init__(self, layer_sizes: list[int], activation: str = "relu", seed: int = 0):
        ### BEGIN SOLUTION
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if len(layer_sizes) < 2:
            raise ValueError("layer_sizes needs at least an input and an output size")
        rng = np.random.default_rng(seed)
        gain = 2.0 if activation == "relu" else 1.0
        self.layer_sizes, self.activation = list(layer_sizes), activation
        self.weights = [rng.normal(0.0, np.sqrt(gain / n_in), size=(n_in, n_out))
                        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]
        self.biases = [np.zeros(n_out) for n_out in layer_sizes[1:]]
        self._cache = None
        ### END SOLUTION

    ### BEGIN SOLUTION
    def _act(self, z):
        if self.activation == "relu":
            return np.maximum(z, 0)
        if self.activation == "tanh":
            return np.tanh(z)
        return 0.5 * (1 + np.tanh(0.5 * z))  # sigmoid, overflow-free

    def _act_grad(self, z, a):
        if self.activation == "relu":
            return (z > 0).astype(z.dtype)
        if self.activation == "tanh":
            return 1 - a * a
        return a * (1 - a)
    ### END SOLUTION

    def parameter_count(self) -> int:
        """Total number of weights and biases (784-256-128-10 has 235,146)."""
        ### BEGIN SOLUTION
        return sum(W.size + b.size for W, b in zip(self.weights, self.biases))
        ### END SOLUTION

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (N, layer_sizes[-1]) for X of shape (N, layer_sizes[0]).

        Hidden layers apply the activation; the last layer is linear. Caches the inputs, pre-activations
        and activations that `backward` needs.
        """
        ### BEGIN SOLUTION
        h, zs, hs = np.asarray(X, dtype=np.float64), [], []
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            hs.append(h)
            z = h @ W + b
            zs.append(z)
            h = self._act(z) if i < len(self.weights) - 1 else z
        self._cache = (zs, hs)
        return h
        ### END SOLUTION

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy of forward(X) against integer labels y of shape (N,), computed stably
        (log-sum-exp with the max subtracted). Returns a Python float."""
        ### BEGIN SOLUTION
        logits = self.forward(X)
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())
        ### END SOLUTION

    def backward(self, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean softmax cross-entropy of the LAST forward pass against labels y.

        Returns (grad_weights, grad_biases): lists shaped exactly like `weights` and `biases`.
        The derivative of relu at exactly 0 is taken as 0. Stable for huge logits (max subtracted).
        Raises RuntimeError if called before forward.
        """
        ### BEGIN SOLUTION
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        zs, hs = self._cache
        logits = zs[-1]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        dout = p / len(y)
        gW, gb = [None] * len(self.weights), [None] * len(self.weights)
        for i in reversed(range(len(self.weights))):
            gW[i], gb[i] = hs[i].T @ dout, dout.sum(axis=0)
            if i > 0:
                dout = (dout @ self.weights[i].T) * self._act_grad(zs[i - 1], hs[i])
        return gW, gb
        ### END SOLUTION

    def train(self, X: np.ndarray, y: np.ndarray, epochs: int = 1, lr: float = 0.1, batch_size: int = 32,
              seed: int = 0) -> list[float]:
        """Mini-batch SGD. Each epoch visits the N examples once in the order of
        np.random.default_rng(seed).permutation(N) (one generator for the whole call, one permutation per
        epoch), in consecutive batches of `batch_size` (the last may be smaller); after each batch:
        W -= lr * dW, b -= lr * db. Returns the mean training loss of each epoch (average over batches of
        the loss computed in that batch's forward pass, before its update).
        """
        ### BEGIN SOLUTION
        rng, history = np.random.default_rng(seed), []
        for _ in range(epochs):
            order, losses = rng.permutation(len(X)), []
            for start in range(0, len(X), batch_size):
                idx = order[start:start + batch_size]
                losses.append(self.loss(X[idx], y[idx]))
                gW, gb = self.backward(y[idx])
                for W, b, dW, db in zip(self.weights, self.biases, gW, gb):
                    W -= lr * dW
                    b -= lr * db
            history.append(float(np.mean(losses)))
        return history
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class (argmax of the logits) for every row of X, shape (N,), int64."""
        ### BEGIN SOLUTION
        return self.forward(X).argmax(axis=1)
        ### END SOLUTION
