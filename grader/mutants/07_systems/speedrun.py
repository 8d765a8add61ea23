"""Mutants and alternatives for Exercise 7.5 (the training speedrun: same maths, faster)."""
from grader.mutants import Edit

LOSS = "        loss = h.sparse_categorical_crossentropy(y)\n"
UPDATE = "        return loss.realize(*[w.assign(w - lr * g) for w, g in zip(weights, grads)])\n"
BIND = "        at = start.bind(t * batch_size % n)\n"
RELU = "            if k + 2 < len(weights):\n                h = h.relu()\n"
JIT = "    @TinyJit\n    def step(x: Tensor, y: Tensor) -> Tensor:\n"
FEED = "        losses[t] = step(X_dev[at:at + batch_size], Y_dev[at:at + batch_size]).item()\n"
RETURN = "    return losses, [w.numpy().astype(np.float32) for w in weights]\n"

MUTANTS = [
    Edit("summed loss instead of the batch mean (lr effectively times B)", find=LOSS,
         replace="        loss = h.sparse_categorical_crossentropy(y, reduction=\"sum\")\n"),
    Edit("learning rate scaled by the batch size", find=UPDATE,
         replace=UPDATE.replace("w - lr * g", "w - lr * batch_size * g")),
    Edit("mean over every logit (B * C) instead of over the rows", find=LOSS,
         replace="        loss = -(h.log_softmax(axis=1) * y.one_hot(h.shape[1])).mean()\n"),
    Edit("label smoothing added", find=LOSS,
         replace="        loss = h.sparse_categorical_crossentropy(y, label_smoothing=0.1)\n"),
    Edit("float16 data and weights (a 'faster' dtype that changes the values)",
         find="    X_dev = Tensor(np.concatenate([X, X[:batch_size - 1]])).realize()\n",
         replace="    X_dev = Tensor(np.concatenate([X, X[:batch_size - 1]]).astype(np.float16)).realize()\n",
         then=Edit("", find="    weights = [Tensor(p).contiguous().realize() for p in params]\n",
                   replace="    weights = [Tensor(p.astype(np.float16)).contiguous().realize() for p in params]\n")),
    Edit("last partial batch skipped: whole batches only, then back to row 0", find=BIND,
         replace="        at = start.bind(t % (n // batch_size) * batch_size)\n"),
    Edit("a batch that would cross the end starts at row 0 instead", find=BIND,
         replace="        at = start.bind(t * batch_size % n if t * batch_size % n + batch_size <= n else 0)\n"),
    Edit("rows shuffled once per call", find="    n = len(X)\n",
         replace="    n = len(X)\n    order = np.random.default_rng(0).permutation(n)\n    X, Y = X[order], Y[order]\n"),
    Edit("first batch skipped (step t uses batch t + 1)", find=BIND,
         replace="        at = start.bind((t + 1) * batch_size % n)\n"),
    Edit("one TinyJit step kept at module level and reused by later calls", find=JIT,
         replace="    @_reused_jit\n    def step(x: Tensor, y: Tensor) -> Tensor:\n",
         then=Edit("", find="def _checked(",
                   replace="_JIT = []\n\n\ndef _reused_jit(fn):\n    if not _JIT:\n        _JIT.append(TinyJit(fn))\n"
                           "    return _JIT[0]\n\n\ndef _checked(")),
    Edit("data copied to the device once per shape and reused by later calls",
         find="    X_dev = Tensor(np.concatenate([X, X[:batch_size - 1]])).realize()\n"
              "    Y_dev = Tensor(np.concatenate([Y, Y[:batch_size - 1]])).realize()\n",
         replace="    key = (X.shape, batch_size)\n    if key not in _DATA:\n"
                 "        _DATA[key] = (Tensor(np.concatenate([X, X[:batch_size - 1]])).realize(),\n"
                 "                      Tensor(np.concatenate([Y, Y[:batch_size - 1]])).realize())\n"
                 "    X_dev, Y_dev = _DATA[key]\n",
         then=Edit("", find="def _checked(", replace="_DATA = {}\n\n\ndef _checked(")),
    Edit("loss realized after the update (it sees the new weights)", find=UPDATE,
         replace="        Tensor.realize(*[w.assign(w - lr * g) for w, g in zip(weights, grads)])\n        return loss\n"),
    Edit("biases never updated", find=UPDATE,
         replace="        updates = [w.assign(w - lr * g) for w, g in zip(weights[::2], grads[::2])]\n"
                 "        return loss.realize(*updates)\n"),
    Edit("ReLU after the last layer too", find=RELU, replace="            h = h.relu()\n"),
    Edit("no ReLU between the layers", find=RELU, replace=""),
    Edit("the caller's parameter arrays overwritten with the trained ones", find=RETURN,
         replace="    for p, w in zip(params, weights):\n        p[...] = w.numpy()\n    return losses, params\n"),
    Edit("losses returned as float64", find="    losses = np.empty(steps, dtype=np.float32)\n",
         replace="    losses = np.empty(steps)\n"),
    Edit("no input validation (only the conversions of _checked)",
         find="    X, Y, params, steps, batch_size, lr = _checked(X, Y, params, steps, batch_size, lr)\n",
         replace="    X, Y = np.asarray(X, dtype=np.float32), np.asarray(Y, dtype=np.int32)\n"
                 "    params = [np.asarray(p, dtype=np.float32) for p in params]\n"),
    Edit("backward() into .grad, never cleared (gradients pile up across steps)",
         find="        grads = loss.gradient(*weights)\n",
         replace="        loss.backward()\n        grads = [w.grad for w in weights]\n"),
    Edit("batches that cross the end padded with zero rows instead of the first rows",
         find="    X_dev = Tensor(np.concatenate([X, X[:batch_size - 1]])).realize()\n",
         replace="    X_dev = Tensor(np.concatenate([X, np.zeros_like(X[:batch_size - 1])])).realize()\n"),
    Edit("batch offset as a plain int (the captured step expects its first views)", find=BIND,
         replace="        at = t * batch_size % n\n"),
    Edit("hand-written softmax cross-entropy without the max shift (exp overflows for large logits)", find=LOSS,
         replace="        e = h.exp()\n        p = e / e.sum(axis=1, keepdim=True)\n"
                 "        loss = -(p.log() * y.one_hot(h.shape[1])).sum(axis=1).mean()\n"),
    Edit("log-softmax as h - log(sum(exp(h))) without the max shift", find=LOSS,
         replace="        logp = h - h.exp().sum(axis=1, keepdim=True).log()\n"
                 "        loss = -(logp * y.one_hot(h.shape[1])).sum(axis=1).mean()\n"),
    Edit("updates realized one by one (later gradients read already updated weights)", find=UPDATE,
         replace="        loss.realize()\n        for w, g in zip(weights, grads):\n"
                 "            w.assign(w - lr * g).realize()\n        return loss\n"),
    Edit("loss tensors kept and read after the loop (TinyJit reuses the output buffer)", find=FEED,
         replace="        outs.append(step(X_dev[at:at + batch_size], Y_dev[at:at + batch_size]))\n",
         then=Edit("", find="    return losses, [w.numpy()",
                   replace="    losses[:] = [o.item() for o in outs]\n    return losses, [w.numpy()",
                   then=Edit("", find="    losses = np.empty(steps, dtype=np.float32)\n",
                             replace="    losses = np.empty(steps, dtype=np.float32)\n    outs = []\n"))),
]

