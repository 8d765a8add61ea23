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
]
