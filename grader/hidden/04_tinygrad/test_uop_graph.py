"""Hidden checks for Exercise 4.3: graph reading on random tinygrad graphs; the interpreter against tinygrad."""
import collections

import numpy as np
from tinygrad import Tensor, dtypes

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("4.3"), reference("4.3")


def random_tensor_graph(rng, depth=12):
    """A random lazy tinygrad expression over two unrealized buffers, with shared sub-expressions."""
    a, b = Tensor.empty(3, 5), Tensor.empty(3, 5)
    pool = [a, b, a * b]
    for _ in range(depth):
        x, y = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
        op = rng.integers(6)
        pool.append([x + y, x * 2.5, x.relu(), x.maximum(y), x.exp(), x.sum(axis=1, keepdim=True) + y][op])
    return pool[-1] + pool[-2].sum()


def check_topological(order, root, what):
    ids = [id(u) for u in order]
    if len(set(ids)) != len(ids):
        raise Mismatch(f"{what}: a node appears more than once (shared sub-expressions must be listed once)")
    pos = {id(u): i for i, u in enumerate(order)}
    for u in order:
        for s in u.src:
            if id(s) not in pos:
                raise Mismatch(f"{what}: a source of a {u.op} node is missing from the order")
            if pos[id(s)] > pos[id(u)]:
                raise Mismatch(f"{what}: a {u.op} node is listed before one of its sources")
    if order[-1] is not root:
        raise Mismatch(f"{what}: the root should come last")


def test_topo_order_on_random_graphs():
    rng = np.random.default_rng(0)
    for k in range(15):
        t = random_tensor_graph(rng)
        order = mine.topo_order(t)
        check_topological(order, t.uop, f"topo_order(random graph {k})")
        if set(order) != set(t.uop.toposort()):
            raise Mismatch(f"topo_order(random graph {k}): {len(set(order))} distinct nodes, the graph has {len(t.uop.toposort())}")
    # documented: the graph functions take a Tensor or its UOp
    for name in ("topo_order", "count_ops", "graph_inputs"):
        f = getattr(mine, name)
        try:
            same = [id(u) for u in f(t.uop)] == [id(u) for u in f(t)] if name != "count_ops" else f(t.uop) == f(t)
        except AttributeError as e:
            raise Mismatch(f"{name}(t.uop) failed with AttributeError: {e}; "
                           "it should accept a UOp as well as a Tensor") from None
        if not same:
            raise Mismatch(f"{name}(t.uop) differs from {name}(t); a UOp and its Tensor are the same graph")


def test_topo_order_on_a_deep_chain():
    t = Tensor.empty(2)
    for i in range(12000):                  # deeper than the recursion limit (tinygrad raises it to 10000)
        t = t + float(i % 7 + 1)
    order = mine.topo_order(t)
    check_topological(order, t.uop, "topo_order(a chain of 12000 additions)")


def test_count_ops_on_random_graphs():
    rng = np.random.default_rng(1)
    for k in range(15):
        t = random_tensor_graph(rng)
        got = mine.count_ops(t)
        want = collections.Counter(u.op.name for u in t.uop.toposort())
        if not isinstance(got, dict) or dict(got) != dict(want):
            names = sorted(set(got) | set(want)) if isinstance(got, dict) else []
            wrong = [n for n in names if got.get(n) != want.get(n)]
            raise Mismatch(f"count_ops(random graph {k}): the counts of {wrong} differ (count distinct nodes, with names like 'ADD')")


def test_graph_inputs_on_random_graphs():
    rng = np.random.default_rng(2)
    for k in range(8):
        t = random_tensor_graph(rng) * Tensor.empty(3, 5)
        got = mine.graph_inputs(t)
        want = ref.graph_inputs(t)
        if len(got) != len(want) or set(got) != set(want):
            raise Mismatch(f"graph_inputs(random graph {k}): {len(got)} nodes returned, the graph reads {len(want)} distinct buffers")


S_OPS_1 = ("NEG", "EXP2", "SQRT", "RECIP", "LOG2")


