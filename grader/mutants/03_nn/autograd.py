"""Mutants and alternatives for Exercise 3.4 (Value autograd).

The main alternative swaps the whole reference `Value` for an engine written independently in the
micrograd style (parents and local derivatives stored on each node, an iterative topological sort):
the hidden checks must accept any correct engine with micrograd's public conventions.
"""
from pathlib import Path

from grader.mutants import Edit

_REFERENCE = (Path(__file__).resolve().parents[3] / "solutions" / "03_nn" / "autograd.py").read_text()
_VALUE_CLASS = _REFERENCE[_REFERENCE.index("class Value:"):_REFERENCE.index("class Module:")]

_INDEPENDENT_VALUE = '''class Value:
    """A scalar node that stores its parents together with the local derivative towards each."""

    def __init__(self, data, _parents=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = tuple(_parents)  # pairs (parent, d self / d parent)
        self._op = _op

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value._lift(other)
        return Value(self.data + other.data, ((self, 1.0), (other, 1.0)), "+")

    def __mul__(self, other):
        other = Value._lift(other)
        return Value(self.data * other.data, ((self, other.data), (other, self.data)), "*")

    def __pow__(self, k):
        return Value(self.data ** k, ((self, k * self.data ** (k - 1)),), "**")

    def exp(self):
        e = math.exp(self.data)
        return Value(e, ((self, e),), "exp")

    def log(self):
        return Value(math.log(self.data), ((self, 1.0 / self.data),), "log")

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, ((self, 1.0 - t * t),), "tanh")

    def relu(self):
        return Value(self.data if self.data > 0 else 0.0, ((self, 1.0 if self.data > 0 else 0.0),), "relu")

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value(s, ((self, s * (1.0 - s)),), "sigmoid")

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-Value._lift(other))

    def __rsub__(self, other):
        return Value._lift(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * Value._lift(other) ** -1

    def __rtruediv__(self, other):
        return Value._lift(other) * self ** -1

    def backward(self):
        order, done, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in done:
                continue
            done.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p, _ in node._parents if id(p) not in done)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in node._parents:
                parent.grad += local * node.grad


'''

_ITERATIVE_SORT = """        order, seen, stack = [], {self}, [(self, iter(self._prev))]
        while stack:  # depth-first post-order with an explicit stack
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                order.append(node)
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(child._prev)))"""