ALTERNATIVES = [
    Edit("cross-entropy as -log of the softmax picked by a gather", find=LOSS,
         replace="        loss = -(h.softmax(axis=1).gather(1, y.unsqueeze(1)).log()).mean()\n"),
    Edit("backward() into .grad, cleared before every step", find="        grads = loss.gradient(*weights)\n",
         replace="        for w in weights:\n            w.grad = None\n"
                 "        loss.backward()\n        grads = [w.grad for w in weights]\n"),
    Edit("the bound offset passed to the step, which slices the device data itself", find=JIT + "        h = x\n",
         replace="    @TinyJit\n    def step(at) -> Tensor:\n"
                 "        x, y = X_dev[at:at + batch_size], Y_dev[at:at + batch_size]\n        h = x\n",
         then=Edit("", find=FEED, replace="        losses[t] = step(at).item()\n")),
    Edit("tinygrad's SGD optimizer inside the TinyJit step", find=JIT + "        h = x\n",
         replace="    from tinygrad import Context\n    from tinygrad.nn.optim import SGD\n"
                 "    opt = SGD(weights, lr=lr)\n\n" + JIT + "        h = x\n",
         then=Edit("", find="        grads = loss.gradient(*weights)\n" + UPDATE,
                   replace="        with Context(TRAINING=1):\n            opt.zero_grad()\n            loss.backward()\n"
                           "            return loss.realize(*opt.schedule_step())\n")),
    Edit("rows gathered on the device by an index tensor (no padding)",
         find=JIT + "        h = x\n",
         replace="    @TinyJit\n    def step(rows: Tensor) -> Tensor:\n"
                 "        x, y = X_all[rows], Y_all[rows]\n        h = x\n",
         then=Edit("", find=FEED,
                   replace="        rows = Tensor(((t * batch_size + np.arange(batch_size)) % n).astype(np.int32))\n"
                           "        losses[t] = step(rows.realize()).item()\n",
                   then=Edit("", find="    weights = [",
                             replace="    X_all, Y_all = Tensor(X).realize(), Tensor(Y).realize()\n    weights = ["))),
    Edit("batched float32 without TinyJit (correct, only slower)", find=JIT,
         replace="    def step(x: Tensor, y: Tensor) -> Tensor:\n"),
    Edit("log-softmax written out with the row maximum taken out first", find=LOSS,
         replace="        z = h - h.max(axis=1, keepdim=True)\n"
                 "        logp = z - z.exp().sum(axis=1, keepdim=True).log()\n"
                 "        loss = -(logp * y.one_hot(h.shape[1])).sum(axis=1).mean()\n"),
    Edit("device data padded with a whole second copy of the rows",
         find="    X_dev = Tensor(np.concatenate([X, X[:batch_size - 1]])).realize()\n"
              "    Y_dev = Tensor(np.concatenate([Y, Y[:batch_size - 1]])).realize()\n",
         replace="    X_dev = Tensor(np.concatenate([X, X])).realize()\n"
                 "    Y_dev = Tensor(np.concatenate([Y, Y])).realize()\n"),
    Edit("cross-entropy written with log_softmax and one_hot", find=LOSS,
         replace="        loss = -(h.log_softmax(axis=1) * y.one_hot(h.shape[1])).sum(axis=1).mean()\n"),
]
