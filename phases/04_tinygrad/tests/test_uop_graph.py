"""Visible tests for Exercise 4.3 (UOp graphs). Run: make phase4"""
import numpy as np
import pytest
from tinygrad import Tensor
from tinygrad.uop.ops import Ops

from grader.target import exercise

ug = exercise("4.3")
S = ug.SimpleUOp


def small_graph():
    x = Tensor.empty(4, 4)                  # an unrealized buffer: building the graph computes nothing
    return x, ((x + 1) * 2).relu().sum()


def test_count_ops_of_a_small_graph():
    _, t = small_graph()
    counts = ug.count_ops(t)
    # relu is WHERE(0 < x, x, 0); sum is one REDUCE; CONST nodes hold 0, 1, 2 and the sizes 16 and 4
    assert counts["ADD"] == 1 and counts["MUL"] == 1 and counts["WHERE"] == 1 and counts["REDUCE"] == 1
    assert counts["BUFFER"] == 1
    assert sum(counts.values()) == len(t.uop.toposort())


def test_topo_order_puts_sources_first():
    _, t = small_graph()
    order = ug.topo_order(t)
    position = {u: i for i, u in enumerate(order)}
    assert len(position) == len(order), "each node appears once"
    assert order[-1] is t.uop
    for u in order:
        assert all(position[s] < position[u] for s in u.src)


def test_graph_inputs_are_the_buffers():
    x, t = small_graph()
    y = Tensor.empty(4, 4)
    inputs = ug.graph_inputs(t * y.sum())
    assert [u.op for u in inputs] == [Ops.BUFFER, Ops.BUFFER]


def test_simple_toposort_lists_a_shared_node_once():
    a = S("INPUT", arg="a")
    b = S("ADD", (a, a))
    c = S("MUL", (b, S("CONST", arg=3.0)))
    order = c.toposort()
    assert order[-1] is c and order.index(a) < order.index(b) < order.index(c)
    assert len(order) == 4
    with pytest.raises(ValueError):
        S("POW", (a, a))


def test_evaluate_small_expression():
    a = S("INPUT", arg="a")
    relu = S("MAX", (a, S("CONST", arg=0.0)))
    out = S("SUM", (S("MUL", (relu, S("CONST", arg=2.0))),), arg=None)
    assert ug.evaluate(out, {"a": np.array([-1.0, 2.0, 3.0])}) == pytest.approx(10.0)


def test_evaluate_cast_truncates_toward_zero():
    a = S("INPUT", arg="a")
    out = S("CAST", (a,), arg="int32")
    np.testing.assert_array_equal(ug.evaluate(out, {"a": np.array([1.7, -1.7, 2.0])}), [1, -1, 2])
