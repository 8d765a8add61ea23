"""Mutants and alternatives for Exercise 5.5 (Seq2Seq with teacher forcing)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("decoder input not shifted: it holds the answer it must predict",
         find="decoder_input = np.concatenate([np.full((n, 1), BOS, np.int32), target[:, :-1]], axis=1)",
         replace="decoder_input = target.copy()"),
    Edit("target not reversed", find="target = np.ascontiguousarray(source[:, ::-1])",
         replace="target = source.copy()"),
    Edit("decoder input shifted the wrong way (BOS last)",
         find="decoder_input = np.concatenate([np.full((n, 1), BOS, np.int32), target[:, :-1]], axis=1)",
         replace="decoder_input = np.concatenate([target[:, 1:], np.full((n, 1), BOS, np.int32)], axis=1)"),
    Edit("digits drawn from NumPy's global generator", find="source = rng.integers(0, DIGITS, size=(n, length)).astype(np.int32)",
         replace="source = np.random.randint(0, DIGITS, size=(n, length)).astype(np.int32)"),
    Edit("encoder's final state not passed to the decoder", find="""        hc = self.encode(source)
        x = self.embedding(decoder_input)""", replace="""        self.encode(source)
        hc = (Tensor.zeros(source.shape[0], self.hidden), Tensor.zeros(source.shape[0], self.hidden))
        x = self.embedding(decoder_input)"""),
    Edit("encoder state not carried from step to step", find="""            h, c = self.encoder(x[:, t], hc)
            hc = (materialize(h), materialize(c))
        return hc""", replace="""            h, c = self.encoder(x[:, t], (Tensor.zeros(N, self.hidden), Tensor.zeros(N, self.hidden)))
            hc = (materialize(h), materialize(c))
        return hc"""),
    Edit("greedy decoding fed the true answer (teacher forcing at test time)", find="""        hc = self.encode(source)
        token = Tensor.full((source.shape[0],), BOS, dtype=dtypes.int32)""", replace="""        truth = source.flip(1)
        feed = Tensor.full((source.shape[0], 1), BOS, dtype=dtypes.int32).cat(truth[:, :length - 1].cast(dtypes.int32), dim=1)
        return self(source, feed).argmax(axis=-1).cast(dtypes.int32)
        hc = self.encode(source)
        token = Tensor.full((source.shape[0],), BOS, dtype=dtypes.int32)"""),
    Edit("greedy decoding feeds BOS at every step", find="""            token = self.head(hc[0]).argmax(axis=-1).cast(dtypes.int32)
            out.append(token)""", replace="""            out.append(self.head(hc[0]).argmax(axis=-1).cast(dtypes.int32))"""),
    Edit("greedy argmax over the batch axis", find="token = self.head(hc[0]).argmax(axis=-1).cast(dtypes.int32)",
         replace="token = self.head(hc[0]).argmax(axis=0).cast(dtypes.int32)"),
    Edit("greedy decoder started from zeros", find="""        hc = self.encode(source)
        token = Tensor.full""", replace="""        hc = (Tensor.zeros(source.shape[0], self.hidden), Tensor.zeros(source.shape[0], self.hidden))
        token = Tensor.full"""),
    Edit("loss ignores digit 0 as if it were padding",
         find="sparse_categorical_crossentropy(target.reshape(-1))",
         replace="sparse_categorical_crossentropy(target.reshape(-1), ignore_index=0)"),
    Edit("loss summed instead of averaged over tokens",
         find="sparse_categorical_crossentropy(target.reshape(-1))",
         replace="sparse_categorical_crossentropy(target.reshape(-1), reduction=\"sum\")"),
    Edit("loss one-hots with the module constant VOCAB, not logits.shape[-1]",
         find="    return logits.reshape(-1, logits.shape[-1]).sparse_categorical_crossentropy(target.reshape(-1))",
         replace="    return -(logits.log_softmax(axis=-1) * target.one_hot(VOCAB)).sum(axis=-1).mean()"),
    Edit("decoder starts from the encoder's h with a zero cell state",
         find="""        hc = self.encode(source)
        x = self.embedding(decoder_input)""",
         replace="""        hc = (self.encode(source)[0], Tensor.zeros(source.shape[0], self.hidden))
        x = self.embedding(decoder_input)"""),
    Edit("encoder reads the source right to left (the source reversed twice)",
         find="            h, c = self.encoder(x[:, t], hc)",
         replace="            h, c = self.encoder(x[:, source.shape[1] - 1 - t], hc)"),
    Edit("encoder state kept on the model and carried into the next call",
         find="""        hc = (Tensor.zeros(N, self.hidden), Tensor.zeros(N, self.hidden))
        for t in range(source.shape[1]):""",
         replace="""        hc = getattr(self, "_state", None)
        hc = hc or (Tensor.zeros(N, self.hidden), Tensor.zeros(N, self.hidden))
        for t in range(source.shape[1]):""",
         then=Edit("(store the state)", find="""            hc = (materialize(h), materialize(c))
        return hc""", replace="""            hc = (materialize(h), materialize(c))
        self._state = hc
        return hc""")),
    Edit("greedy emits the BOS input as its first token",
         find="""        out = []
        for _ in range(length):""", replace="""        out = [token]
        for _ in range(length - 1):"""),
]

ALTERNATIVES = [
    Edit("greedy decoding per step in Python, realizing each token", find="""            token = self.head(hc[0]).argmax(axis=-1).cast(dtypes.int32)
            out.append(token)
        return Tensor.stack(*out, dim=1)""", replace="""            token = Tensor(self.head(hc[0]).numpy().argmax(axis=-1).astype(np.int32))
            out.append(token.numpy())
        return Tensor(np.stack(out, axis=1))"""),
    Edit("teacher forcing through one decoder loop with a one-hot embedding", find="""        hc = self.encode(source)
        x = self.embedding(decoder_input)""", replace="""        hc = self.encode(source)
        x = decoder_input.one_hot(self.vocab).float() @ self.embedding.weight"""),
    Edit("make_batch with flip and a column of BOS written into a copy", find="""    target = np.ascontiguousarray(source[:, ::-1])
    decoder_input = np.concatenate([np.full((n, 1), BOS, np.int32), target[:, :-1]], axis=1)""", replace="""    target = np.flip(source, axis=1).copy()
    decoder_input = np.empty_like(target)
    decoder_input[:, 0] = BOS
    decoder_input[:, 1:] = target[:, :-1]"""),
    Edit("sequence_loss from log_softmax and a one-hot of logits.shape[-1]",
         find="    return logits.reshape(-1, logits.shape[-1]).sparse_categorical_crossentropy(target.reshape(-1))",
         replace="    return -(logits.log_softmax(axis=-1) * target.one_hot(logits.shape[-1])).sum(axis=-1).mean()"),
    Edit("greedy by re-running the teacher-forced model on its own tokens so far",
         find="""        hc = self.encode(source)
        token = Tensor.full((source.shape[0],), BOS, dtype=dtypes.int32)""",
         replace="""        tokens = Tensor.full((source.shape[0], 1), BOS, dtype=dtypes.int32)
        for _ in range(length):
            nxt = self(source, tokens)[:, -1].argmax(axis=-1).cast(dtypes.int32)
            tokens = tokens.cat(nxt.reshape(-1, 1), dim=1)
        return tokens[:, 1:]
        hc = self.encode(source)
        token = Tensor.full((source.shape[0],), BOS, dtype=dtypes.int32)"""),
    Edit("make_batch draws a (length, n) block and transposes it (same law, other order)",
         find="source = rng.integers(0, DIGITS, size=(n, length)).astype(np.int32)",
         replace="source = np.ascontiguousarray(rng.integers(0, DIGITS, size=(length, n)).T).astype(np.int32)"),
]
