"""Mutants and alternatives for Exercise 4.5 (backprop walkthrough)."""
from grader.mutants import Edit

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
]

ALTERNATIVES = [
    Edit("matmul rule with einsum", find="                ins[0].grad += g @ ins[1].value.T\n                ins[1].grad += ins[0].value.T @ g",
         replace="                ins[0].grad += np.einsum('ik,jk->ij', g, ins[1].value)\n                ins[1].grad += np.einsum('ki,kj->ij', ins[0].value, g)"),
    Edit("relu rule with np.where", find="ins[0].grad += g * (ins[0].value > 0)", replace="ins[0].grad += np.where(ins[0].value > 0, g, 0.0)"),
]
