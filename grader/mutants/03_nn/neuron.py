"""Mutants and alternatives for Exercise 3.2 (one neuron, XOR)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("bias gradient not summed over the batch (mean)", find="return X.T @ dz, float(dz.sum())", replace="return X.T @ dz, float(dz.mean())"),
    Edit("missing 1/N", find="    dz = (neuron_forward(w, b, X) - y) / len(y)", replace="    dz = neuron_forward(w, b, X) - y"),
    Edit("sign error", find="    dz = (neuron_forward(w, b, X) - y) / len(y)", replace="    dz = (y - neuron_forward(w, b, X)) / len(y)"),
    Edit("tanh derivative without the square", find="    da = np.outer(dz2, params[\"W2\"]) * (1 - h * h)", replace="    da = np.outer(dz2, params[\"W2\"]) * (1 - h)"),
    Edit("hidden bias gradient averaged, not summed", find='"b1": da.sum(axis=0)', replace='"b1": da.mean(axis=0)'),
    Edit("loss without clipping", find="    p = np.clip(p, eps, 1 - eps)\n", replace=""),
    Edit("clipping ignores the eps argument", find="    p = np.clip(p, eps, 1 - eps)", replace="    p = np.clip(p, 1e-12, 1 - 1e-12)"),
    Edit("gradient as dL/dp * dp/dz (0/0 when the sigmoid saturates)", find="    dz = (neuron_forward(w, b, X) - y) / len(y)",
         replace="    p = neuron_forward(w, b, X)\n    dz = (-y / p + (1 - y) / (1 - p)) * p * (1 - p) / len(y)"),
    Edit("train_xor steps without the learning rate", find="params[k] = params[k] - lr * grads[k]",
         replace="params[k] = params[k] - grads[k]"),
    Edit("loss clips the caller's p in place", find="    p = np.clip(p, eps, 1 - eps)\n",
         replace="    p[p < eps] = eps\n    p[p > 1 - eps] = 1 - eps\n"),
    Edit("parameters updated one at a time, each with gradients of the half-updated net",
         find="""        grads = two_layer_gradients(params, XOR_X, XOR_Y)
        for k in params:
            params[k] = params[k] - lr * grads[k]""", replace="""        for k in params:
            params[k] = params[k] - lr * two_layer_gradients(params, XOR_X, XOR_Y)[k]"""),
    Edit("sigmoid kept finite by clipping z to [-30, 30]", find="    z = X @ w + b\n",
         replace="    z = np.clip(X @ w + b, -30, 30)\n"),
    Edit("output delta with an extra sigmoid derivative (MSE habit)",
         find='    dz2 = (neuron_forward(params["W2"], params["b2"], h) - y) / len(y)',
         replace='    p = neuron_forward(params["W2"], params["b2"], h)\n    dz2 = (p - y) * p * (1 - p) / len(y)'),
    Edit("bce picks log p or log(1 - p) by the label (right only for hard 0/1 labels)",
         find="    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))",
         replace="    return float(-np.mean(np.where(y > 0.5, np.log(p), np.log(1 - p))))"),
    Edit("shape check compares ndim only (p (1,) broadcasts against y (3,))", find="    if p.shape != y.shape:",
         replace="    if p.ndim != y.ndim:"),
    Edit("bce labels cast to bool", find="    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)",
         replace="    p, y = np.asarray(p, dtype=np.float64), np.asarray(y).astype(bool).astype(np.float64)"),
    Edit("two_layer_forward drops the output bias b2 (zero at init, so only trained parameters show it)",
         find='    return neuron_forward(params["W2"], params["b2"], h)',
         replace='    return neuron_forward(params["W2"], 0.0, h)'),
    Edit("hidden bias added after the tanh", find='    h = np.tanh(X @ params["W1"] + params["b1"])\n    return',
         replace='    h = np.tanh(X @ params["W1"]) + params["b1"]\n    return'),
]

ALTERNATIVES = [
    Edit("gradients accumulated example by example",
         find="    dz = (neuron_forward(w, b, X) - y) / len(y)\n    return X.T @ dz, float(dz.sum())",
         replace="""    p = neuron_forward(w, b, X)
    dw, db = np.zeros_like(w, dtype=np.float64), 0.0
    for xn, pn, yn in zip(X, p, y):
        dw += (pn - yn) * xn / len(y)
        db += (pn - yn) / len(y)
    return dw, float(db)"""),
    Edit("sigmoid as 0.5 (1 + tanh(z / 2))", find="""    z = X @ w + b
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))""", replace="    return 0.5 * (1 + np.tanh(0.5 * (X @ w + b)))"),
    Edit("sigmoid kept finite by clipping z to [-500, 500]", find="    z = X @ w + b\n",
         replace="    z = np.clip(X @ w + b, -500, 500)\n"),
    Edit("in-place update and a Python float for db2", find="params[k] = params[k] - lr * grads[k]",
         replace="params[k] -= lr * grads[k]",
         then=Edit("b2 float", find="np.asarray(dz2.sum())", replace="float(dz2.sum())")),
    Edit("bce through log1p(-p), summed then divided by the count",
         find="    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))",
         replace="    return float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).sum() / p.size)"),
    Edit("sigmoid by np.where over both branches (the unused one may overflow to inf, harmlessly)",
         find="""    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))""",
         replace="""    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))"""),
    Edit("two-layer output written out inline", find='    return neuron_forward(params["W2"], params["b2"], h)',
         replace='    return 1 / (1 + np.exp(-(h @ params["W2"] + params["b2"])))'),
]
