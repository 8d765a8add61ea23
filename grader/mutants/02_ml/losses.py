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
]

ALTERNATIVES = [
    Edit("softmax normalised directly instead of through log_softmax", find="    return np.exp(log_softmax(z))",
         replace="    z = np.asarray(z, dtype=np.float64)\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)"),
    Edit("BCE from logits with logaddexp", find="return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))",
         replace="return float(np.mean(np.logaddexp(0.0, z) - z * y))"),
    Edit("mse with a loop", find="return float(np.mean((y_pred - y_true) ** 2))",
         replace="total = 0.0\n    for a, b in zip(y_pred.ravel(), y_true.ravel()):\n        total += (a - b) ** 2\n    return float(total / y_pred.size)"),
]
