"""Self-test: the phase 3 references against trusted oracles (central differences in float64, NumPy,
the standard library's math.erf), independent of the hidden checks (which compare against the reference)."""
import math

import numpy as np
import pytest

from grader.numeric import numerical_gradient, relative_error
from grader.target import reference

act, neuron, network, ag, layers, mlp = (reference(i) for i in ("3.1", "3.2", "3.3", "3.4", "3.5", "3.6"))
rng = np.random.default_rng(2026)
TOL = 1e-6


def test_activation_derivatives_are_central_differences():
    z = rng.normal(0, 2, size=40) + 0.01
    for name, kw in [("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {"alpha": 0.2}),
                     ("gelu", {"approximate": "tanh"}), ("gelu", {"approximate": "none"})]:
        f, df = getattr(act, name), getattr(act, name + "_grad")
        numeric = numerical_gradient(lambda v: float(f(v, **kw).sum()), z)  # element-wise: d sum / dz_i = f'(z_i)
        assert relative_error(df(z, **kw), numeric) < TOL, name


def test_activation_values_against_closed_forms():
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(act.sigmoid(z), [1 / (1 + math.exp(-v)) for v in z], rtol=1e-14)
    np.testing.assert_allclose(act.gelu(z, "none"), [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(act.gelu(z, "tanh"), act.gelu(z, "none"), atol=1e-3)  # the approximation is close
    x = rng.normal(size=(3, 7))
    np.testing.assert_allclose(act.softmax(x, axis=0), np.exp(x) / np.exp(x).sum(axis=0))
    np.testing.assert_allclose(act.log_softmax(x, axis=1), np.log(np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)))


def test_softmax_vjps_and_jacobian_against_central_differences():
    z, g = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    for axis in (0, 1):
        assert relative_error(act.softmax_backward(z, g, axis), numerical_gradient(lambda v: float((act.softmax(v, axis) * g).sum()), z)) < TOL
        assert relative_error(act.log_softmax_backward(z, g, axis), numerical_gradient(lambda v: float((act.log_softmax(v, axis) * g).sum()), z)) < TOL
    v = rng.normal(size=5)
    numeric = np.stack([numerical_gradient(lambda u, i=i: float(act.softmax(u)[i]), v) for i in range(5)])
    assert relative_error(act.softmax_jacobian(v), numeric) < TOL


def test_neuron_and_two_layer_gradients():
    X, y = rng.normal(size=(9, 3)), rng.integers(0, 2, 9).astype(float)
    w, b = rng.normal(size=3), -0.2
    dw, db = neuron.neuron_gradients(w, b, X, y)
    assert relative_error(dw, numerical_gradient(lambda v: neuron.bce_loss(neuron.neuron_forward(v, b, X), y), w)) < TOL
    params = neuron.init_two_layer(3, 4, seed=1)
    grads = neuron.two_layer_gradients(params, X, y)
    for k in params:
        numeric = numerical_gradient(lambda v: neuron.bce_loss(neuron.two_layer_forward(dict(params, **{k: v}), X), y), params[k])
        assert relative_error(grads[k], numeric) < TOL, k
    assert ((neuron.two_layer_forward(neuron.train_xor(), neuron.XOR_X) > 0.5) == neuron.XOR_Y.astype(bool)).all()


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_network_backward_against_central_differences(activation):
    local = np.random.default_rng(11)  # no pre-activation within eps of relu's kink
    X, y = local.normal(size=(6, 5)), local.integers(0, 4, 6)
    net = network.NeuralNetwork([5, 7, 6, 4], activation, seed=3)
    net.forward(X)
    gW, gb = net.backward(y)
    for group, grads in ((net.weights, gW), (net.biases, gb)):
        for i, p in enumerate(group):
            def loss(v, p=p):
                old = p.copy()
                p[...] = v
                try:
                    return net.loss(X, y)
                finally:
                    p[...] = old
            assert relative_error(grads[i], numerical_gradient(loss, p)) < 1e-5


def test_value_engine_against_central_differences():
    def f(xs, V):
        a, b, c = (V(x) for x in xs)
        d = (a * b).tanh() + (b ** 2 + 1).log() - c.sigmoid() / (a * a + 1) + (0.3 * c).exp() * a.relu() - 2 / (1 + b * b)
        return d * d + d
    xs = [0.7, -1.3, 0.4]
    leaves = [ag.Value(x) for x in xs]
    V = iter(leaves)
    out = f(xs, lambda x: next(V))
    out.backward()
    numeric = numerical_gradient(lambda v: float(f(list(v), _Num)), np.array(xs))
    assert relative_error([v.grad for v in leaves], numeric) < TOL


class _Num(float):
    """Plain floats with the Value method names, so the same expression runs without autograd."""
    def __new__(cls, x):
        return float.__new__(cls, x)
    def _w(op):
        return lambda self, *a: _Num(op(float(self), *[float(x) for x in a]))
    __add__ = _w(float.__add__); __radd__ = _w(float.__radd__); __mul__ = _w(float.__mul__); __rmul__ = _w(float.__rmul__)
    __sub__ = _w(float.__sub__); __rsub__ = _w(float.__rsub__); __truediv__ = _w(float.__truediv__); __rtruediv__ = _w(float.__rtruediv__)
    __pow__ = _w(float.__pow__); __neg__ = _w(float.__neg__)
    tanh = _w(math.tanh); log = _w(math.log); exp = _w(math.exp); relu = _w(lambda v: max(v, 0.0)); sigmoid = _w(lambda v: 1 / (1 + math.exp(-v)))


def test_layers_against_central_differences():
    x = rng.normal(1, 2, size=(5, 4))
    G = rng.normal(size=(5, 4))
    for layer, training in ((layers.BatchNorm(4), True), (layers.Dense(4, 4, seed=0), True),
                            (layers.ResidualBlock([layers.Dense(4, 3, seed=1), layers.ReLU(), layers.Dense(3, 4, seed=2)]), True)):
        layer.forward(x, training)
        dx = layer.backward(G)
        assert relative_error(dx, numerical_gradient(lambda v: float((layer.forward(v, training) * G).sum()), x)) < 1e-5, type(layer).__name__
    W = layers.kaiming_init(2000, 500, np.random.default_rng(0))
    assert abs(W.var() / (2 / 2000) - 1) < 0.02
    W = layers.xavier_init(600, 400, np.random.default_rng(0))
    assert abs(W.var() / (2 / 1000) - 1) < 0.02


def test_mnist_glue_cross_entropy_gradient():
    logits, y = rng.normal(size=(8, 10)), rng.integers(0, 10, 8)
    loss, grad = mlp.cross_entropy(logits, y)
    assert relative_error(grad, numerical_gradient(lambda v: mlp.cross_entropy(v, y)[0], logits)) < TOL
    assert abs(loss - float(-np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))[np.arange(8), y].mean())) < 1e-12
