"""Mutants and alternatives for Exercise 3.3 (NeuralNetwork)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("bias gradient not summed over the batch", find="gW[i], gb[i] = hs[i].T @ dout, dout.sum(axis=0)", replace="gW[i], gb[i] = hs[i].T @ dout, dout.mean(axis=0)"),
    Edit("sigmoid derivative written as a(1 + a)", find="        return a * (1 - a)", replace="        return a * (1 + a)"),
    Edit("missing 1/N in the output gradient", find="        dout = p / len(y)", replace="        dout = p"),
    Edit("activation derivative at the wrong layer", find="* self._act_grad(zs[i - 1], hs[i])", replace="* self._act_grad(zs[i], hs[i])"),
    Edit("tanh derivative written as 1 - a", find="            return 1 - a * a", replace="            return 1 - a"),
    Edit("activation applied to the output layer", find="h = self._act(z) if i < len(self.weights) - 1 else z", replace="h = self._act(z)"),
    Edit("same permutation every epoch", find="            order, losses = rng.permutation(len(X)), []", replace="            order, losses = np.random.default_rng(seed).permutation(len(X)), []"),
    Edit("relu derivative 1 at exactly zero", find="            return (z > 0).astype(z.dtype)", replace="            return (z >= 0).astype(z.dtype)"),
    Edit("backward's softmax without the max-shift", find="        p = np.exp(logits - logits.max(axis=1, keepdims=True))", replace="        p = np.exp(logits)"),
    Edit("max-shift done in place on the cached logits (edits what forward returned)",
         find="        p = np.exp(logits - logits.max(axis=1, keepdims=True))\n",
         replace="        logits -= logits.max(axis=1, keepdims=True)\n        p = np.exp(logits)\n"),
    Edit("last, smaller batch of each epoch dropped", find="for start in range(0, len(X), batch_size):",
         replace="for start in range(0, len(X) - batch_size + 1, batch_size):"),
    Edit("epoch loss recorded after each update", find="""                losses.append(self.loss(X[idx], y[idx]))
                gW, gb = self.backward(y[idx])
                for W, b, dW, db in zip(self.weights, self.biases, gW, gb):
                    W -= lr * dW
                    b -= lr * db""", replace="""                self.forward(X[idx])
                gW, gb = self.backward(y[idx])
                for W, b, dW, db in zip(self.weights, self.biases, gW, gb):
                    W -= lr * dW
                    b -= lr * db
                losses.append(self.loss(X[idx], y[idx]))"""),
    Edit("loss as the log of clipped softmax probabilities", find="""\
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))""", replace="""\
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        logp = np.log(np.clip(e / e.sum(axis=1, keepdims=True), 1e-12, None))"""),
    Edit("unknown activation silently treated as sigmoid", find="""        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
""", replace=""),
    Edit("one permutation drawn for all epochs", find="""        for _ in range(epochs):
            order, losses = rng.permutation(len(X)), []""", replace="""        perm = rng.permutation(len(X))
        for _ in range(epochs):
            order, losses = perm, []"""),
    Edit("epoch loss weighted by batch size (a mean over examples, not over batches)",
         find="            history.append(float(np.mean(losses)))",
         replace="            sizes = [len(order[s:s + batch_size]) for s in range(0, len(X), batch_size)]\n"
                 "            history.append(float(np.average(losses, weights=sizes)))"),
    Edit("loss max-shift over the whole batch (rows far below the batch max underflow to log 0)",
         find="        shifted = logits - logits.max(axis=1, keepdims=True)",
         replace="        shifted = logits - logits.max()"),
    Edit("backward's softmax max-shift over the whole batch (0/0 for rows far below it)",
         find="        p = np.exp(logits - logits.max(axis=1, keepdims=True))",
         replace="        p = np.exp(logits - logits.max())"),
    Edit("caller's X and y shuffled in place each epoch",
         find="            order, losses = rng.permutation(len(X)), []",
         replace="            order, losses = rng.permutation(len(X)), []\n"
                 "            X[:], y[:] = X[order], y[order]\n"
                 "            order = np.arange(len(X))"),
    Edit("all biases are views of one shared zero array",
         find="        self.biases = [np.zeros(n_out) for n_out in layer_sizes[1:]]",
         replace="        zero = np.zeros(max(layer_sizes))\n"
                 "        self.biases = [zero[:n_out] for n_out in layer_sizes[1:]]"),
    Edit("shuffling generator kept on the network (a later train call ignores its seed)",
         find="        rng, history = np.random.default_rng(seed), []",
         replace="        if not hasattr(self, '_rng'):\n            self._rng = np.random.default_rng(seed)\n"
                 "        rng, history = self._rng, []"),
]

ALTERNATIVES = [
    Edit("gradient of the output through a one-hot matrix",
         find="        p[np.arange(len(y)), y] -= 1\n        dout = p / len(y)",
         replace="        dout = (p - np.eye(p.shape[1])[y]) / len(y)"),
    Edit("act' applied at the top of each hidden layer's step", find="""\
            gW[i], gb[i] = hs[i].T @ dout, dout.sum(axis=0)
            if i > 0:
                dout = (dout @ self.weights[i].T) * self._act_grad(zs[i - 1], hs[i])""", replace="""\
            if i < len(self.weights) - 1:
                dout = dout * self._act_grad(zs[i], hs[i + 1])
            gW[i], gb[i] = hs[i].T @ dout, dout.sum(axis=0)
            dout = dout @ self.weights[i].T"""),
    Edit("shuffled index array; weight lists rebuilt after each batch",
         find="            order, losses = rng.permutation(len(X)), []",
         replace="            order, losses = np.arange(len(X)), []\n            rng.shuffle(order)",
         then=Edit("rebuild", find="""                for W, b, dW, db in zip(self.weights, self.biases, gW, gb):
                    W -= lr * dW
                    b -= lr * db""", replace="""\
                self.weights = [W - lr * dW for W, dW in zip(self.weights, gW)]
                self.biases = [b - lr * db for b, db in zip(self.biases, gb)]""")),
    Edit("scaled standard normals; sigmoid as 1 / (1 + exp(-z))",
         find="rng.normal(0.0, np.sqrt(gain / n_in), size=(n_in, n_out))",
         replace="rng.standard_normal((n_in, n_out)) * np.sqrt(gain / n_in)",
         then=Edit("sigmoid", find="return 0.5 * (1 + np.tanh(0.5 * z))", replace="return 1 / (1 + np.exp(-z))")),
    Edit("relu derivative read off the activation (a > 0)", find="            return (z > 0).astype(z.dtype)",
         replace="            return (a > 0).astype(a.dtype)"),
    Edit("log-softmax by np.logaddexp.reduce over each row; relu' as a boolean mask",
         find="""        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))""",
         replace="        logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)",
         then=Edit("bool", find="            return (z > 0).astype(z.dtype)", replace="            return z > 0")),
]
