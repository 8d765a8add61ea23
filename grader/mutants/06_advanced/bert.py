"""Mutants and alternatives for Exercise 6.7 (a character-level BERT)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("masking chooses padding and special tokens too",
         find="chosen = (ids >= N_SPECIAL) & (rng.random(ids.shape) < mask_prob)",
         replace="chosen = rng.random(ids.shape) < mask_prob"),
    Edit("every chosen position becomes [MASK] (no 10% random, no 10% unchanged)",
         find="inputs[chosen & (action < 0.8)] = MASK", replace="inputs[chosen] = MASK",
         then=Edit("", find="swap = chosen & (action >= 0.8) & (action < 0.9)", replace="swap = chosen & False")),
    Edit("labels on every position, not only the chosen ones",
         find="labels = np.where(chosen, ids, IGNORE_INDEX).astype(np.int32)", replace="labels = ids.astype(np.int32)"),
    Edit("random replacements drawn from every id, special tokens included",
         find="random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)",
         replace="random_ids = rng.integers(0, vocab_size, size=ids.shape)"),
    Edit("random replacements never draw the last character",
         find="random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)",
         replace="random_ids = rng.integers(N_SPECIAL, vocab_size - 1, size=ids.shape)"),
    Edit("a fresh generator from a fixed seed (the rng passed in is ignored)",
         find="    rng = np.random.default_rng(rng)\n", replace="    rng = np.random.default_rng(0)\n"),
    Edit("random replacements at 10% of all characters, not 10% of the chosen ones",
         find="swap = chosen & (action >= 0.8) & (action < 0.9)",
         replace="swap = (ids >= N_SPECIAL) & (action >= 0.8) & (action < 0.9)"),
    Edit("causal mask left in (the GPT's attention)",
         find='att = keep.where(scores, float("-inf")).softmax(-1)',
         replace='att = (keep & Tensor.ones(T, T, dtype="bool").tril()).where(scores, float("-inf")).softmax(-1)'),
    Edit("no padding mask: padded keys get attention",
         find='att = keep.where(scores, float("-inf")).softmax(-1)', replace="att = scores.softmax(-1)"),
    Edit("padding mask over the queries instead of the keys",
         find="keep = keep.reshape(N, 1, 1, T)", replace="keep = keep.reshape(N, 1, T, 1)"),
    Edit("an explicit mask is ignored (padding found by ids != PAD only)",
         find="keep = (ids != PAD) if mask is None else mask.cast(dtypes.bool)", replace="keep = ids != PAD"),
    Edit("no position embedding", find="x = self.tok_emb(ids) + self.pos_emb(Tensor.arange(T).reshape(1, T))",
         replace="x = self.tok_emb(ids)"),
    Edit("attention scaled by sqrt(d_model) instead of sqrt(head width)",
         find="scores = q @ k.transpose(-2, -1) / math.sqrt(dh)", replace="scores = q @ k.transpose(-2, -1) / math.sqrt(d)"),
    Edit("no final LayerNorm", find="        return self.ln_f(x)\n", replace="        return x\n"),
    Edit("loss averaged over all positions instead of the chosen ones",
         find="return -(chosen.where(picked, 0.0)).sum() / chosen.sum().maximum(1).cast(flat.dtype)",
         replace="return -(chosen.where(picked, 0.0)).sum() / flat.shape[0]"),
    Edit("tinygrad's default ignore_index (-1) with labels of -100",
         find="return -(chosen.where(picked, 0.0)).sum() / chosen.sum().maximum(1).cast(flat.dtype)",
         replace="return flat.sparse_categorical_crossentropy(y)"),
    Edit("loss with ignore_index=-100 is NaN when nothing is chosen",
         find="return -(chosen.where(picked, 0.0)).sum() / chosen.sum().maximum(1).cast(flat.dtype)",
         replace="return flat.sparse_categorical_crossentropy(y, ignore_index=IGNORE_INDEX)"),
    Edit("classifier reads the mean over positions", find="return linear(self.head, self.bert.encode(ids, mask)[:, 0])",
         replace="return linear(self.head, self.bert.encode(ids, mask).mean(1))"),
    Edit("classifier reads the last position", find="return linear(self.head, self.bert.encode(ids, mask)[:, 0])",
         replace="return linear(self.head, self.bert.encode(ids, mask)[:, -1])"),
    Edit("classifier trains its head only", find="return self.bert.parameters() + [self.head.weight, self.head.bias]",
         replace="return [self.head.weight, self.head.bias]"),
    Edit("characters start at id 0, colliding with the special tokens",
         find="self.ids = {c: N_SPECIAL + i for i, c in enumerate(self.chars)}",
         replace="self.ids = {c: i for i, c in enumerate(self.chars)}"),
    Edit("pack forgets [SEP]", find="ids = [CLS] + self.encode(text)[:length - 2] + [SEP]",
         replace="ids = [CLS] + self.encode(text)[:length - 1]"),
    Edit("weights initialised with std 1", find="INIT_STD = 0.02", replace="INIT_STD = 1.0"),
]

ALTERNATIVES = [
    Edit("untied masked-LM head with its own N(0, 0.02^2) weight", find="self.head.weight = self.tok_emb.weight",
         replace="self.head.weight = (Tensor.randn(vocab_size, d_model) * INIT_STD).contiguous()"),
    Edit("attention with Tensor.scaled_dot_product_attention and a boolean mask (not materialized)",
         find='''        att = keep.where(scores, float("-inf")).softmax(-1).contiguous().contiguous_backward()
        x = x + linear(self.proj, (att @ v).transpose(1, 2).reshape(N, T, d))''',
         replace='''        out = q.scaled_dot_product_attention(k, v, attn_mask=keep)
        x = x + linear(self.proj, out.transpose(1, 2).reshape(N, T, d))'''),
    Edit("masking by one categorical draw per position (choose, then 80/10/10)",
         find='''    chosen = (ids >= N_SPECIAL) & (rng.random(ids.shape) < mask_prob)
    action = rng.random(ids.shape)''',
         replace='''    p = mask_prob
    kind = rng.choice(4, size=ids.shape, p=[1 - p, 0.8 * p, 0.1 * p, 0.1 * p])
    chosen = (ids >= N_SPECIAL) & (kind > 0)
    action = np.select([kind == 1, kind == 2], [0.0, 0.85], 0.95)'''),
    Edit("loss through sparse_categorical_crossentropy(ignore_index=-100), guarded for no chosen position",
         find="return -(chosen.where(picked, 0.0)).sum() / chosen.sum().maximum(1).cast(flat.dtype)",
         replace="safe = chosen.where(y, 0)\n"
                 "    loss = flat.sparse_categorical_crossentropy(safe, reduction='none')\n"
                 "    return chosen.where(loss, 0.0).sum() / chosen.sum().maximum(1).cast(flat.dtype)"),
]
