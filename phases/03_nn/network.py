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
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.__init__ (see its docstring)")


    def parameter_count(self) -> int:
        """Total number of weights and biases (784-256-128-10 has 235,146)."""
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.parameter_count (see its docstring)")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (N, layer_sizes[-1]) for X of shape (N, layer_sizes[0]).

        Hidden layers apply the activation; the last layer is linear. Caches the inputs, pre-activations
        and activations that `backward` needs.
        """
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.forward (see its docstring)")

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy of forward(X) against integer labels y of shape (N,), computed stably
        (log-sum-exp with the max subtracted). Returns a Python float."""
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.loss (see its docstring)")

    def backward(self, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean softmax cross-entropy of the LAST forward pass against labels y.

        Returns (grad_weights, grad_biases): lists shaped exactly like `weights` and `biases`.
        The derivative of relu at exactly 0 is taken as 0. Stable for huge logits (max subtracted).
        Raises RuntimeError if called before forward.
        """
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.backward (see its docstring)")

    def train(self, X: np.ndarray, y: np.ndarray, epochs: int = 1, lr: float = 0.1, batch_size: int = 32,
              seed: int = 0) -> list[float]:
        """Mini-batch SGD. Each epoch visits the N examples once in the order of
        np.random.default_rng(seed).permutation(N) (one generator for the whole call, one permutation per
        epoch), in consecutive batches of `batch_size` (the last may be smaller); after each batch:
        W -= lr * dW, b -= lr * db. Returns the mean training loss of each epoch (average over batches of
        the loss computed in that batch's forward pass, before its update).
        """
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.train (see its docstring)")

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class (argmax of the logits) for every row of X, shape (N,), int64."""
        raise NotImplementedError("Exercise 3.3: implement NeuralNetwork.predict (see its docstring)")
