"""Hidden checks for Exercise 3.4: Value gradients vs the reference and central differences.

Only micrograd's public surface is used (Value(data), .data, .grad, .backward(), operators and the
named methods), so any correct engine with those conventions passes.
"""
import math
import random

import numpy as np

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.numeric import numerical_gradient
from grader.target import exercise, reference

mine, ref = exercise("3.4"), reference("3.4")


def _expression(V, xs):
    """A graph with shared subexpressions, long chains and every operation."""
    a, b, c = (V(x) for x in xs)
    d = a * b + b ** 3 - c / (a * a + 1.5)
    e = (d.tanh() + 2) * a.sigmoid() - (-b).relu() + (c * c + 1).log() - (0.1 * a).exp()
    f = e * d + 3 / (e * e + 1) - 2 - a + 1 * c
    return (a, b, c), f * f.relu() + f


def _value_grads(V, xs):
    leaves, out = _expression(V, xs)
    out.backward()
    return out.data, np.array([v.grad for v in leaves])


def test_expression_data_and_gradients():
    r = random.Random(34)
    for _ in range(12):
        xs = [r.uniform(-2, 2) for _ in range(3)]
        data, grads = _value_grads(mine.Value, xs)
        ref_data, ref_grads = _value_grads(ref.Value, xs)
        assert_matches(data, ref_data, what="value of a 25-operation expression", rtol=1e-9)
        numeric = numerical_gradient(lambda v: _expression(ref.Value, list(v))[1].data, np.array(xs))
        assert_matches(grads, numeric, what="gradients of the 3 leaves of a 25-operation expression vs central differences", rtol=1e-5, atol=1e-7)


def test_reuse_accumulates_in_every_operation():
    for op in ("+", "*", "/", "-"):
        x = mine.Value(1.5)
        y = eval(f"x {op} x + x {op} 2 + 2 {op} x")
        y.backward()
        numeric = numerical_gradient(lambda v: eval(f"v[0] {op} v[0] + v[0] {op} 2 + 2 {op} v[0]"), np.array([1.5]))[0]
        assert_matches(x.grad, numeric, what=f"d/dx of x {op} x + x {op} 2 + 2 {op} x (x used several times)", rtol=1e-6)


def test_deep_diamond_chain_needs_topological_order():
    # each level reads the previous node twice through different paths; gradient = prod of (1 + 1) * ...
    x = mine.Value(0.3)
    h = x
    for _ in range(6):
        h = h.tanh() * 0.5 + h * h
    h.backward()
    def f(v):
        t = v[0]
        for _ in range(6):
            t = math.tanh(t) * 0.5 + t * t
        return t
    assert_matches(x.grad, numerical_gradient(f, np.array([0.3]))[0], what="gradient through 6 stacked diamonds", rtol=1e-6)


def test_backward_twice_accumulates_and_reset_works():
    x = mine.Value(2.0)
    y = x * 3
    y.backward()
    y.backward()
    assert_matches(x.grad, 6.0, what="x.grad after calling backward twice on y = 3x (gradients accumulate)", rtol=1e-12)
    x.grad = 0.0
    z = x ** 2
    z.backward()
    assert_matches(x.grad, 4.0, what="x.grad after resetting it and backpropagating x**2", rtol=1e-12)


def _set(model, values):
    params = model.parameters()
    for p, v in zip(params, values):
        p.data = v
    return len(params)


