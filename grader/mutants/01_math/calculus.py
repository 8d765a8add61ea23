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
    # boundaries and extremes
    Edit("only negative steps rejected (h = 0 divides by zero)", find="    if h <= 0:\n", replace="    if h < 0:\n"),
    Edit("gradient_check without the floor (0/0 for a zero gradient)",
         find="scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)",
         replace="scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))"),
    Edit("gradient_check divides by the analytic gradient only",
         find="scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)",
         replace="scale = max(np.abs(analytic).max(initial=0.0), 1e-12)"),
    Edit("gradient_check compares sizes, not shapes",
         find="if analytic.shape != np.shape(x):", replace="if analytic.size != np.size(x):"),
    # dtypes
    Edit("derivative returns whatever f returns", find="return float((f(x + h) - f(x - h)) / (2 * h))",
         replace="return (f(x + h) - f(x - h)) / (2 * h)"),
    Edit("gradient keeps the input dtype (an integer x stays integer)",
         find="    x = np.array(x, dtype=np.float64)\n    grad = np.empty_like(x)",
         replace="    x = np.array(x)\n    grad = np.empty_like(x, dtype=np.float64)"),
    Edit("jacobian keeps the input dtype", find="x = np.array(x, dtype=np.float64).ravel()",
         replace="x = np.array(x).ravel()"),
    # state: the caller's array
    Edit("gradient perturbs the caller's array and restores it by arithmetic",
         find="""    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old""",
         replace="""    x = np.asarray(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        minus = f(x)
        x[i] += h"""),
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
    Edit("gradient_check with np.max over the stacked gradients",
         find="""    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    return float(np.abs(analytic - numeric).max(initial=0.0) / scale)""",
         replace="""    both = np.abs(np.concatenate([analytic.ravel(), numeric.ravel()]))
    return float(np.max(np.abs(analytic - numeric), initial=0.0) / np.maximum(both.max(initial=0.0), 1e-12))"""),
]