def random_simple(rng, S, n=14):
    """A random SimpleUOp DAG over inputs a, b (3x4) and the equivalent tinygrad computation."""
    a, b = S("INPUT", arg="a"), S("INPUT", arg="b")
    pool = [a, b]
    for _ in range(n):
        x, y = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
        k = rng.integers(9)
        if k == 0: node = S("ADD", (x, y))
        elif k == 1: node = S("MUL", (x, S("CONST", arg=float(rng.choice([0.5, -1.5, 3.0])))))
        elif k == 2: node = S("MAX", (x, y))
        elif k == 3: node = S("WHERE", (S("CMPLT", (x, y)), x, y))
        elif k == 4: node = S("CAST", (S("CAST", (S("MUL", (x, S("CONST", arg=4.0))),), arg="int32"),), arg="float32")
        elif k == 5: node = S("EXP2", (S("NEG", (S("MUL", (x, x)),)),))
        elif k == 6: node = S("SQRT", (S("ADD", (S("MUL", (x, x)), S("CONST", arg=1.0))),))
        elif k == 7: node = S("RECIP", (S("ADD", (S("MUL", (x, x)), S("CONST", arg=2.0))),))
        else: node = S("LOG2", (S("ADD", (S("MUL", (x, x)), S("CONST", arg=0.5))),))
        pool.append(node)
    return S("ADD", (pool[-1], S("SUM", (pool[-2],), arg=None)))


def to_tinygrad(root, env):
    """Evaluate a SimpleUOp DAG with tinygrad ops (the oracle)."""
    val = {}
    for u in ref.SimpleUOp.toposort(root):
        s = [val[x] for x in u.src]
        op = u.op
        if op == "CONST": val[u] = Tensor(u.arg)
        elif op == "INPUT": val[u] = env[u.arg]
        elif op == "ADD": val[u] = s[0] + s[1]
        elif op == "MUL": val[u] = s[0] * s[1]
        elif op == "MAX": val[u] = s[0].maximum(s[1])
        elif op == "CMPLT": val[u] = s[0] < s[1]
        elif op == "WHERE": val[u] = s[0].where(s[1], s[2])
        elif op == "NEG": val[u] = -s[0]
        elif op == "EXP2": val[u] = s[0].exp2()
        elif op == "LOG2": val[u] = s[0].log2()
        elif op == "SQRT": val[u] = s[0].sqrt()
        elif op == "RECIP": val[u] = s[0].reciprocal()
        elif op == "CAST": val[u] = s[0].cast({"int32": dtypes.int32, "float32": dtypes.float32}[u.arg])
        elif op == "SUM": val[u] = s[0].sum()
    return val[root]


def test_simple_toposort_on_random_dags():
    rng = np.random.default_rng(3)
    for k in range(30):
        root = random_simple(rng, mine.SimpleUOp)
        check_topological(root.toposort(), root, f"SimpleUOp.toposort (random DAG {k})")
        if len(root.toposort()) != len(ref.SimpleUOp.toposort(root)):
            raise Mismatch(f"SimpleUOp.toposort (random DAG {k}): wrong number of nodes")


def test_evaluate_matches_reference_on_random_dags():
    rng = np.random.default_rng(4)
    for k in range(40):
        root = random_simple(rng, mine.SimpleUOp)
        env = {"a": rng.normal(size=(3, 4)).astype(np.float32), "b": rng.normal(size=(3, 4)).astype(np.float32)}
        want = ref.evaluate(root, env)
        assert_matches(np.asarray(mine.evaluate(root, env)), np.asarray(want), what=f"evaluate(random DAG {k})", rtol=1e-5, atol=1e-6, check_dtype=False)


def test_evaluate_matches_tinygrad():
    rng = np.random.default_rng(5)
    roots = [random_simple(rng, mine.SimpleUOp, n=10) for _ in range(3)]
    env = {"a": (rng.normal(size=(3, 4)) * 2).astype(np.float32), "b": (rng.normal(size=(3, 4)) * 2).astype(np.float32)}
    outs = [to_tinygrad(r, {k: Tensor(v) for k, v in env.items()}) for r in roots]
    Tensor.realize(*outs)
    for k, (r, o) in enumerate(zip(roots, outs)):
        assert_matches(np.asarray(mine.evaluate(r, env), dtype=np.float32), o.numpy(), what=f"evaluate vs tinygrad (random DAG {k})", rtol=1e-4, atol=1e-5)