MUTANTS = [
    Edit("= instead of += in the product rule", find="            self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
         replace="            self.grad = other.data * out.grad\n            other.grad = self.data * out.grad"),
    Edit("= instead of += in addition", find="            self.grad += out.grad\n            other.grad += out.grad",
         replace="            self.grad = out.grad\n            other.grad = out.grad"),
    Edit("no topological sort (depth-first, each node before its users are done)",
         find=_ITERATIVE_SORT + """
        self.grad = 1.0
        for v in reversed(order):
            v._backward()""",
         replace="""        self.grad = 1.0
        seen = set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                v._backward()
                for child in v._prev:
                    visit(child)
        visit(self)"""),
    Edit("tanh derivative without the square", find="            self.grad += (1 - out.data ** 2) * out.grad", replace="            self.grad += (1 - out.data) * out.grad"),
    Edit("power rule off by one", find="            self.grad += k * self.data ** (k - 1) * out.grad", replace="            self.grad += k * self.data ** k * out.grad"),
    Edit("log derivative uses the output", find="            self.grad += out.grad / self.data", replace="            self.grad += out.grad / out.data"),
    Edit("every layer linear", find="act.relu() if self.nonlin else act", replace="act"),
    Edit("parameters without the bias", find="        return self.w + [self.b]", replace="        return self.w"),
    Edit("recursive topological sort (fails past the recursion limit)", find=_ITERATIVE_SORT, replace="""        order, seen = [], set()

        def build(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    build(child)
                order.append(v)
        build(self)"""),
    Edit("backward clears every gradient first (no accumulation across calls)",
         find="        self.grad = 1.0\n        for v in reversed(order):",
         replace="        for v in order:\n            v.grad = 0.0\n        self.grad = 1.0\n        for v in reversed(order):"),
    Edit("relu derivative 1 at exactly zero", find="            self.grad += (self.data > 0) * out.grad", replace="            self.grad += (self.data >= 0) * out.grad"),
    Edit("sigmoid without the stable branch (math.exp overflows)",
         find="        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))",
         replace="        s = 1 / (1 + math.exp(-x))"),
    Edit("gradients never zeroed between training steps", find="        model.zero_grad()\n        loss.backward()", replace="        loss.backward()"),
    Edit("a zero score counted as +1", find="    return sum((model(x).data > 0) == (yi > 0)", replace="    return sum((model(x).data >= 0) == (yi > 0)"),
    Edit("L2 weight fixed at the default 1e-4 (alpha ignored)", find="loss = data_loss + alpha * sum(",
         replace="loss = data_loss + 1e-4 * sum("),
    Edit("L2 term added as a plain float (no gradient reaches the parameters)",
         find="alpha * sum((p * p for p in model.parameters()), Value(0.0))",
         replace="alpha * sum(p.data * p.data for p in model.parameters())"),
    Edit("a Value exponent silently unwrapped (its gradient is lost)",
         find="""        if not isinstance(k, (int, float)):
            raise TypeError("only plain-number exponents are supported")""",
         replace="        k = k.data if isinstance(k, Value) else k"),
    Edit("tanh as (e^2x - 1) / (e^2x + 1) (math.exp overflows past x = 355)",
         find='        out = Value(math.tanh(self.data), (self,), "tanh")',
         replace='        e2 = math.exp(2 * self.data)\n        out = Value((e2 - 1) / (e2 + 1), (self,), "tanh")'),
    Edit("topological order by a breadth-first walk", find=_ITERATIVE_SORT,
         replace="""        order, seen, queue = [], {self}, [self]
        for node in queue:
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        order = queue[::-1]"""),
    Edit("backward zeroes the intermediate gradients first (only leaves accumulate across calls)",
         find="        self.grad = 1.0\n        for v in reversed(order):",
         replace="        for v in order:\n            if v._prev:\n                v.grad = 0.0\n"
                 "        self.grad = 1.0\n        for v in reversed(order):"),
    Edit("unseeded neurons all start from Random(0) (identical neurons)", find="        rng = random.Random(seed)",
         replace="        rng = random.Random(0 if seed is None else seed)"),
]

ALTERNATIVES = [
    Edit("an independently written micrograd-style Value", find=_VALUE_CLASS, replace=_INDEPENDENT_VALUE),
    Edit("topological order by Kahn's algorithm (counting each node's users)", find=_ITERATIVE_SORT, replace="""        nodes, users, todo = {self}, {}, [self]
        while todo:
            for child in todo.pop()._prev:
                users[child] = users.get(child, 0) + 1
                if child not in nodes:
                    nodes.add(child)
                    todo.append(child)
        ready, backwards = [self], []
        while ready:
            node = ready.pop()
            backwards.append(node)
            for child in node._prev:
                users[child] -= 1
                if users[child] == 0:
                    ready.append(child)
        order = backwards[::-1]"""),
    Edit("hinge as the larger of two Values, tanh from exp(-2|x|)",
         find="((1 - yi * s).relu() for yi, s in zip(y, scores))",
         replace="(max(1 - yi * s, Value(0.0), key=lambda v: v.data) for yi, s in zip(y, scores))",
         then=Edit("tanh", find='        out = Value(math.tanh(self.data), (self,), "tanh")',
                   replace='        e = math.exp(-2 * abs(self.data))\n'
                           '        out = Value(math.copysign((1 - e) / (1 + e), self.data), (self,), "tanh")')),
    Edit("topological order by creation number (inputs are always created before their users)",
         find="import random\n", replace="import itertools\nimport random\n\n_CREATED = itertools.count()\n",
         then=Edit("number", find="        self._op = _op\n",
                   replace="        self._op = _op\n        self._number = next(_CREATED)\n",
                   then=Edit("sort", find=_ITERATIVE_SORT, replace="""        nodes, todo = {self}, [self]
        while todo:
            for child in todo.pop()._prev:
                if child not in nodes:
                    nodes.add(child)
                    todo.append(child)
        order = sorted(nodes, key=lambda v: v._number)"""))),
    Edit("iterative DFS marking a node seen when it is finished (a DAG has no path back to a node in progress)",
         find="""            if child is None:
                stack.pop()
                order.append(node)
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(child._prev)))""", replace="""            if child is None:
                stack.pop()
                seen.add(node)
                order.append(node)
            elif child not in seen:
                stack.append((child, iter(child._prev)))"""),
]
