"""Mutants and alternatives for Exercise 1.2 (numeric calculus)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("one-sided difference", find="return float((f(x + h) - f(x - h)) / (2 * h))",
         replace="return float((f(x + h) - f(x)) / h)"),
    Edit("central difference missing the 2", find="return float((f(x + h) - f(x - h)) / (2 * h))",
         replace="return float((f(x + h) - f(x - h)) / h)"),
    Edit("step size ignored", find="return float((f(x + h) - f(x - h)) / (2 * h))",
         replace="return float((f(x + 1e-6) - f(x - 1e-6)) / 2e-6)"),
    Edit("gradient mutates the caller's x", find="    x = np.array(x, dtype=np.float64)\n    grad = np.empty_like(x)",
         replace="    grad = np.empty_like(x, dtype=np.float64)"),
    Edit("jacobian transposed", find="return np.stack(columns, axis=1)", replace="return np.stack(columns, axis=0)"),
    Edit("gradient_check uses absolute error", find="return float(np.abs(analytic - numeric).max(initial=0.0) / scale)",
         replace="return float(np.abs(analytic - numeric).max(initial=0.0))"),
]

ALTERNATIVES = [
    Edit("jacobian via a loop over output rows", find="return np.stack(columns, axis=1)",
         replace="return np.array([[c[i] for c in columns] for i in range(len(columns[0]))])"),
    Edit("gradient built with np.eye steps",
         find="""    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad""",
         replace="""    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    steps = np.eye(flat.size) * h
    return np.array([(f((flat + s).reshape(x.shape)) - f((flat - s).reshape(x.shape))) / (2 * h) for s in steps]).reshape(x.shape)"""),
]
