"""Mutants and alternatives for Exercise 1.4 (linear regression from scratch)."""
from grader.mutants import Edit

NORMAL_EQUATIONS = """    X, y = _check(X, y)
    Xb = add_bias(X)
    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)"""

MUTANTS = [
    Edit("bias column appended last", find="return np.hstack([np.ones((X.shape[0], 1)), X])",
         replace="return np.hstack([X, np.ones((X.shape[0], 1))])"),
    Edit("normal equations without the bias column", find="""    Xb = add_bias(X)
    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)""", replace="""    return np.concatenate([[0.0], np.linalg.solve(X.T @ X, X.T @ y)])"""),
    Edit("gradient missing the factor 2", find="w = w - lr * (2.0 / n) * (Xb.T @ residual)", replace="w = w - lr * (1.0 / n) * (Xb.T @ residual)"),
    Edit("gradient summed instead of averaged", find="w = w - lr * (2.0 / n) * (Xb.T @ residual)", replace="w = w - lr * 2.0 * (Xb.T @ residual)"),
    Edit("gradient ascent (sign error)", find="w = w - lr * (2.0 / n) * (Xb.T @ residual)", replace="w = w + lr * (2.0 / n) * (Xb.T @ residual)"),
    Edit("loss recorded after the update", find="""        residual = Xb @ w - y
        history.append(float(np.mean(residual ** 2)))
        w = w - lr * (2.0 / n) * (Xb.T @ residual)""", replace="""        residual = Xb @ w - y
        w = w - lr * (2.0 / n) * (Xb.T @ residual)
        history.append(float(np.mean((Xb @ w - y) ** 2)))"""),
    Edit("r2 with SS_tot around zero instead of the mean", find="ss_tot = np.sum((y_true - y_true.mean()) ** 2)",
         replace="ss_tot = np.sum(y_true ** 2)"),
    Edit("mse as a sum", find="return float(np.mean(residual ** 2))", replace="return float(np.sum(residual ** 2))"),
    # extremes and boundaries of R^2
    Edit("r2 treats y_true as constant only when the computed SS_tot is exactly 0", find="""    if y_true.size == 0 or np.all(y_true == y_true.flat[0]):
        raise ValueError("y_true is constant: R^2 is undefined")
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
""", replace="""    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    if ss_tot == 0:
        raise ValueError("y_true is constant: R^2 is undefined")
"""),
    Edit("r2 with SS_tot as sum(y^2) - N mean^2 (cancels for a large mean)",
         find="    ss_tot = np.sum((y_true - y_true.mean()) ** 2)\n",
         replace="    ss_tot = np.sum(y_true ** 2) - y_true.size * y_true.mean() ** 2\n"),
    Edit("r2 compares sizes, not shapes", find="    if y_true.shape != y_pred.shape:\n        raise ValueError(f\"y_true has shape",
         replace="    if y_true.size != y_pred.size:\n        raise ValueError(f\"y_true has shape"),
    # dtypes
    Edit("add_bias by np.insert keeps the input dtype", find="""    X = np.asarray(X, dtype=np.float64)
    return np.hstack([np.ones((X.shape[0], 1)), X])""", replace="""    return np.insert(np.asarray(X), 0, 1, axis=1)"""),
    Edit("predict keeps float32 inputs as float32", find="    X, w = np.asarray(X, dtype=np.float64), np.asarray(w, dtype=np.float64)\n",
         replace="    X, w = np.asarray(X), np.asarray(w)\n"),
    Edit("history returned as an array", find="    return w, history\n", replace="    return w, np.array(history)\n"),
    # state across calls
    Edit("history kept in a list shared by every call", find="    history = []\n",
         replace="    history = fit_gradient_descent.__dict__.setdefault(\"history\", [])\n"),
    Edit("weights start from where the previous call ended",
         find="    w = np.zeros(Xb.shape[1])\n",
         replace="    w = fit_gradient_descent.__dict__.get(\"w\", np.zeros(Xb.shape[1]))\n    w = w if w.shape == (Xb.shape[1],) else np.zeros(Xb.shape[1])\n",
         then=Edit("store", find="    return w, history\n", replace="    fit_gradient_descent.w = w\n    return w, history\n")),
    # shapes and settings
    Edit("normal equations check only that the row counts agree (y of shape (N, 1) slips through)",
         find=NORMAL_EQUATIONS,
         replace="""    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(X) != len(y):
        raise ValueError("X and y have different numbers of rows")
    Xb = add_bias(X)
    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)"""),
    Edit("gradient descent rejects only lr == 0", find="    if lr <= 0 or epochs < 1:",
         replace="    if lr == 0 or epochs < 1:"),
    # how the normal equations are solved
    Edit("normal equations through an explicit inverse", find="    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
         replace="    return np.linalg.inv(Xb.T @ Xb) @ Xb.T @ y"),
    Edit("normal equations with a small ridge term added for stability",
         find="    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
         replace="    return np.linalg.solve(Xb.T @ Xb + 1e-8 * np.eye(Xb.shape[1]), Xb.T @ y)"),
    # R^2: precision and the constant test
    Edit("r2 sums float32 inputs in float32",
         find="    y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)",
         replace="    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)"),
    Edit("r2 calls a small spread constant", find="    if y_true.size == 0 or np.all(y_true == y_true.flat[0]):",
         replace="    if y_true.size == 0 or np.ptp(y_true) < 1e-12:"),
    Edit("gradient descent records the final loss too (epochs + 1 entries)", find="    return w, history\n",
         replace="    history.append(float(np.mean((Xb @ w - y) ** 2)))\n    return w, history\n"),
    # early exits and shapes that slip through
    Edit("gradient descent stops early once the loss goes up",
         find="        history.append(float(np.mean(residual ** 2)))\n",
         replace="        history.append(float(np.mean(residual ** 2)))\n"
                 "        if len(history) > 1 and history[-1] >= history[-2]:\n            break\n"),
    Edit("gradient descent rejects epochs == 0 but not negative epochs",
         find="if lr <= 0 or epochs < 1:", replace="if lr <= 0 or epochs == 0:"),
    Edit("predict checks only the number of entries of w (a (D + 1, 1) column slips through)",
         find="if X.ndim != 2 or w.shape != (X.shape[1] + 1,):", replace="if X.ndim != 2 or w.size != X.shape[1] + 1:"),
    Edit("predict without its check (matmul catches only some wrong shapes)",
         find="if X.ndim != 2 or w.shape != (X.shape[1] + 1,):", replace="if False:"),
]

