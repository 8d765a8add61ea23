"""Mutants and alternatives for Exercise 4.3 (UOp graphs)."""
from grader.mutants import Edit

POSTORDER = """    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if expanded:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((s, False) for s in reversed(node.src) if s not in done)
    return order"""

MUTANTS = [
    Edit("pre-order: a node listed before its sources", find=POSTORDER, replace="""    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(reversed(node.src))
    return order"""),
    Edit("no visited set: shared nodes listed once per use", find=POSTORDER, replace="""    order, stack = [], [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((s, False) for s in reversed(node.src))
    return order"""),
    Edit("recursive traversal (overflows on deep graphs)", find=POSTORDER, replace="""    order, done = [], set()
    def visit(node):
        if node in done:
            return
        for s in node.src:
            visit(s)
        done.add(node)
        order.append(node)
    visit(root)
    return order"""),
    Edit("count_ops keyed by the Ops enum, not its name", find="counts[u.op.name] = counts.get(u.op.name, 0) + 1",
         replace="counts[u.op] = counts.get(u.op, 0) + 1"),
    Edit("graph_inputs returns every leaf", find="return [u for u in topo_order(t) if u.op is Ops.BUFFER]",
         replace="return [u for u in topo_order(t) if not u.src]"),
    Edit("interpreter ignores CAST", find="val[u] = np.asarray(s[0]).astype(u.arg)", replace="val[u] = np.asarray(s[0])"),
    Edit("SUM ignores its axis", find="val[u] = np.asarray(np.sum(s[0], axis=u.arg))", replace="val[u] = np.asarray(np.sum(s[0]))"),
    Edit("CMPLT operands swapped", find='"CMPLT": np.less}', replace='"CMPLT": np.greater}'),
    Edit("SimpleUOp.toposort written recursively", find="""        ### BEGIN SOLUTION
        return _postorder(self)""", replace="""        ### BEGIN SOLUTION
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for s in node.src:
                    visit(s)
                order.append(node)
        visit(self)
        return order"""),
    Edit("evaluate recursively without remembering results (shared nodes recomputed)", find="""    val: dict[SimpleUOp, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for u in root.toposort():
            s = [val[x] for x in u.src]""", replace="""    def value(u):
        val = {}
        s = [value(x) for x in u.src]
        if True:""",
         then=Edit("", find="""            else:  # SUM
                val[u] = np.asarray(np.sum(s[0], axis=u.arg))
    return val[root]""", replace="""            else:  # SUM
                val[u] = np.asarray(np.sum(s[0], axis=u.arg))
        return val[u]
    with np.errstate(all="ignore"):
        return value(root)""")),
    Edit("inputs kept in their own float dtype (float64 stays float64)", find="""                val[u] = x if x.dtype.kind in "biu" else x.astype(np.float32)""",
         replace="""                val[u] = x"""),
    Edit("topo_order reads t.uop (a UOp argument fails)", find="    return _postorder(_root(t))",
         replace="    return _postorder(t.uop)"),
    Edit("bool inputs converted to float32 (only integer dtypes kept)",
         find='''                val[u] = x if x.dtype.kind in "biu" else x.astype(np.float32)''',
         replace='''                val[u] = x if np.issubdtype(x.dtype, np.integer) else x.astype(np.float32)'''),
    Edit("SUM axis tested for truth (axis 0 sums everything)", find="val[u] = np.asarray(np.sum(s[0], axis=u.arg))",
         replace="val[u] = np.asarray(np.sum(s[0], axis=u.arg if u.arg else None))"),
    Edit("full SUM returned as a NumPy scalar, not a 0-d array", find="val[u] = np.asarray(np.sum(s[0], axis=u.arg))",
         replace="val[u] = np.sum(s[0], axis=u.arg)"),
    Edit("reversed breadth-first order (not topological on a DAG)", find=POSTORDER,
         replace="""    order, seen, queue = [root], {root}, [root]
    while queue:
        node = queue.pop(0)
        for s in node.src:
            if s not in seen:
                seen.add(s)
                order.append(s)
                queue.append(s)
    return order[::-1]"""),
    Edit("CONST kept as a Python float (a constant-only graph gives a float, not a float32 array)",
         find="                val[u] = np.asarray(u.arg, dtype=np.float32)", replace="                val[u] = u.arg"),
    Edit("CAST to an integer floors (toward -inf, not toward zero)",
         find="                val[u] = np.asarray(s[0]).astype(u.arg)",
         replace="                x = np.asarray(s[0])\n"
                 "                to_int = x.dtype.kind == 'f' and np.dtype(u.arg).kind in 'iu'\n"
                 "                val[u] = (np.floor(x) if to_int else x).astype(u.arg)"),
]

ALTERNATIVES = [
    Edit("Kahn's algorithm (in-degree counting)", find=POSTORDER, replace="""    nodes, stack = {}, [root]
    while stack:
        node = stack.pop()
        if node not in nodes:
            nodes[node] = None
            stack.extend(node.src)
    users = {n: [] for n in nodes}
    missing = {n: len(set(n.src)) for n in nodes}
    for n in nodes:
        for s in set(n.src):
            users[s].append(n)
    ready = [n for n in nodes if missing[n] == 0]
    order = []
    while ready:
        n = ready.pop()
        order.append(n)
        for u in users[n]:
            missing[u] -= 1
            if missing[u] == 0:
                ready.append(u)
    return order"""),
    Edit("count_ops with collections.Counter", find="""    counts: dict[str, int] = {}
    for u in topo_order(t):
        counts[u.op.name] = counts.get(u.op.name, 0) + 1
    return counts""", replace="""    import collections
    return dict(collections.Counter(u.op.name for u in topo_order(t)))"""),
    Edit("unary ops as lambdas (2.0 ** x, 1 / x)",
         find='''    unary = {"NEG": np.negative, "EXP2": np.exp2, "LOG2": np.log2, "SQRT": np.sqrt, '''
              '''"RECIP": np.reciprocal}''',
         replace='''    unary = {"NEG": lambda x: -x, "EXP2": lambda x: 2.0 ** x, "LOG2": np.log2, "SQRT": np.sqrt,
             "RECIP": lambda x: 1 / x}'''),
    Edit("results kept by id(node); CONST as a float32 scalar wrapped in an array",
         find="    val: dict[SimpleUOp, np.ndarray] = {}", replace="    val = _ById()",
         then=Edit("const", find="                val[u] = np.asarray(u.arg, dtype=np.float32)",
                   replace="                val[u] = np.array(np.float32(u.arg))",
                   then=Edit("class", find="def evaluate(", replace="""class _ById(dict):
    def __setitem__(self, k, v):
        super().__setitem__(id(k), v)

    def __getitem__(self, k):
        return super().__getitem__(id(k))


def evaluate("""))),
]
