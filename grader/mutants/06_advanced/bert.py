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
    Edit("inputs share memory with int32 ids (the caller's ids are masked in place)",
         find="    inputs = ids.astype(np.int32).copy()", replace="    inputs = np.asarray(ids, dtype=np.int32)"),
    Edit("the first character (id N_SPECIAL) is never chosen",
         find="chosen = (ids >= N_SPECIAL) & (rng.random(ids.shape) < mask_prob)",
         replace="chosen = (ids > N_SPECIAL) & (rng.random(ids.shape) < mask_prob)"),
    Edit("a random replacement never draws the original token",
         find="    random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)",
         replace="    random_ids = rng.integers(N_SPECIAL, vocab_size - 1, size=ids.shape)\n"
                 "    random_ids = np.where(random_ids >= ids, random_ids + 1, random_ids)"),
    Edit("classifier head with nn.Linear's default initialisation",
         find="        self.head = init_linear(bert.d_model, n_classes)",
         replace="        self.head = nn.Linear(bert.d_model, n_classes)"),
    Edit("inputs keep the dtype of ids (int64 in, int64 out; int32 is declared)",
         find="    inputs = ids.astype(np.int32).copy()", replace="    inputs = ids.copy()"),
    Edit("labels left as int64", find="labels = np.where(chosen, ids, IGNORE_INDEX).astype(np.int32)",
         replace="labels = np.where(chosen, ids, IGNORE_INDEX).astype(np.int64)"),
    Edit("a fixed share of every row chosen (round(p * n) positions, not independent draws)",
         find="chosen = (ids >= N_SPECIAL) & (rng.random(ids.shape) < mask_prob)",
         replace="normal = ids >= N_SPECIAL\n    chosen = np.zeros(ids.shape, bool)\n"
                 "    for r in range(ids.shape[0]):\n        pos = np.flatnonzero(normal[r])\n"
                 "        chosen[r, rng.choice(pos, int(round(mask_prob * len(pos))), replace=False)] = True"),
    Edit("position embedding left at nn.Embedding's default initialisation",
         find="        self.pos_emb.weight = (Tensor.randn(context, d_model) * INIT_STD).contiguous()\n", replace=""),
    Edit("attention Linears with nn.Linear's default initialisation (uniform weights, nonzero bias)",
         find="        self.qkv = init_linear(d_model, 3 * d_model)\n        self.proj = init_linear(d_model, d_model)",
         replace="        self.qkv = nn.Linear(d_model, 3 * d_model)\n        self.proj = nn.Linear(d_model, d_model)"),
    Edit("untied masked-LM head left at nn.Linear's default initialisation",
         find="        self.head.weight = self.tok_emb.weight\n", replace=""),
    Edit("classifier drops the mask (the encoder falls back to ids != PAD)",
         find="return linear(self.head, self.bert.encode(ids, mask)[:, 0])",
         replace="return linear(self.head, self.bert.encode(ids)[:, 0])"),
    Edit("Bert.__call__ drops the mask", find="return linear(self.head, self.encode(ids, mask))",
         replace="return linear(self.head, self.encode(ids))"),
    Edit("decode accepts negative ids (Python indexing from the end)",
         find="if not 0 <= i < self.vocab_size:", replace="if i >= self.vocab_size:"),
    Edit("pack returns int64 rows", find="rows = np.full((len(texts), length), PAD, dtype=np.int32)",
         replace="rows = np.full((len(texts), length), PAD)"),
    Edit("padding hidden by multiplying the scores by the mask (padded keys score 0, not -inf)",
         find='att = keep.where(scores, float("-inf")).softmax(-1)', replace="att = (scores * keep).softmax(-1)"),
    Edit("post-LN blocks (LayerNorm after each residual sum)",
         find="        q, k, v = linear(self.qkv, self.ln1(x)).split(d, dim=-1)",
         replace="        q, k, v = linear(self.qkv, x).split(d, dim=-1)",
         then=Edit("", find="""        x = x + linear(self.proj, (att @ v).transpose(1, 2).reshape(N, T, d))
        return x + linear(self.fc_out, linear(self.fc, self.ln2(x)).gelu())""",
                   replace="""        x = self.ln1(x + linear(self.proj, (att @ v).transpose(1, 2).reshape(N, T, d)))
        return self.ln2(x + linear(self.fc_out, linear(self.fc, x).gelu()))""")),
    Edit("head tied before tok_emb's weight is replaced (the head keeps the old default weight)",
         find="""        self.tok_emb, self.pos_emb = nn.Embedding(vocab_size, d_model), nn.Embedding(context, d_model)
""", replace="""        self.tok_emb, self.pos_emb = nn.Embedding(vocab_size, d_model), nn.Embedding(context, d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight
""", then=Edit("", find="""        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight
        ### END""", replace="""        ### END""")),
    Edit("loss skips label 0 as if it were padding (only -100 is documented as skipped)",
         find="chosen = y != IGNORE_INDEX", replace="chosen = y > 0"),
    Edit("loss averaged within each row, then over the rows",
         find="return -(chosen.where(picked, 0.0)).sum() / chosen.sum().maximum(1).cast(flat.dtype)",
         replace="""per_row = chosen.where(picked, 0.0).reshape(labels.shape).sum(-1)
    count = chosen.reshape(labels.shape).sum(-1)
    return -(per_row / count.maximum(1).cast(flat.dtype)).sum() / (count > 0).sum().maximum(1).cast(flat.dtype)"""),
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
    Edit("80/10/10 drawn only at the chosen positions", find="""    action = rng.random(ids.shape)
    random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)""",
         replace="""    action = np.ones(ids.shape)
    action[chosen] = rng.random(int(chosen.sum()))
    random_ids = np.zeros(ids.shape, np.int64)
    random_ids[chosen] = rng.integers(N_SPECIAL, vocab_size, size=int(chosen.sum()))"""),
    Edit("padding hidden by a large negative score instead of -inf",
         find='att = keep.where(scores, float("-inf")).softmax(-1)',
         replace="att = (scores - (1 - keep.float()) * 1e9).softmax(-1)"),
    Edit("pack row by row with a list and one conversion",
         find="""        rows = np.full((len(texts), length), PAD, dtype=np.int32)
        for r, text in enumerate(texts):
            ids = [CLS] + self.encode(text)[:length - 2] + [SEP]
            rows[r, :len(ids)] = ids
        return rows""", replace="""        out = []
        for text in texts:
            ids = ([CLS] + self.encode(text))[:length - 1] + [SEP]
            out.append(ids + [PAD] * (length - len(ids)))
        return np.array(out, dtype=np.int32).reshape(len(texts), length)"""),
    Edit("80/10/10 by two draws: [MASK] with 0.8, then half of the rest random",
         find="""    action = rng.random(ids.shape)
    random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)
    inputs = ids.astype(np.int32).copy()
    inputs[chosen & (action < 0.8)] = MASK
    swap = chosen & (action >= 0.8) & (action < 0.9)""",
         replace="""    to_mask = chosen & (rng.random(ids.shape) < 0.8)
    swap = chosen & ~to_mask & (rng.random(ids.shape) < 0.5)
    random_ids = rng.integers(N_SPECIAL, vocab_size, size=ids.shape)
    inputs = ids.astype(np.int32).copy()
    inputs[to_mask] = MASK"""),
    Edit("position embeddings as the first T rows of the table",
         find="x = self.tok_emb(ids) + self.pos_emb(Tensor.arange(T).reshape(1, T))",
         replace="x = self.tok_emb(ids) + self.pos_emb.weight[:T]"),
]
