"""Mutants and alternatives for Exercise 5.6 (attention)."""
from grader.mutants import Edit

SCALE = "    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))\n"
MASK = '    if mask is not None:\n        scores = mask.where(scores, float("-inf"))\n'
SOFTMAX = """    row_max = scores.max(axis=-1, keepdim=True).detach()
    row_max = (row_max == float("-inf")).where(0.0, row_max)   # a fully masked row: every exp below is 0
    e = (scores - row_max).exp()
    total = e.sum(axis=-1, keepdim=True)
    weights = e / (total == 0).where(1.0, total)
"""
BLOCK = """        x = x + self.attn(self.ln1(x), mask)
        return x + self.fc2(self.fc1(self.ln2(x)).gelu())"""
TABLE = "    table = np.where(np.arange(d) % 2 == 0, np.sin(angle), np.cos(angle))\n"

MUTANTS = [
    Edit("no 1/sqrt(d) scaling of the scores", find=SCALE, replace="    scores = q @ k.transpose(-2, -1)\n"),
    Edit("scores divided by d instead of sqrt(d)", find=SCALE,
         replace="    scores = (q @ k.transpose(-2, -1)) * (1.0 / q.shape[-1])\n"),
    Edit("mask applied after the softmax (probabilities times the mask, not renormalised)", find=MASK, replace="",
         then=Edit("", find="    return weights @ v\n",
                   replace="    if mask is not None:\n        weights = weights * mask\n    return weights @ v\n")),
    Edit("softmax over the query axis", find="scores.max(axis=-1, keepdim=True)", replace="scores.max(axis=-2, keepdim=True)",
         then=Edit("", find="e.sum(axis=-1, keepdim=True)", replace="e.sum(axis=-2, keepdim=True)")),
    Edit("no max-shift: exp of the raw scores", find="    e = (scores - row_max).exp()\n", replace="    e = scores.exp()\n"),
    Edit("built-in softmax after -inf masking (NaN on fully masked rows)", find=SOFTMAX,
         replace="    weights = scores.softmax(-1)\n"),
    Edit("causal mask without the diagonal (strict lower triangle)", find=".tril()\n", replace=".tril(-1)\n"),
    Edit("causal mask is the upper triangle (attends to the future)", find=".tril()\n", replace=".triu()\n"),
    Edit("padding mask keeps one padding position (<= length)", find="    return positions < Tensor(",
         replace="    return positions <= Tensor("),
    Edit("heads merged by a reshape without the transpose",
         find="        return x.transpose(1, 2).reshape(N, T, H * d_head)", replace="        return x.reshape(N, T, H * d_head)"),
    Edit("heads split by a reshape without the transpose",
         find="        return x.reshape(N, T, self.n_heads, self.d_head).transpose(1, 2)",
         replace="        return x.reshape(N, self.n_heads, T, self.d_head)"),
    Edit("post-LN block: LayerNorm of the residual sum", find=BLOCK,
         replace="        x = self.ln1(x + self.attn(x, mask))\n        return self.ln2(x + self.fc2(self.fc1(x).gelu()))"),
    Edit("ReLU in the block's MLP instead of GELU", find="self.fc1(self.ln2(x)).gelu()", replace="self.fc1(self.ln2(x)).relu()"),
    Edit("sin and cos swapped in the position table", find=TABLE,
         replace="    table = np.where(np.arange(d) % 2 == 0, np.cos(angle), np.sin(angle))\n"),
    Edit("position frequency 10000^(j/d) per column instead of per (sin, cos) pair",
         find="    pair = np.arange(d) // 2 * 2 ", replace="    pair = np.arange(d) "),
    Edit("learned positions initialised with std 1", find="(Tensor.randn(max_len, d_model) * 0.02)",
         replace="Tensor.randn(max_len, d_model)"),
    Edit("learned positions copied out of the graph (no gradient reaches the weight)",
         find="        return x + self.weight[:x.shape[1]]", replace="        return x + Tensor(self.weight.numpy()[:x.shape[1]])"),
    Edit("q, k, v projections without bias",
         find="""        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)""",
         replace="""        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model, bias=False)"""),
    Edit("block MLP without bias",
         find="self.fc1, self.fc2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)",
         replace="self.fc1, self.fc2 = nn.Linear(d_model, d_ff, bias=False), nn.Linear(d_ff, d_model, bias=False)"),
    Edit("a 3-D mask is taken to be (N, T, T) (a (N, 1, T) padding mask breaks)",
         find="            mask = mask.unsqueeze(1)",
         replace="            mask = mask.reshape(x.shape[0], 1, x.shape[1], x.shape[1])"),
    Edit("LayerNorms with eps 1e-6",
         find="self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)",
         replace="self.ln1, self.ln2 = nn.LayerNorm(d_model, eps=1e-6), nn.LayerNorm(d_model, eps=1e-6)"),
    Edit("position table: all sines in the first half, cosines in the second",
         find="    pair = np.arange(d) // 2 * 2 ",
         replace="    pair = np.concatenate([np.arange((d + 1) // 2) * 2, np.arange(d // 2) * 2]) ",
         then=Edit("", find=TABLE,
                   replace="    table = np.where(np.arange(d) < (d + 1) // 2, np.sin(angle), np.cos(angle))\n")),
    Edit("exact (erf) GELU instead of the tanh form", find="self.fc1(self.ln2(x)).gelu()",
         replace="(lambda z: 0.5 * z * (1 + (z / math.sqrt(2)).erf()))(self.fc1(self.ln2(x)))"),
    Edit("max-shift taken over the scores before masking (a masked huge score underflows the row)",
         find=MASK + "    row_max = scores.max(axis=-1, keepdim=True).detach()\n",
         replace="    row_max = scores.max(axis=-1, keepdim=True).detach()\n" + MASK),
    Edit("MLP branch reads the block's input, not the attention output", find=BLOCK,
         replace="""        h = x + self.attn(self.ln1(x), mask)
        return h + self.fc2(self.fc1(self.ln2(x)).gelu())"""),
    Edit("MHA reads mask.ndim without checking for None", find="        if mask is not None and mask.ndim == 3:",
         replace="        if mask.ndim == 3:"),
    Edit("MHA is causal by default (mask=None taken as a causal mask)",
         find="        if mask is not None and mask.ndim == 3:",
         replace="        if mask is None:\n            mask = causal_mask(x.shape[1])\n        if mask.ndim == 3:"),
    Edit("residual taken from the normalised input (x = ln1(x), then x + attn(x))", find=BLOCK,
         replace="""        x = self.ln1(x)
        x = x + self.attn(x, mask)
        x = self.ln2(x)
        return x + self.fc2(self.fc1(x).gelu())"""),
    Edit("padding mask hides query rows, shape (N, T, 1), instead of key columns",
         find="    positions = Tensor.arange(T).reshape(1, 1, T)\n",
         replace="    positions = Tensor.arange(T).reshape(1, T, 1)\n"),
]

