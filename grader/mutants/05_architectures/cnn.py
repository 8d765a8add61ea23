"""Mutants and alternatives for Exercise 5.2 (MnistCNN)."""
from grader.mutants import Edit

FORWARD_TAIL = "        return self.fc(x.flatten(1).dropout(self.dropout))"

MUTANTS = [
    Edit("dropout left on at inference (a mask drawn on every call)", find=FORWARD_TAIL,
         replace="        x = x.flatten(1)\n"
                 "        return self.fc((Tensor.rand(*x.shape) >= self.dropout).where(x, 0) / (1 - self.dropout))"),
    Edit("dropout without rescaling the survivors", find=FORWARD_TAIL,
         replace="        x = x.flatten(1)\n"
                 "        from tinygrad.helpers import TRAINING\n"
                 "        if TRAINING.value:\n"
                 "            x = (Tensor.rand(*x.shape) >= self.dropout).where(x, 0)\n"
                 "        return self.fc(x)"),
    Edit("BatchNorm always normalises with the statistics of the batch it sees",
         find="self.conv1, self.bn1 = nn.Conv2d(1, c1, 5), nn.BatchNorm(c1)",
         replace="self.conv1, self.bn1 = nn.Conv2d(1, c1, 5), nn.BatchNorm(c1, track_running_stats=False)"),
    Edit("evaluate runs in training mode (batch statistics, dropout, running averages moved)",
         find="    with Context(TRAINING=0):", replace="    with Context(TRAINING=1):"),
    Edit("ReLU before BatchNorm in the second block",
         find="x = self.bn2(self.conv2(x)).relu().max_pool2d(2)", replace="x = self.bn2(self.conv2(x).relu()).max_pool2d(2)"),
    Edit("step without Context(TRAINING=1)", find="    @TinyJit\n    @Context(TRAINING=1)\n", replace="    @TinyJit\n"),
    Edit("no zero_grad: stale gradients are added to the new ones", find="        optimizer.zero_grad()\n", replace=""),
    Edit("evaluate drops the last, partial batch",
         find="for start in range(0, len(X), batch_size):", replace="for start in range(0, len(X) - batch_size + 1, batch_size):"),
    Edit("confusion matrix transposed (rows are predictions)",
         find="flat = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)",
         replace="flat = y_pred.astype(np.int64) * n_classes + y_true.astype(np.int64)"),
    Edit("confusion matrix sized by the labels that occur",
         find="    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes).astype(np.int64)",
         replace="    n = int(max(y_true.max(), y_pred.max())) + 1\n"
                 "    flat = y_true.astype(np.int64) * n + y_pred.astype(np.int64)\n"
                 "    return np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.int64)"),
    Edit("filters normalised with the minimum and maximum of all filters together",
         find="    axes = tuple(range(1, w.ndim))\n    lo, hi = w.min(axis=axes, keepdims=True), w.max(axis=axes, keepdims=True)",
         replace="    lo, hi = w.min(), w.max()"),
    Edit("a constant filter divides by zero (NaN)",
         find="    return np.where(span > 0, (w - lo) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)",
         replace="    with np.errstate(invalid=\"ignore\", divide=\"ignore\"):\n"
                 "        return ((w - lo) / span).astype(np.float32)"),
    Edit("dropout applied to the logits instead of the features", find=FORWARD_TAIL,
         replace="        return self.fc(x.flatten(1)).dropout(self.dropout)"),
    Edit("head built for 10 classes whatever n_classes says",
         find="self.fc = nn.Linear(16 * c2, self.n_classes)", replace="self.fc = nn.Linear(16 * c2, 10)"),
    Edit("dropout drops whole channels (one draw per channel, not per feature)", find=FORWARD_TAIL,
         replace="        from tinygrad.helpers import TRAINING\n"
                 "        if TRAINING.value and self.dropout > 0:\n"
                 "            keep = (Tensor.rand(x.shape[0], x.shape[1], 1, 1) >= self.dropout)\n"
                 "            x = keep.where(x, 0) / (1 - self.dropout)\n"
                 "        return self.fc(x.flatten(1))"),
    Edit("evaluate keeps one module-level TinyJit (replays the first model it saw)",
         find="""    @TinyJit
    def predict(x: Tensor) -> Tensor:
        return model(x).argmax(axis=1).realize()
""", replace="""    global _PREDICT
    if "_PREDICT" not in globals():
        _PREDICT = TinyJit(lambda x: model(x).argmax(axis=1).realize())
    predict = _PREDICT
"""),
    Edit("dropout re-seeded on every call (the same masks every step)", find=FORWARD_TAIL,
         replace="        Tensor.manual_seed(0)\n" + FORWARD_TAIL),
    Edit("loss realized after optimizer.step() (the step returns the loss of the updated weights)",
         find="        return loss.realize(*optimizer.schedule_step())",
         replace="        optimizer.step()\n        return loss.realize()"),
    Edit("dropout after the first block instead of before the head",
         find="x = self.bn1(self.conv1(x)).relu().max_pool2d(2)",
         replace="x = self.bn1(self.conv1(x)).relu().max_pool2d(2).dropout(self.dropout)",
         then=Edit("(no dropout before the head)", find=FORWARD_TAIL, replace="        return self.fc(x.flatten(1))")),
]

