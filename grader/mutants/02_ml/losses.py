"""Mutants and alternatives for Exercise 2.1 (losses and regularization)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("mse gradient missing 1/N", find="return 2.0 * (y_pred - y_true) / y_pred.size",
         replace="return 2.0 * (y_pred - y_true)"),
    Edit("mse gradient missing the factor 2", find="return 2.0 * (y_pred - y_true) / y_pred.size",
         replace="return (y_pred - y_true) / y_pred.size"),
    Edit("cross-entropy averaged over the class axis instead of the samples",
         find="return float(-np.sum(t * log_softmax(logits)) / logits.shape[0])",
         replace="return float(-np.mean(np.sum(t * log_softmax(logits), axis=0)))"),
    Edit("cross-entropy gradient missing 1/N", find="return (softmax(logits) - t) / logits.shape[0]",
         replace="return softmax(logits) - t"),
    Edit("softmax without the max-shift",
         find="    shifted = z - z.max(axis=-1, keepdims=True)\n    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))",
         replace="    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))"),
    Edit("naive sigmoid that overflows", find="    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
         replace="    return 1.0 / (1.0 + np.exp(-z))"),
    Edit("BCE from logits via log(sigmoid)",
         find="return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))",
         replace="p = sigmoid(z)\n    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))"),
    Edit("BCE without clipping", find="    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)\n    y = np.asarray(y, dtype=np.float64)\n    return float(",
         replace="    p = np.asarray(p, dtype=np.float64)\n    y = np.asarray(y, dtype=np.float64)\n    return float("),
    Edit("L2 penalty without the 1/2", find="return float(0.5 * lam * np.sum(w * w))", replace="return float(lam * np.sum(w * w))"),
    Edit("L1 gradient with the wrong sign", find="return lam * np.sign(np.asarray(w, dtype=np.float64))",
         replace="return -lam * np.sign(np.asarray(w, dtype=np.float64))"),
    # extremes
    Edit("BCE gradient at the unclipped p (inf at p = 0 or 1)",
         find="""    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return (p - y)""", replace="""    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return (p - y)"""),
    Edit("BCE clips with a fixed 1e-7, ignoring eps",
         find="""    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return float(""", replace="""    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1.0 - 1e-7)
    y = np.asarray(y, dtype=np.float64)
    return float("""),
    Edit("log_softmax as the log of a (shifted) softmax", find="""    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))""", replace="""    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.log(e / e.sum(axis=-1, keepdims=True))"""),
    # dtypes
    Edit("mse gradient keeps float32",
         find="""    y_pred, y_true = np.asarray(y_pred, dtype=np.float64), np.asarray(y_true, dtype=np.float64)
    return 2.0""", replace="""    y_pred, y_true = np.asarray(y_pred), np.asarray(y_true)
    return 2.0"""),
    Edit("sigmoid keeps float32", find="""    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))""", replace="""    z = np.asarray(z)
    e = np.exp(-np.abs(z))"""),
    Edit("l2 gradient keeps the weights' dtype", find="    return lam * np.asarray(w, dtype=np.float64)",
         replace="    return lam * np.asarray(w)"),
    Edit("categorical cross-entropy returns a 0-d array", find="    return float(-np.sum(t * log_softmax(logits)) / logits.shape[0])",
         replace="    return np.asarray(-np.sum(t * log_softmax(logits)) / logits.shape[0])"),
    # state: the caller's arrays
    Edit("BCE clips the caller's p in place", find="""    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return float(""", replace="""    p = np.asarray(p, dtype=np.float64)
    np.clip(p, eps, 1.0 - eps, out=p)
    y = np.asarray(y, dtype=np.float64)
    return float("""),
    Edit("log_softmax shifts the caller's logits in place", find="""    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted""", replace="""    shifted = z
    shifted -= z.max(axis=-1, keepdims=True)
    return shifted"""),
    Edit("sigmoid of a Python scalar through math.exp", find="""    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))""", replace="""    if np.ndim(z) == 0:
        import math
        return np.float64(1.0 / (1.0 + math.exp(-z)))
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))"""),
    # shapes that broadcast silently
    Edit("mse without its shape check ((N,) against (N, 1) broadcasts to (N, N))",
         find="""    if y_pred.shape != y_true.shape:
        raise ValueError(f"shapes differ: y_pred {y_pred.shape}, y_true {y_true.shape}")
