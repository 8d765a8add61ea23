"""Mutants and alternatives for Exercise 3.6 (MNIST MLP glue)."""
from grader.mutants import Edit

_DROPOUT = "layers.ReLU(), layers.Dropout(dropout, seed=seed + 100 + i)"
_STEP = """            v = momentum * state.get((i, name), 0.0) + layer.grads[name]
            state[(i, name)] = v
            p -= lr * v"""

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
    Edit("Dropout layers built without their seed", find=_DROPOUT, replace="layers.ReLU(), layers.Dropout(dropout)"),
    Edit("Dropout seeds collide with the Dense seeds", find=_DROPOUT,
         replace="layers.ReLU(), layers.Dropout(dropout, seed=seed + i)"),
    Edit("one Dropout object shared by every hidden layer", find="    model = []\n",
         replace="    model, drop = [], layers.Dropout(dropout, seed=seed + 100)\n",
         then=Edit("use it", find=_DROPOUT, replace="layers.ReLU(), drop")),
    Edit("cross-entropy shifts the caller's logits in place",
         find="    shifted = logits - logits.max(axis=1, keepdims=True)\n",
         replace="    logits -= logits.max(axis=1, keepdims=True)\n    shifted = logits\n"),
    Edit("velocity stored with lr folded in (v = mu v + lr g; p -= v)", find=_STEP, replace="""\
            v = momentum * state.get((i, name), 0.0) + lr * layer.grads[name]
            state[(i, name)] = v
            p -= v"""),
    Edit("velocities keyed by the parameter array's id", find=_STEP, replace="""\
            v = momentum * state.get(id(p), 0.0) + layer.grads[name]
            state[id(p)] = v
            p -= lr * v"""),
    Edit("momentum argument ignored (0.9 hard-coded)", find="v = momentum * state.get((i, name), 0.0)",
         replace="v = 0.9 * state.get((i, name), 0.0)"),
    Edit("epoch loss weighted by batch size", find="        losses.append(loss)",
         replace="        losses.extend([loss] * len(idx))"),
    Edit("sgd_step puts a new array in the params dict instead of updating in place", find="            p -= lr * v",
         replace="            layer.params[name] = p - lr * v"),
    Edit("evaluate weights every batch loss by batch_size (the last batch is smaller)",
         find="        total_loss += loss * len(logits)", replace="        total_loss += loss * batch_size"),
    Edit("velocities keyed by the index among layers with parameters (not the layer's index in the model)",
         find="    for i, layer in enumerate(model):",
         replace="    for i, layer in enumerate([la for la in model if la.params]):"),
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
    Edit("velocity arrays kept in the state and updated in place", find=_STEP, replace="""\
            v = state.setdefault((i, name), np.zeros_like(p))
            v *= momentum
            v += layer.grads[name]
            p -= lr * v"""),
    Edit("cross-entropy through a one-hot matrix", find="""    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), grad / n""", replace="""    onehot = np.eye(logits.shape[1])[y]
    return float(-(onehot * logp).sum() / n), (np.exp(logp) - onehot) / n"""),
    Edit("velocity from explicit zeros, update through np.subtract(out=p)",
         find="""            v = momentum * state.get((i, name), 0.0) + layer.grads[name]
            state[(i, name)] = v
            p -= lr * v""", replace="""            if (i, name) not in state:
                state[(i, name)] = np.zeros_like(p)
            v = momentum * state[(i, name)] + layer.grads[name]
            state[(i, name)] = v
            np.subtract(p, lr * v, out=p)"""),
]