ALTERNATIVES = [
    Edit("attention as broadcast multiply-and-sum (einsum style) instead of matmuls", find=SCALE,
         replace="    scores = (q.unsqueeze(-2) * k.unsqueeze(-3)).sum(-1) / math.sqrt(q.shape[-1])\n",
         then=Edit("", find="    return weights @ v\n", replace="    return (weights.unsqueeze(-1) * v.unsqueeze(-3)).sum(-2)\n")),
    Edit("masking by adding -1e9, built-in softmax, fully masked rows zeroed afterwards", find=MASK + SOFTMAX,
         replace="""    if mask is not None:
        scores = scores + mask.where(0.0, -1e9)
    weights = scores.softmax(-1)
    if mask is not None:
        weights = mask.any(axis=-1, keepdim=True).where(weights, 0.0)
"""),
    Edit("LayerNorm written from primitives with the same weights", find=BLOCK,
         replace="""        def norm(ln, h):
            centred = h - h.mean(-1, keepdim=True)
            return centred * ((centred * centred).mean(-1, keepdim=True) + 1e-5).rsqrt() * ln.weight + ln.bias
        x = x + self.attn(norm(self.ln1, x), mask)
        return x + self.fc2(self.fc1(norm(self.ln2, x)).gelu())"""),
    Edit("masks from arange comparisons, position table in tinygrad", find="    return Tensor.ones(T, T, dtype=dtypes.bool).tril()\n",
         replace="    return Tensor.arange(T).reshape(T, 1) >= Tensor.arange(T).reshape(1, T)\n",
         then=Edit("", find="""    position = np.arange(T, dtype=np.float64)[:, None]
    pair = np.arange(d) // 2 * 2                               # 2i for both columns of pair i
    angle = position / 10000.0 ** (pair / d)
""" + TABLE + "    return Tensor(table.astype(np.float32))\n",
                   replace="""    column = Tensor.arange(d).reshape(1, d)
    frequency = ((column - column % 2).float() * (-math.log(10000.0) / d)).exp()
    angle = Tensor.arange(T).reshape(T, 1).float() * frequency
    return (column % 2 == 0).where(angle.sin(), angle.cos()).float()
""")),
    Edit("learned positions drawn with Tensor.normal(std=0.02)", find="(Tensor.randn(max_len, d_model) * 0.02)",
         replace="Tensor.normal(max_len, d_model, mean=0.0, std=0.02)"),
    Edit("built-in softmax after -inf masking, NaN rows of fully masked queries set to 0 afterwards",
         find=SOFTMAX, replace="    weights = scores.softmax(-1)\n    weights = weights.isnan().where(0.0, weights)\n"),
]
