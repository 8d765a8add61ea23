"""Mutants and alternatives for Exercise 5.7 (a character-level GPT)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("no position embedding", find="x = self.tok_emb(idx) + self.pos_emb(Tensor.arange(T).reshape(1, T))",
         replace="x = self.tok_emb(idx)"),
    Edit("cached decoding adds the position embedding of slot 0 to every new token",
         find="Tensor(np.array([[t]], dtype=np.int32))", replace="Tensor(np.array([[0]], dtype=np.int32))"),
    Edit("causal mask missing: the future leaks into the past",
         find='att = causal.where(scores, float("-inf")).softmax(-1)', replace="att = scores.softmax(-1)"),
    Edit("targets not shifted", find="data[rows + 1].astype(np.int32)", replace="data[rows].astype(np.int32)"),
    Edit("last valid window start never drawn", find="rng.integers(0, len(data) - context, size=batch)",
         replace="rng.integers(0, len(data) - context - 1, size=batch)"),
    Edit("KV cache keeps its stale entries and overwrites the last slot once the window slides",
         find="        if use_cache and len(seq) <= C:\n            logits = decode_one(seq[-1], len(seq) - 1)",
         replace="        if use_cache:\n            logits = decode_one(seq[-1], min(len(seq) - 1, C - 1))"),
    Edit("KV cache not filled with the prompt", find="        for t in range(len(seq) - 1):\n            decode_one(seq[t], t)\n",
         replace="        pass\n"),
    Edit("top-k keeps the k smallest logits", find="z = np.where(z < np.sort(z)[-top_k], -np.inf, z)",
         replace="z = np.where(z > np.sort(z)[top_k - 1], -np.inf, z)"),
    Edit("temperature applied after the softmax (it cancels in the normalisation)", find="    z = logits / temperature\n",
         replace="    z = logits\n", then=Edit("", find="p=p / p.sum()", replace="p=(p / temperature) / (p / temperature).sum()")),
    Edit("weights initialised with std 1", find="INIT_STD = 0.02", replace="INIT_STD = 1.0"),
    Edit("attention scaled by sqrt(d_model) instead of sqrt(head width)",
         find="scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.n_heads)",
         replace="scores = q @ k.transpose(-2, -1) / math.sqrt(d)"),
    Edit("ReLU instead of GELU in the MLP", find="linear(self.fc, self.ln2(x)).gelu()", replace="linear(self.fc, self.ln2(x)).relu()"),
    Edit("vocabulary in order of first appearance", find="self.chars = sorted(set(text))", replace="self.chars = list(dict.fromkeys(text))"),
    Edit("tied matrix listed twice in parameters()", find="            unique.setdefault(id(t), t)\n        return list(unique.values())",
         replace="            unique.setdefault(id(t), t)\n        return nn.state.get_parameters(self)"),
    Edit("train step without zero_grad (stale gradients added)", find="        optimizer.zero_grad()\n", replace=""),
    Edit("train step with a summed loss",
         find="sparse_categorical_crossentropy(y.reshape(-1)).backward()",
         replace="sparse_categorical_crossentropy(y.reshape(-1), reduction=\"sum\").backward()"),
    Edit("train step outside Context(TRAINING=1)", find="    @TinyJit\n    @Context(TRAINING=1)\n    def step(",
         replace="    @TinyJit\n    def step("),
    Edit("top_k by argsort (drops ties at the k-th value)",
         find="        z = np.where(z < np.sort(z)[-top_k], -np.inf, z)",
         replace="        z = z.copy()\n        z[np.argsort(z)[:-top_k]] = -np.inf"),
    Edit("top_k >= V not guarded", find="    if top_k is not None and top_k < len(z):",
         replace="    if top_k is not None:"),
    Edit("decode accepts negative ids", find="            if not 0 <= i < len(self.chars):",
         replace="            if i >= len(self.chars):"),
    Edit("parameters() hand-written without the Linear biases",
         find="""        unique = {}
        for t in nn.state.get_parameters(self):
            unique.setdefault(id(t), t)
        return list(unique.values())""",
         replace="""        params = [self.tok_emb.weight, self.pos_emb.weight, self.ln_f.weight, self.ln_f.bias]
        for b in self.blocks:
            params += [b.ln1.weight, b.ln1.bias, b.ln2.weight, b.ln2.bias,
                       b.qkv.weight, b.proj.weight, b.fc.weight, b.fc_out.weight]
        if self.head.weight is not self.tok_emb.weight:
            params.append(self.head.weight)
        return params"""),
    Edit("get_batch keeps the data's dtype",
         find="    return data[rows].astype(np.int32), data[rows + 1].astype(np.int32)",
         replace="    return data[rows], data[rows + 1]"),
    Edit("no max-shift in sample_next's softmax (exp overflows for confident logits or a low temperature)",
         find="    p = np.exp(z - z.max())\n", replace="    p = np.exp(z)\n"),
    Edit("a new generator for every token (the same uniform draw each step)",
         find="        out.append(sample_next(logits, temperature, top_k, rng))",
         replace="        out.append(sample_next(logits, temperature, top_k, np.random.default_rng(seed)))"),
    Edit("temperature 0 as a one-hot distribution sampled with rng.choice (a draw taken from rng)",
         find="""    if temperature == 0:
        return int(np.argmax(logits))
