"""Mutants and alternatives for Exercise 4.1 (TinygradNN)."""
from grader.mutants import Edit

STEP = """        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
        return loss.realize(*optimizer.schedule_step())"""
PRED = ("        pred = model(Tensor(np.ascontiguousarray(X[start:start + batch_size], dtype=np.float32)))"
        ".argmax(axis=1).numpy()\n")
EVALUATE = ("    correct = 0\n    for start in range(0, len(X), batch_size):\n" + PRED
            + "        correct += int((pred == np.asarray(y[start:start + batch_size])).sum())\n"
            "    return correct / len(X)")

MUTANTS = [
    Edit("Kaiming scale 1/fan_in instead of 2/fan_in", find="math.sqrt(2.0 / n_in)", replace="math.sqrt(1.0 / n_in)"),
    Edit("Kaiming with fan-out", find="math.sqrt(2.0 / n_in)", replace="math.sqrt(2.0 / n_out)"),
    Edit("ReLU after the output layer too", find="            if k < len(self.weights) - 1:\n                x = x.relu()",
         replace="            x = x.relu()"),
    Edit("bias dropped in the forward pass", find="x = x @ w + b", replace="x = x @ w"),
    Edit("no zero_grad: gradients accumulate across steps", find="        optimizer.zero_grad()\n", replace=""),
    Edit("step without Context(TRAINING=1)", find="    @TinyJit\n    @Context(TRAINING=1)\n", replace="    @TinyJit\n"),
    Edit("summed instead of mean loss", find="loss = model(x).sparse_categorical_crossentropy(y).backward()",
         replace="loss = model(x).sparse_categorical_crossentropy(y, reduction=\"sum\").backward()"),
    Edit("evaluate divides by the number of batches' rows seen in full batches",
         find="    return correct / len(X)", replace="    return correct / (len(X) // batch_size * batch_size)"),
    Edit("weights drawn with NumPy in float64", find="(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in)).contiguous()",
         replace="Tensor(np.random.default_rng(0).normal(0.0, math.sqrt(2.0 / n_in), (n_in, n_out))).contiguous()"),
    Edit("step not wrapped in TinyJit (schedules the whole graph on every call)",
         find="    @TinyJit\n    @Context(TRAINING=1)\n", replace="    @Context(TRAINING=1)\n"),
    Edit("evaluate runs the whole set in one batch, ignoring batch_size", find=EVALUATE,
         replace="""    pred = model(Tensor(np.ascontiguousarray(X, dtype=np.float32))).argmax(axis=1).numpy()
    return float((pred == np.asarray(y)).mean())"""),
    Edit("Tensor.manual_seed inside __init__ (the caller's seed is ignored)",
         find="        self.weights = [(Tensor.randn",
         replace="        Tensor.manual_seed(0)\n        self.weights = [(Tensor.randn"),
    Edit("tinygrad's Tensor.kaiming_normal on (n_in, n_out) (its fan-in is shape[1])",
         find="(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in)).contiguous()",
         replace="Tensor.kaiming_normal(n_in, n_out).contiguous()"),
    Edit("step returns the lazy loss after optimizer.step() (realized after the update)", find=STEP,
         replace="""        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y)
        loss.backward()
        optimizer.step()
        return loss"""),
    Edit("evaluate averages the per-batch accuracies (ragged last batch over-weighted)", find=EVALUATE,
         replace="    accs = []\n    for start in range(0, len(X), batch_size):\n" + PRED
                 + "        accs.append(float((pred == np.asarray(y[start:start + batch_size])).mean()))\n"
                 "    return float(np.mean(accs))"),
    Edit("biases of shape (1, d_k) (broadcast in the forward pass, wrong parameter shape)",
         find="        self.biases = [Tensor.zeros(n_out).contiguous() for n_out in self.sizes[1:]]",
         replace="        self.biases = [Tensor.zeros(1, n_out).contiguous() for n_out in self.sizes[1:]]"),
]

ALTERNATIVES = [
    Edit("Kaiming-uniform with the same variance (bound sqrt(6 / fan_in))",
         find="(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in))",
         replace="(Tensor.uniform(n_in, n_out, low=-1.0, high=1.0) * math.sqrt(6.0 / n_in))"),
    Edit("forward with an explicit layer list and linear()", find="""        x = x.flatten(1)
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if k < len(self.weights) - 1:
                x = x.relu()
        return x""", replace="""        x = x.reshape(x.shape[0], -1)
        *hidden, (w_out, b_out) = list(zip(self.weights, self.biases))
        for w, b in hidden:
            x = x.linear(w, b).relu()
        return x.linear(w_out, b_out)"""),
    Edit("step that realizes the loss, then calls optimizer.step()", find="        return loss.realize(*optimizer.schedule_step())",
         replace="        loss.realize()\n        optimizer.step()\n        return loss"),
    Edit("zero_grad after the update; loss from one-hot cross_entropy; Tensor.normal", find=STEP,
         replace="""        loss = model(x).cross_entropy(y.one_hot(model.sizes[-1])).backward()
        loss.realize(*optimizer.schedule_step())
        optimizer.zero_grad()
        return loss""",
         then=Edit("", find="(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in)).contiguous()",
                   replace="Tensor.normal(n_in, n_out, mean=0.0, std=math.sqrt(2.0 / n_in)).contiguous()")),
    Edit("evaluate counts hits on the device", find=EVALUATE,
         replace="""    hits = 0
    for start in range(0, len(X), batch_size):
        xb = Tensor(X[start:start + batch_size].astype(np.float32))
        yb = Tensor(np.asarray(y[start:start + batch_size]).astype(np.int32))
        hits += (model(xb).argmax(axis=1) == yb).sum().item()
    return float(hits) / len(X)"""),
    Edit("weights drawn as (d_k, d_{k-1}) and transposed; input flattened by reshape",
         find="        self.weights = [(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in)).contiguous()",
         replace="        self.weights = [(Tensor.randn(n_out, n_in).T * math.sqrt(2.0 / n_in)).contiguous()",
         then=Edit("reshape", find="        x = x.flatten(1)\n",
                   replace="        x = x.reshape(x.shape[0], self.sizes[0])\n")),
]
