"""Mutants and alternatives for Exercise 3.6 (MNIST MLP glue)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("evaluate in training mode", find="        logits = forward(model, X[start:start + batch_size], training=False)",
         replace="        logits = forward(model, X[start:start + batch_size], training=True)"),
    Edit("cross-entropy gradient missing 1/N", find="    return float(-logp[np.arange(n), y].mean()), grad / n", replace="    return float(-logp[np.arange(n), y].mean()), grad"),
    Edit("backward runs the layers in forward order", find="    for layer in reversed(model):\n        dlogits = layer.backward(dlogits)",
         replace="    for layer in model:\n        dlogits = layer.backward(dlogits) if dlogits.shape[1] == layer.params.get('W', dlogits.T).shape[1] else dlogits"),
    Edit("momentum velocity not carried over", find="            state[(i, name)] = v\n", replace=""),
    Edit("cross-entropy without the max-shift", find="    shifted = logits - logits.max(axis=1, keepdims=True)", replace="    shifted = logits"),
    Edit("no BatchNorm in the model", find="            model += [layers.BatchNorm(sizes[i + 1], dtype=dtype), layers.ReLU(), layers.Dropout(dropout, seed=seed + 100 + i)]",
         replace="            model += [layers.ReLU(), layers.Dropout(dropout, seed=seed + 100 + i)]"),
    Edit("dtype not passed to BatchNorm", find="model += [layers.BatchNorm(sizes[i + 1], dtype=dtype), layers.ReLU()",
         replace="model += [layers.BatchNorm(sizes[i + 1]), layers.ReLU()"),
    Edit("gradient from an unshifted softmax", find="    grad = np.exp(logp)\n", replace="    grad = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"),
    Edit("batches in the original order (no shuffle)", find="    order, losses = np.random.default_rng(seed).permutation(len(X)), []",
         replace="    order, losses = np.arange(len(X)), []"),
]

ALTERNATIVES = [
    Edit("evaluate on the whole set at once",
         find="""    total_loss, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        logits = forward(model, X[start:start + batch_size], training=False)
        loss, _ = cross_entropy(logits, y[start:start + batch_size])
        total_loss += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[start:start + batch_size]).sum())
    return total_loss / len(X), correct / len(X)""",
         replace="""    logits = forward(model, X, training=False)
    return cross_entropy(logits, y)[0], float((logits.argmax(axis=1) == y).mean())"""),
]
