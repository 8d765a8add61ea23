"""Mutants and alternatives for Exercise 1.4 (linear regression from scratch)."""
from grader.mutants import Edit

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
]
