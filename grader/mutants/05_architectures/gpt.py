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
]
