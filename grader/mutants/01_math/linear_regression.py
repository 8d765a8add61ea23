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
]

ALTERNATIVES = [
    Edit("normal equations by lstsq", find="return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
         replace="return np.linalg.lstsq(Xb, y, rcond=None)[0]"),
    Edit("gradient descent with an explicit loop over samples for the gradient",
         find="w = w - lr * (2.0 / n) * (Xb.T @ residual)",
         replace="w = w - lr * 2.0 * sum(r * row for r, row in zip(residual, Xb)) / n"),
    Edit("predict through add_bias", find="    return w[0] + X @ w[1:]", replace="    return add_bias(X) @ w"),
]
