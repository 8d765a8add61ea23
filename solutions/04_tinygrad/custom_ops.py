"""Exercise 4.7 (milestone): a custom optimization and a custom op with its own gradient.

Part A, a rewrite rule. tinygrad builds `x.exp()` as EXP2(x * log2(e)) and `y.log()` as LOG2(y) * ln(2),
and on CPU each of EXP2 and LOG2 becomes a long polynomial, so `x.exp().log()` compiles to about a hundred
lines of C for what is mathematically x * log2(e) * ln(2) = x. A `PatternMatcher` is a list of
(UPat, function) rules; `graph_rewrite(uop, matcher)` applies them until nothing matches. The rule
LOG2(EXP2(y)) -> y is exact for every real y. Its mirror EXP2(LOG2(y)) -> y is *not* a valid
optimization: for y <= 0 the left side is NaN or 0, so the rewrite would change values.

Part B, a custom gradient. `@function(grad_fxn=g)` wraps a Tensor function into one graph node whose
backward is `g(grad_output: UOp, call: UOp) -> tuple` (one entry per Tensor input; `call.src[1:]` are the
input UOps, which support +, *, exp, ...). softplus(x) = log(1 + e^x) has derivative sigmoid(x) = 1/(1 + e^-x).
"""
from __future__ import annotations

from tinygrad import Tensor, UOp, function
from tinygrad.uop.ops import Ops, PatternMatcher, UPat, graph_rewrite

### BEGIN SOLUTION
_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat.var("y"),)),)), lambda y: y)
### END SOLUTION


def log_exp_rules() -> PatternMatcher:
    """A PatternMatcher whose rule turns LOG2(EXP2(y)) into y, and that changes nothing else."""
    ### BEGIN SOLUTION
    return PatternMatcher([_log_of_exp])
    ### END SOLUTION


def simplify(t: Tensor) -> Tensor:
    """A new lazy Tensor on `t`'s graph rewritten with `log_exp_rules()`: same values, less code."""
    ### BEGIN SOLUTION
    return Tensor(graph_rewrite(t.uop, log_exp_rules()))
    ### END SOLUTION


def _softplus_grad(grad: UOp, call: UOp) -> tuple[UOp]:
    """d softplus(x)/dx = sigmoid(x): returns (grad * sigmoid(x),) with x = call.src[1]."""
    ### BEGIN SOLUTION
    x = call.src[1]
    return (grad * (1.0 / (1.0 + (-x).exp())),)
    ### END SOLUTION


@function(grad_fxn=_softplus_grad)
def softplus(x: Tensor) -> Tensor:
    """softplus(x) = log(1 + exp(x)), elementwise, computed stably as max(x, 0) + log(1 + exp(-|x|)) so that
    large |x| neither overflows nor loses the answer (softplus(100) = 100, softplus(-100) ~ 3.7e-44 -> 0).
    Its backward pass is `_softplus_grad` (registered with @function), not tinygrad's autograd of this body."""
    ### BEGIN SOLUTION
    return x.maximum(0) + (1 + (-x.abs()).exp()).log()
    ### END SOLUTION