def test_evaluate_each_node_once_and_casts():
    S = mine.SimpleUOp
    a = S("INPUT", arg="a")
    c = S("CAST", (S("MUL", (a, S("CONST", arg=2.5))),), arg="int32")
    out = S("SUM", (c,), arg=1)
    x = np.array([[1.0, -1.0], [0.3, 2.0]], np.float32)
    assert_matches(np.asarray(mine.evaluate(out, {"a": x})), np.asarray(ref.evaluate(out, {"a": x})), what="SUM over axis 1 of CAST(a*2.5, int32)")
    assert_raises(KeyError, mine.evaluate, out, {"b": x}, what="evaluate with a missing INPUT")


def test_simple_graph_deeper_than_the_recursion_limit():
    S = mine.SimpleUOp
    x = S("INPUT", arg="a")
    h = x
    for _ in range(12000):              # tinygrad raises the recursion limit to 10000
        h = S("ADD", (h, S("CONST", arg=0.5)))
    try:
        order = h.toposort()
        got = mine.evaluate(h, {"a": np.array([1.0, -2.0], np.float32)})
    except RecursionError:
        raise Mismatch("SimpleUOp.toposort/evaluate on a chain of 12000 ADDs hit the recursion limit: use an explicit stack") from None
    check_topological(order, h, "SimpleUOp.toposort (a chain of 12000 ADDs)")
    assert_matches(np.asarray(got), np.array([6001.0, 5998.0], np.float32), what="evaluate on a chain of 12000 ADDs of 0.5", rtol=1e-6)


class _CountingInputs(dict):
    reads = 0

    def __getitem__(self, key):
        self.reads += 1
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.reads += 1
        return super().get(key, default)


def test_evaluate_visits_shared_nodes_once():
    S = mine.SimpleUOp
    h = S("INPUT", arg="a")
    for _ in range(16):                 # 16 levels of h + h: 2^16 paths from the root to the input
        h = S("ADD", (h, h))
    inputs = _CountingInputs(a=np.array([1.0, 0.5], np.float32))
    assert_matches(np.asarray(mine.evaluate(h, inputs)), np.array([65536.0, 32768.0], np.float32), what="evaluate of 16 levels of h + h")
    if inputs.reads > 2:
        raise Mismatch(f"evaluate read the one INPUT {inputs.reads} times: compute each shared node once (topological order)")


def test_evaluate_dtypes():
    S = mine.SimpleUOp
    a, b, i, j, m, x = (S("INPUT", arg=n) for n in "abijmx")
    env = {"a": np.array([1.5, -2.0]), "b": np.array([0.5, 3.0]), "i": np.array([3, -4], np.int32),
           "j": np.array([2, 5], np.int32), "m": np.array([True, False]),
           "x": np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])}
    cases = {"ADD of two float64 inputs (computed in float32)": S("ADD", (a, b)),
             "MUL of a float input by a CONST": S("MUL", (a, S("CONST", arg=2.0))),
             "ADD of two int32 inputs (kept int32)": S("ADD", (i, j)),
             "CMPLT (bool)": S("CMPLT", (a, b)),
             "CAST of a float to int32 (truncates toward 0)": S("CAST", (S("MUL", (a, S("CONST", arg=1.5))),), arg="int32"),
             "SUM over everything (0-d)": S("SUM", (S("ADD", (a, b)),), arg=None),
             "SUM over axis 0 of a 2x3 input (axis 0 is not None)": S("SUM", (x,), arg=0),
             "a bool INPUT (kept bool, not converted to float32)": m,
             "MAX of a bool INPUT with itself (bool)": S("MAX", (m, m)),
             "a CONST alone (a float32 scalar: a 0-d float32 array)": S("CONST", arg=1.5),
             "SUM of a CONST times a CONST (float32, not float64)":
                 S("SUM", (S("MUL", (S("CONST", arg=0.1), S("CONST", arg=3.0))),), arg=None)}
    for name, root in cases.items():
        got = mine.evaluate(root, env)
        if not isinstance(got, np.ndarray):
            raise Mismatch(f"evaluate: {name} returned {type(got).__name__}; documented: an ndarray (0-d for a full SUM)")
        assert_matches(got, ref.evaluate(root, env), what=f"evaluate: {name}")