def test_mlp_structure_forward_and_gradients():
    r = random.Random(5)
    values = [r.uniform(-1, 1) for _ in range(200)]
    a, b = mine.MLP(3, [5, 4, 1]), ref.MLP(3, [5, 4, 1])
    assert_matches(_set(a, values), _set(b, values), what="len(MLP(3, [5, 4, 1]).parameters())")
    x = [0.5, -1.2, 2.0]
    out_a, out_b = a(x), b(x)
    assert_matches(out_a.data, out_b.data, what="MLP(3, [5, 4, 1]) output with the same parameters (relu hidden, linear last)", rtol=1e-9)
    out_a.backward()
    out_b.backward()
    assert_matches(np.array([p.grad for p in a.parameters()]), np.array([p.grad for p in b.parameters()]), what="parameter gradients of the MLP", rtol=1e-9, atol=1e-12)
    a.zero_grad()
    if any(p.grad != 0 for p in a.parameters()):
        raise Mismatch("zero_grad left some parameter gradients non-zero")
    multi = mine.Layer(3, 2)(x)
    if not (isinstance(multi, list) and len(multi) == 2):
        raise Mismatch("Layer(3, 2)(x) should return a list of 2 Values")


def test_seeded_init_matches_reference():
    a, b = mine.MLP(2, [3, 1], seed=7), ref.MLP(2, [3, 1], seed=7)
    assert_matches(np.array([p.data for p in a.parameters()]), np.array([p.data for p in b.parameters()]), what="initial parameters of MLP(2, [3, 1], seed=7)", rtol=1e-12)


def test_two_moons_to_95_percent():
    X, y = ref.make_moons(20, noise=0.05, seed=0)
    model = mine.MLP(2, [8, 1], seed=0)
    losses = mine.train_classifier(model, X, y, steps=40, lr=1.0)
    expected = ref.train_classifier(ref.MLP(2, [8, 1], seed=0), X, y, steps=3, lr=1.0)
    assert_matches(np.array(losses[:3]), np.array(expected), what="first 3 hinge losses of train_classifier", rtol=1e-7)
    acc = ref.accuracy(model, X, y)
    if acc < 0.95:
        raise Mismatch(f"two moons training accuracy {acc:.2f} after 40 steps; at least 0.95 expected")
    assert_matches(mine.accuracy(model, X, y), acc, what="accuracy()", rtol=1e-12)


def test_backward_on_a_graph_deeper_than_the_recursion_limit():
    x = mine.Value(0.8)
    h = x
    for _ in range(10_000):  # 10^4 diamonds, 4 * 10^4 nodes in a chain: a recursive walk overflows
        h = h * 0.25 + h * 0.75
    try:
        h.backward()
    except RecursionError:
        raise Mismatch("backward on a chain of 10^4 diamonds hit Python's recursion limit: "
                       "sort the graph with an explicit stack, not recursion") from None
    assert_matches(x.grad, 1.0, what="gradient through 10^4 stacked diamonds (each level h*0.25 + h*0.75)", rtol=1e-9)


def test_relu_derivative_at_exactly_zero_is_zero():
    for data in (0.0, -0.0):
        x = mine.Value(data)
        y = x.relu()
        y.backward()
        assert_matches(y.data, 0.0, what=f"Value({data}).relu().data", atol=0)
        assert_matches(x.grad, 0.0, what=f"d relu / dx at x = {data} (documented: 1 only where x > 0)", atol=0)


def _through(data: float, op: str, fix: str):
    """(x, op(x)) for x = mine.Value(data), after backward; an overflow says how to avoid it."""
    x = mine.Value(data)
    try:
        y = getattr(x, op)()
        y.backward()
    except OverflowError:
        raise Mismatch(f"Value({data}).{op}() overflowed: {fix}") from None
    return x, y


def test_sigmoid_at_huge_arguments():
    for data in (-800.0, 800.0):
        x, y = _through(data, "sigmoid", "exponentiate only -|x| in math.exp")
        r = ref.Value(data)
        s = r.sigmoid()
        s.backward()
        assert_matches(y.data, s.data, what=f"Value({data}).sigmoid().data", rtol=1e-12, atol=1e-300)
        assert_matches(x.grad, r.grad, what=f"d sigmoid / dx at x = {data}", rtol=1e-12, atol=1e-300)