""", replace=""),
    Edit("cross-entropy gradient builds its own one-hot without checking the label shape",
         find="""    t = one_hot(labels, logits.shape)
    return (softmax(logits) - t) / logits.shape[0]""", replace="""    labels = np.asarray(labels)
    t = labels.astype(np.float64) if labels.ndim == 2 else np.eye(logits.shape[1])[labels]
    return (softmax(logits) - t) / logits.shape[0]"""),
    Edit("cross-entropy gradient by subtracting 1 at the argmax label (soft targets lost)",
         find="""    t = one_hot(labels, logits.shape)
    return (softmax(logits) - t) / logits.shape[0]""", replace="""    g = softmax(logits)
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    g[np.arange(len(g)), labels.astype(np.int64)] -= 1.0
    return g / logits.shape[0]"""),
    # stability
    Edit("sigmoid as np.where of the two forms, each computed on every z (exp overflows)",
         find="""    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))""",
         replace="""    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))"""),
    Edit("log_softmax shifted by the maximum of the whole array, not of each row",
         find="    shifted = z - z.max(axis=-1, keepdims=True)", replace="    shifted = z - z.max()"),
    # matrix norms where an entrywise sum is meant, and a sigmoid that underflows
    Edit("l1 penalty via np.linalg.norm(w, 1) (the matrix 1-norm for a 2-D w)",
         find="return float(lam * np.abs(np.asarray(w, dtype=np.float64)).sum())",
         replace="return float(lam * np.linalg.norm(np.asarray(w, dtype=np.float64), 1))"),
    Edit("l2 penalty via np.linalg.norm(w, 2) ** 2 (the spectral norm for a 2-D w)",
         find="return float(0.5 * lam * np.sum(w * w))", replace="return float(0.5 * lam * np.linalg.norm(w, 2) ** 2)"),
    Edit("sigmoid as 0.5 * (1 + tanh(z / 2)) (rounds tiny values to 0 for very negative z)",
         find="""    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))""",
         replace="""    return 0.5 * (1.0 + np.tanh(0.5 * z))"""),
    Edit("BCE gradient clips a float32 p in float32 (1 - 1e-12 rounds to 1: division by 0)",
         find="""    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return (p - y)""", replace="""    p = np.clip(np.asarray(p), eps, 1.0 - eps)
    y = np.asarray(y)
    return (p - y)"""),
    Edit("BCE clips a float32 p in float32 (log(1 - p) of p = 1)",
         find="""    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    y = np.asarray(y, dtype=np.float64)
    return float(""", replace="""    p = np.clip(np.asarray(p), eps, 1.0 - eps)
    y = np.asarray(y)
    return float("""),
]

ALTERNATIVES = [
    Edit("softmax normalised directly instead of through log_softmax", find="    return np.exp(log_softmax(z))",
         replace="    z = np.asarray(z, dtype=np.float64)\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)"),
    Edit("BCE from logits with logaddexp", find="return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))",
         replace="return float(np.mean(np.logaddexp(0.0, z) - z * y))"),
    Edit("mse with a loop", find="return float(np.mean((y_pred - y_true) ** 2))",
         replace="total = 0.0\n    for a, b in zip(y_pred.ravel(), y_true.ravel()):\n        total += (a - b) ** 2\n    return float(total / y_pred.size)"),
    Edit("sigmoid through np.exp of -|z| in two masked assignments", find="""    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))""", replace="""    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out"""),
    Edit("log_softmax with np.logaddexp.reduce", find="""    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))""",
         replace="""    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)"""),
    Edit("mse comparing np.shape and squaring with np.square", find="""    if y_pred.shape != y_true.shape:
        raise ValueError(f"shapes differ: y_pred {y_pred.shape}, y_true {y_true.shape}")
    return float(np.mean((y_pred - y_true) ** 2))""", replace="""    if np.shape(y_pred) != np.shape(y_true):
        raise ValueError("y_pred and y_true differ in shape")
    return float(np.square(y_pred - y_true).sum() / y_pred.size)"""),
    Edit("cross-entropy gradient from exp(log_softmax) and a one-hot copy",
         find="""    t = one_hot(labels, logits.shape)
    return (softmax(logits) - t) / logits.shape[0]""", replace="""    t = one_hot(labels, logits.shape)
    g = np.exp(log_softmax(logits))
    g -= t
    g /= len(logits)
    return g"""),
    Edit("penalties through np.linalg.norm of the flattened weights",
         find="return float(lam * np.abs(np.asarray(w, dtype=np.float64)).sum())",
         replace="return float(lam * np.linalg.norm(np.asarray(w, dtype=np.float64).ravel(), 1))",
         then=Edit("l2", find="return float(0.5 * lam * np.sum(w * w))",
                   replace="return float(0.5 * lam * np.linalg.norm(w.ravel()) ** 2)")),
]
