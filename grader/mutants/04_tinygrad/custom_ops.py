"""Mutants and alternatives for Exercise 4.7 (rewrite rule and custom gradient)."""
from grader.mutants import Edit

SIMPLIFY = "    return Tensor(graph_rewrite(t.uop, log_exp_rules()))"
GRAD = "return (grad * (1.0 / (1.0 + (-x).exp())),)"
SUBSTITUTE = """    pairs = [n for n in t.uop.toposort() if n.op is Ops.LOG2 and n.src[0].op is Ops.EXP2]
    subs = {n: n.src[0].src[0] for n in pairs}
    return Tensor(t.uop.substitute(subs)) if subs else Tensor(t.uop)"""
RULE = '_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat.var("y"),)),)), lambda y: y)'

MUTANTS = [
    Edit("rule matches LOG2 of anything and drops a level (changes values)", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(name="e"),)), lambda e: e.src[0] if e.src else None)'),
    Edit("rule scales by ln 2 as if LOG2 were the natural log (changes values)", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat.var("y"),)),)), lambda y: y * 0.6931471805599453)'),
    Edit("the invalid mirror rule exp(log(y)) -> y added", find="    return PatternMatcher([_log_of_exp])",
         replace='    return PatternMatcher([_log_of_exp, (UPat(Ops.EXP2, src=(UPat(Ops.LOG2, src=(UPat.var("z"),)),)), lambda z: z)])'),
    Edit("rules built but never applied", find="    return Tensor(graph_rewrite(t.uop, log_exp_rules()))", replace="    return t"),
    Edit("custom gradient with the wrong sign inside the sigmoid", find=GRAD,
         replace="return (grad * (1.0 / (1.0 + x.exp())),)"),
    Edit("custom gradient ignores the incoming gradient", find=GRAD,
         replace="return ((1.0 / (1.0 + (-x).exp())),)"),
    Edit("softplus computed naively as log(1 + exp(x)) (overflows)", find="    return x.maximum(0) + (1 + (-x.abs()).exp()).log()",
         replace="    return (1 + x.exp()).log()"),
    Edit("simplify rewrites t in place (t.replace) instead of returning a new Tensor", find=SIMPLIFY,
         replace="    return t.replace(Tensor(graph_rewrite(t.uop, log_exp_rules())))"),
    Edit("simplify realizes t before rewriting (nothing left to rewrite)", find=SIMPLIFY,
         replace="    return Tensor(graph_rewrite(t.realize().uop, log_exp_rules()))"),
    Edit("simplify returns the evaluated values, not a lazy graph", find=SIMPLIFY,
         replace="    return Tensor(Tensor(graph_rewrite(t.uop, log_exp_rules())).numpy())"),
    Edit("matcher also carries tinygrad's symbolic rules (changes other graphs)",
         find="    return PatternMatcher([_log_of_exp])",
         replace="    from tinygrad.uop.symbolic import symbolic\n    return symbolic + PatternMatcher([_log_of_exp])"),
    Edit("matcher left empty; simplify substitutes the pairs by hand", find=SIMPLIFY, replace=SUBSTITUTE,
         then=Edit("", find="    return PatternMatcher([_log_of_exp])", replace="    return PatternMatcher([])")),
    Edit("softplus clamps x to [-20, 20] before log(1 + e^x) (softplus(120) gives 20)",
         find="    return x.maximum(0) + (1 + (-x.abs()).exp()).log()",
         replace="    return (1 + x.clip(-20, 20).exp()).log()"),
    Edit("rule only matches an EXP2 whose source is a MUL (the form exp() builds); bare exp2().log2() kept",
         find=RULE, replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat(Ops.MUL, name="y"),)),)), '
                            'lambda y: y)'),
    Edit("rule matches the whole exp().log() chain MUL(LOG2(EXP2(y * c1)), c2), ignoring the constants",
         find=RULE,
         replace='_log_of_exp = (UPat(Ops.MUL, src=(UPat(Ops.LOG2, src=(UPat(Ops.EXP2, src=(UPat(Ops.MUL, src=(\n'
                 '    UPat.var("y"), UPat.cvar("c1"))),)),)), UPat.cvar("c2"))), lambda y, c1, c2: y)'),
    Edit("simplify also applies the invalid mirror EXP2(LOG2(z)) -> z after the rules", find=SIMPLIFY,
         replace="    u = graph_rewrite(t.uop, log_exp_rules())\n    return Tensor(graph_rewrite(u, PatternMatcher(\n"
                 "        [(UPat(Ops.EXP2, src=(UPat(Ops.LOG2, src=(UPat.var('z'),)),)), lambda z: z)])))"),
]

ALTERNATIVES = [
    Edit("rule written with UPat.var on an EXP2 named pattern", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, src=(UPat(Ops.EXP2, name="e"),)), lambda e: e.src[0])'),
    Edit("sigmoid in the gradient written as exp(x) / (1 + exp(x)) with a stable branch",
         find=GRAD,
         replace="e = (-(x.maximum(-x))).exp()\n    return (grad * (x < 0).where(e / (1.0 + e), 1.0 / (1.0 + e)),)"),
    Edit("rule matches any LOG2 and checks its source in the function", find=RULE,
         replace='_log_of_exp = (UPat(Ops.LOG2, name="l"),\n'
                 '               lambda l: l.src[0].src[0] if l.src[0].op is Ops.EXP2 else None)'),
    Edit("gradient through UOp.sigmoid", find=GRAD, replace="return (grad * x.sigmoid(),)"),
    Edit("gradient as (1 + tanh(x/2)) / 2", find=GRAD, replace="return (grad * (0.5 * (1.0 + (x * 0.5).tanh())),)"),
    Edit("softplus with relu and method chaining", find="    return x.maximum(0) + (1 + (-x.abs()).exp()).log()",
         replace="    return x.relu() + (-x.abs()).exp().add(1).log()"),
    Edit("simplify substitutes every LOG2(EXP2(y)) node found in the graph", find=SIMPLIFY, replace=SUBSTITUTE),
    Edit("softplus with a threshold: x itself above 20, log(1 + e^x) below",
         find="    return x.maximum(0) + (1 + (-x.abs()).exp()).log()",
         replace="    return (x > 20).where(x, (1 + x.minimum(20).exp()).log())"),
    Edit("softplus through tinygrad's own Tensor.softplus (logaddexp)",
         find="    return x.maximum(0) + (1 + (-x.abs()).exp()).log()", replace="    return x.softplus()"),
    Edit("gradient as 1 - 1 / (1 + e^x)", find=GRAD, replace="return (grad * (1.0 - 1.0 / (1.0 + x.exp())),)"),
    Edit("rewrite applied bottom-up", find=SIMPLIFY,
         replace="    return Tensor(graph_rewrite(t.uop, log_exp_rules(), bottom_up=True))"),
]