ALTERNATIVES = [
    Edit("max-pool before ReLU (the two commute: ReLU is monotone)",
         find="x = self.bn1(self.conv1(x)).relu().max_pool2d(2)", replace="x = self.bn1(self.conv1(x)).max_pool2d(2).relu()"),
    Edit("confusion matrix counted with np.add.at",
         find="    flat = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)\n"
              "    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes).astype(np.int64)",
         replace="    counts = np.zeros((n_classes, n_classes), dtype=np.int64)\n"
                 "    np.add.at(counts, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)\n"
                 "    return counts"),
    Edit("evaluate without padding: the last batch runs at its own size, outside the JIT",
         find="""            padded = np.zeros((batch_size, *X.shape[1:]), np.float32)
            padded[:len(part)] = part
            pred = predict(Tensor(padded)).numpy()[:len(part)]""",
         replace="""            run = predict if len(part) == batch_size else (lambda t: model(t).argmax(axis=1))
            pred = run(Tensor(part)).numpy()"""),
    Edit("step that realizes the loss, then calls optimizer.step()",
         find="        return loss.realize(*optimizer.schedule_step())", replace="        loss.realize()\n        optimizer.step()\n        return loss"),
    Edit("dropout on the (N, C2, 4, 4) map before flatten (elementwise: the same features)", find=FORWARD_TAIL,
         replace="        return self.fc(x.dropout(self.dropout).flatten(1))"),
    Edit("step with the training context inside the jitted function and a one-hot cross-entropy",
         find="""    @TinyJit
    @Context(TRAINING=1)
    def step(x: Tensor, y: Tensor) -> Tensor:
        optimizer.zero_grad()
        loss = model(x).sparse_categorical_crossentropy(y).backward()
        return loss.realize(*optimizer.schedule_step())""",
         replace="""    @TinyJit
    def step(x: Tensor, y: Tensor) -> Tensor:
        with Context(TRAINING=1):
            optimizer.zero_grad()
            loss = model(x).cross_entropy(y.one_hot(model.n_classes))
            loss.backward()
            loss.realize()
            optimizer.step()
        return loss"""),
    Edit("normalize_filters with a loop over filters",
         find="""    axes = tuple(range(1, w.ndim))
    lo, hi = w.min(axis=axes, keepdims=True), w.max(axis=axes, keepdims=True)
    span = hi - lo
    return np.where(span > 0, (w - lo) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)""",
         replace="""    out = np.zeros(w.shape, np.float32)
    for f in range(len(w)):
        lo, hi = w[f].min(), w[f].max()
        if hi > lo:
            out[f] = (w[f] - lo) / (hi - lo)
    return out"""),
]