""", replace="""    if temperature == 0:
        onehot = np.zeros(len(logits))
        onehot[np.argmax(logits)] = 1.0
        return int(rng.choice(len(logits), p=onehot))
"""),
    Edit("train step shifts the targets a second time (logits[:, :-1] against y[:, 1:])",
         find="        loss = logits.reshape(-1, logits.shape[-1])"
              ".sparse_categorical_crossentropy(y.reshape(-1)).backward()",
         replace="        loss = logits[:, :-1].reshape(-1, logits.shape[-1])"
                 ".sparse_categorical_crossentropy(y[:, 1:].reshape(-1)).backward()"),
    Edit("cached decoding lets position t see slot t + 1 (an unfilled slot)",
         find="Tensor((slots <= t).reshape(1, 1, 1, C))", replace="Tensor((slots <= t + 1).reshape(1, 1, 1, C))"),
    Edit("full window left-padded (real ids at the end: every position shifted)",
         find="        padded[0, :len(window)] = window\n"
              "        return window_step(Tensor(padded)).numpy()[0, len(window) - 1]",
         replace="        padded[0, C - len(window):] = window\n"
                 "        return window_step(Tensor(padded)).numpy()[0, -1]"),
]

ALTERNATIVES = [
    Edit("untied head with its own N(0, 0.02^2) weight", find="self.head.weight = self.tok_emb.weight",
         replace="self.head.weight = (Tensor.randn(vocab_size, d_model) * INIT_STD).contiguous()"),
    Edit("generation without the cache runs the unpadded window (a new shape per length)",
         find="        return window_step(Tensor(padded)).numpy()[0, len(window) - 1]",
         replace="        return model(Tensor(np.array([window], dtype=np.int32))).numpy()[0, -1]"),
    Edit("sampling by inverse CDF with one uniform draw", find="    return int(rng.choice(len(z), p=p / p.sum()))",
         replace="    cdf = np.cumsum(p / p.sum())\n    return int(np.searchsorted(cdf / cdf[-1], rng.random(), side=\"right\"))"),
    Edit("attention with Tensor.scaled_dot_product_attention (allowed after 5.6, not materialized)",
         find='''        causal = Tensor.ones(T, T, dtype="bool").tril()
        att = causal.where(scores, float("-inf")).softmax(-1).contiguous().contiguous_backward()
        x = x + linear(self.proj, (att @ v).transpose(1, 2).reshape(N, T, d))''',
         replace='''        out = q.scaled_dot_product_attention(k, v, is_causal=True)
        x = x + linear(self.proj, out.transpose(1, 2).reshape(N, T, d))'''),
    Edit("final LayerNorm written functionally with ln_f's eps, weight and bias",
         find="        return linear(self.head, self.ln_f(x))\n",
         replace="        x = x.layernorm(eps=self.ln_f.eps) * self.ln_f.weight + self.ln_f.bias\n"
                 "        return linear(self.head, x)\n"),
    Edit("top_k threshold from np.partition", find="        z = np.where(z < np.sort(z)[-top_k], -np.inf, z)",
         replace="        z = np.where(z < np.partition(z, len(z) - top_k)[len(z) - top_k], -np.inf, z)"),
]
