"""Mutants and alternatives for Exercise 4.5 (backprop walkthrough)."""
from grader.mutants import Edit

GRADS = "    for g in loss.gradient(*wrt):"
MUL0 = "                ins[0].grad += _unbroadcast(g * ins[1].value, ins[0].value.shape)"
CE = '''                p = np.exp(extra["logp"])
                p[np.arange(len(p)), extra["labels"]] -= 1.0
                ins[0].grad += g * p / len(p)'''

MUTANTS = [
    Edit("forward nodes not excluded", find="            if u not in forward and u not in seen:", replace="            if u not in seen:"),
    Edit("only the first input's gradient listed", find="    for g in loss.gradient(*wrt):", replace="    for g in loss.gradient(*wrt)[:1]:"),
    Edit("gradients overwritten instead of accumulated (x*x gives x)",
         find="                ins[0].grad += _unbroadcast(g * ins[1].value, ins[0].value.shape)\n                ins[1].grad += _unbroadcast(g * ins[0].value, ins[1].value.shape)",
         replace="                ins[0].grad = _unbroadcast(g * ins[1].value, ins[0].value.shape)\n                ins[1].grad = _unbroadcast(g * ins[0].value, ins[1].value.shape)"),
    Edit("records visited in forward order", find="in reversed(self.records):", replace="in self.records:"),
    Edit("bias gradient not summed over the batch", find="                ins[1].grad += _unbroadcast(g, ins[1].value.shape)",
         replace="                ins[1].grad = ins[1].grad + g.mean(axis=0) if g.ndim > ins[1].value.ndim else ins[1].grad + g"),
    Edit("cross-entropy gradient without 1/N", find="ins[0].grad += g * p / len(p)", replace="ins[0].grad += g * p"),
    Edit("relu gradient masked by the output sign of the upstream grad", find="ins[0].grad += g * (ins[0].value > 0)", replace="ins[0].grad += np.maximum(g, 0)"),
    Edit("relu gradient passed at exactly zero", find="ins[0].grad += g * (ins[0].value > 0)", replace="ins[0].grad += g * (ins[0].value >= 0)"),
    Edit("seen nodes kept in a default argument (shared across calls)", find="""def gradient_ops(loss: Tensor, *wrt: Tensor) -> list[str]:""",
         replace="""def gradient_ops(loss: Tensor, *wrt: Tensor, _seen: set = set()) -> list[str]:""",
         then=Edit("", find="    seen: set = set()\n", replace="    seen = _seen\n")),
    Edit("gradients read from .grad after loss.backward() (sets .grad on the caller's tensors)", find=GRADS,
         replace="    for w in wrt:\n        w.grad = None\n    loss.backward()\n    for g in [w.grad for w in wrt]:"),
    Edit("add gradient un-broadcast only for the right operand (bias assumed on the right)",
         find="                ins[0].grad += _unbroadcast(g, ins[0].value.shape)",
         replace="                ins[0].grad += g"),
    Edit("mul gradient un-broadcast only for the right operand", find=MUL0,
         replace="                ins[0].grad += g * ins[1].value"),
    Edit("un-broadcast always sums axis 0 (wrong for a (n, 1) column)",
         find="""    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g""", replace="    if g.shape != tuple(shape):\n        g = g.sum(axis=0)\n    return g"),
    Edit("sum gradient ignores the upstream gradient (right only when sum is the last op)",
         find="                ins[0].grad += g * np.ones_like(ins[0].value)",
         replace="                ins[0].grad += np.ones_like(ins[0].value)"),
    Edit("cross-entropy gradient ignores the upstream gradient", find="ins[0].grad += g * p / len(p)",
         replace="ins[0].grad += p / len(p)"),
    Edit("cross-entropy backward recomputes softmax without the max-shift (overflows)",
         find='                p = np.exp(extra["logp"])',
         replace='                e = np.exp(ins[0].value)\n                p = e / e.sum(axis=1, keepdims=True)'),
    Edit("one-hot subtracted with p[:, labels] (every row, every label column)",
         find='p[np.arange(len(p)), extra["labels"]] -= 1.0', replace='p[:, extra["labels"]] -= 1.0'),
    Edit("backward starts from zeroed gradients on every Var of the tape (no accumulation across calls)",
         find="        out.grad = np.ones_like(out.value)\n",
         replace="        for _, res, ins, _ in self.records:\n            for v in (res, *ins):\n"
                 "                v.grad = np.zeros_like(v.value)\n        out.grad = np.ones_like(out.value)\n"),
    Edit("gradient_ops forgets the seen nodes between gradients (shared nodes listed again)",
         find="    for g in loss.gradient(*wrt):\n",
         replace="    for g in loss.gradient(*wrt):\n        seen = set()\n"),
]

ALTERNATIVES = [
    Edit("matmul rule with einsum", find="                ins[0].grad += g @ ins[1].value.T\n                ins[1].grad += ins[0].value.T @ g",
         replace="                ins[0].grad += np.einsum('ik,jk->ij', g, ins[1].value)\n                ins[1].grad += np.einsum('ki,kj->ij', ins[0].value, g)"),
    Edit("relu rule with np.where", find="ins[0].grad += g * (ins[0].value > 0)", replace="ins[0].grad += np.where(ins[0].value > 0, g, 0.0)"),
    Edit("gradient_ops takes one gradient per input", find=GRADS, replace="    for g in [loss.gradient(w)[0] for w in wrt]:"),
    Edit("gradient_ops walks one SINK over all gradients", find=GRADS + "\n        for u in g.uop.toposort():",
         replace="""    grads = UOp.sink(*[t.uop for t in loss.gradient(*wrt)])
    for g in [grads]:
        for u in [x for x in g.toposort() if x is not g]:""",
         then=Edit("", find="from tinygrad import Tensor\n", replace="from tinygrad import Tensor, UOp\n")),
    Edit("relu mask from the output value", find="ins[0].grad += g * (ins[0].value > 0)",
         replace="ins[0].grad += g * (res.value > 0)"),
    Edit("cross-entropy gradient from a fresh stable softmax and np.eye one-hot", find=CE,
         replace='''                z = ins[0].value - ins[0].value.max(axis=1, keepdims=True)
                soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
                onehot = np.eye(z.shape[1])[extra["labels"]]
                ins[0].grad += g * (soft - onehot) / z.shape[0]'''),
    Edit("matmul rule rebinding .grad to a new array", find="""\
                ins[0].grad += g @ ins[1].value.T
                ins[1].grad += ins[0].value.T @ g""", replace="""\
                ins[0].grad = ins[0].grad + g @ ins[1].value.T
                ins[1].grad = ins[1].grad + ins[0].value.T @ g"""),
]
