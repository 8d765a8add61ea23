"""Mutants and alternatives for Exercise 4.7 (rewrite rule and custom gradient)."""
from grader.mutants import Edit

RULE = '_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat.var("y"),)),)), lambda y: y)'

MUTANTS = [
    Edit("rule matches LOG2 of anything and drops a level (changes values)", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(name="e"),)), lambda e: e.src[0] if e.src else None)'),
    Edit("rule scales by ln 2 as if LOG2 were the natural log (changes values)", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat.var("y"),)),)), lambda y: y * 0.6931471805599453)'),
    Edit("the invalid mirror rule exp(log(y)) -> y added", find="    return PatternMatcher([_log_of_exp])",
         replace='    return PatternMatcher([_log_of_exp, (UPat(Ops.EXP2, src=(UPat(Ops.LOG2, src=(UPat.var("z"),)),)), lambda z: z)])'),
    Edit("rules built but never applied", find="    return Tensor(graph_rewrite(t.uop, log_exp_rules()))", replace="    return t"),
    Edit("custom gradient with the wrong sign inside the sigmoid", find="return (grad * (1.0 / (1.0 + (-x).exp())),)",
         replace="return (grad * (1.0 / (1.0 + x.exp())),)"),
    Edit("custom gradient ignores the incoming gradient", find="return (grad * (1.0 / (1.0 + (-x).exp())),)",
         replace="return ((1.0 / (1.0 + (-x).exp())),)"),
    Edit("softplus computed naively as log(1 + exp(x)) (overflows)", find="    return x.maximum(0) + (1 + (-x.abs()).exp()).log()",
         replace="    return (1 + x.exp()).log()"),
]

ALTERNATIVES = [
    Edit("rule written with UPat.var on an EXP2 named pattern", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, name="e"),)), lambda e: e.src[0])'),
    Edit("sigmoid in the gradient written as exp(x) / (1 + exp(x)) with a stable branch",
         find="return (grad * (1.0 / (1.0 + (-x).exp())),)",
         replace="e = (-(x.maximum(-x))).exp()\n    return (grad * (x < 0).where(e / (1.0 + e), 1.0 / (1.0 + e)),)"),
]