def test_training_twice_continues_where_it_stopped():
    X, y = ref.make_moons(10, noise=0.1, seed=2)
    once, twice = mine.MLP(2, [4, 1], seed=3), mine.MLP(2, [4, 1], seed=3)
    whole = mine.train_classifier(once, X, y, steps=4, lr=0.3)
    parts = list(mine.train_classifier(twice, X, y, steps=2, lr=0.3)) + list(mine.train_classifier(twice, X, y, steps=2, lr=0.3))
    assert_matches(np.array(parts), np.array(whole, dtype=np.float64),
                   what="losses of 2 + 2 steps on one model vs 4 steps at once (state kept across calls)", rtol=1e-9)
    expected = ref.train_classifier(ref.MLP(2, [4, 1], seed=3), X, y, steps=4, lr=0.3)
    assert_matches(np.array(whole, dtype=np.float64), np.array(expected), what="losses of 4 training steps (gradients zeroed every step)", rtol=1e-7)


def test_accuracy_counts_a_zero_score_as_negative():
    model = lambda x: mine.Value(x[0])  # noqa: E731 - the score is the first coordinate
    X, y = [[0.0], [2.0], [-1.0], [0.0]], [-1, 1, -1, -1]
    assert_matches(mine.accuracy(model, X, y), 1.0, what="accuracy with scores exactly 0 (documented: > 0 means +1)")


def test_train_classifier_uses_its_alpha():
    # alpha=1e-4 (the default) barely moves the loss; a larger one shows a missing or partial L2 term
    X, y = ref.make_moons(10, noise=0.1, seed=4)
    got = mine.train_classifier(mine.MLP(2, [4, 1], seed=5), X, y, steps=3, lr=0.3, alpha=0.05)
    expected = ref.train_classifier(ref.MLP(2, [4, 1], seed=5), X, y, steps=3, lr=0.3, alpha=0.05)
    assert_matches(np.array(got, dtype=np.float64), np.array(expected), rtol=1e-9,
                   what="losses of train_classifier(alpha=0.05) (alpha * sum of p^2 over every parameter, as a Value)")


def test_power_rejects_a_value_exponent_and_tanh_saturates():
    assert_raises(TypeError, lambda: mine.Value(2.0) ** mine.Value(3.0),
                  what="Value(2.0) ** Value(3.0) (documented: only plain-number exponents)")
    for data in (-400.0, 400.0):
        x, y = _through(data, "tanh", "tanh from exp(2x)? tanh is finite everywhere")
        assert_matches(y.data, math.tanh(data), what=f"Value({data}).tanh().data", rtol=1e-12)
        assert_matches(x.grad, 0.0, what=f"d tanh / dx at x = {data}", atol=1e-12)


def test_backward_twice_accumulates_in_intermediate_nodes_too():
    # documented: every node but the output ADDS to its .grad, intermediate nodes included, so a second
    # backward sends the doubled gradient of m on to x
    def run(V):
        x = V(2.0)
        m = x * 3
        z = (m * 2).tanh() + m
        z.backward()
        z.backward()
        return np.array([x.grad, m.grad])
    assert_matches(run(mine.Value), run(ref.Value), rtol=1e-9,
                   what="[x.grad, m.grad] after backward twice on z = tanh(2m) + m, m = 3x (intermediate .grad kept?)")


def test_unseeded_neurons_start_apart():
    # seed=None draws fresh weights: identical neurons would stay identical under gradient descent
    flat = [p.data for p in mine.Layer(3, 4).parameters()]  # 4 neurons of 3 weights and a bias each
    rows = {tuple(flat[4 * j:4 * j + 3]) for j in range(4)}
    pair = {tuple(p.data for p in mine.Neuron(3).parameters()) for _ in range(2)}
    if len(rows) < 4 or len(pair) < 2:
        raise Mismatch("Layer(3, 4) or Neuron(3) built without a seed gave identical neurons: "
                       "with seed=None each neuron needs its own random draw")