ALTERNATIVES = [
    Edit("normal equations by lstsq", find="return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
         replace="return np.linalg.lstsq(Xb, y, rcond=None)[0]"),
    Edit("gradient descent with an explicit loop over samples for the gradient",
         find="w = w - lr * (2.0 / n) * (Xb.T @ residual)",
         replace="w = w - lr * 2.0 * sum(r * row for r, row in zip(residual, Xb)) / n"),
    Edit("predict through add_bias", find="    return w[0] + X @ w[1:]", replace="    return add_bias(X) @ w"),
    Edit("r2 with np.var and a np.ptp constant test", find="""    if y_true.size == 0 or np.all(y_true == y_true.flat[0]):
        raise ValueError("y_true is constant: R^2 is undefined")
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
""", replace="""    if y_true.size == 0 or np.ptp(y_true) == 0:
        raise ValueError("y_true is constant: R^2 is undefined")
    ss_tot = y_true.size * np.var(y_true)
"""),
    Edit("gradient descent with the bias and the weights kept apart", find="""    Xb = add_bias(X)
    n = Xb.shape[0]
    w = np.zeros(Xb.shape[1])
    history = []
    for _ in range(epochs):
        residual = Xb @ w - y
        history.append(float(np.mean(residual ** 2)))
        w = w - lr * (2.0 / n) * (Xb.T @ residual)
    return w, history""", replace="""    n = X.shape[0]
    b, weights = 0.0, np.zeros(X.shape[1])
    history = []
    for _ in range(epochs):
        residual = X @ weights + b - y
        history.append(float(np.mean(residual ** 2)))
        b, weights = b - lr * 2.0 * residual.mean(), weights - lr * (2.0 / n) * (X.T @ residual)
    return np.concatenate([[b], weights]), history"""),
    Edit("normal equations through a QR factorisation of Xb", find="    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
         replace="    q, r = np.linalg.qr(Xb)\n    return np.linalg.solve(r, q.T @ y)"),
    Edit("r2 with np.unique for the constant test, and means instead of sums",
         find="""    if y_true.size == 0 or np.all(y_true == y_true.flat[0]):
        raise ValueError("y_true is constant: R^2 is undefined")
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / ss_tot)""",
         replace="""    if np.unique(y_true).size < 2:
        raise ValueError("y_true is constant: R^2 is undefined")
    return float(1.0 - np.mean((y_true - y_pred) ** 2) / np.mean((y_true - y_true.mean()) ** 2))"""),
    Edit("gradient descent updating w in place, predict with its own ndim checks",
         find="        w = w - lr * (2.0 / n) * (Xb.T @ residual)",
         replace="        w -= lr * (2.0 / n) * (Xb.T @ residual)",
         then=Edit("predict", find="if X.ndim != 2 or w.shape != (X.shape[1] + 1,):",
                   replace="if X.ndim != 2 or w.ndim != 1 or len(w) != X.shape[1] + 1:")),
]
