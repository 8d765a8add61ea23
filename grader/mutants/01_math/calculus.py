"""Mutants and alternatives for Exercise 1.2 (numeric calculus)."""
from grader.mutants import Edit

GRADIENT_LOOP = """    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad"""
CHECK_TAIL = """    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    return float(np.abs(analytic - numeric).max(initial=0.0) / scale)"""

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
    # the caller's step h
    Edit("gradient through derivative without passing h on", find=GRADIENT_LOOP,
         replace="""    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        def along(t, i=i):
            y = x.copy()
            y[i] = t
            return f(y)
        grad[i] = derivative(along, x[i])
    return grad"""),
    Edit("gradient with a fixed step", find="        x[i] = old + h\n        plus = f(x)\n        x[i] = old - h",
         replace="        x[i] = old + 1e-5\n        plus = f(x)\n        x[i] = old - 1e-5",
         then=Edit("and divides by it", find="        grad[i] = (plus - minus) / (2 * h)",
                   replace="        grad[i] = (plus - minus) / 2e-5")),
    Edit("jacobian with a fixed step", find="        step[j] = h\n", replace="        step[j] = 1e-5\n",
         then=Edit("and divides by it", find="ravel() / (2 * h))", replace="ravel() / 2e-5)")),
    Edit("gradient_check does not pass h to gradient", find="    numeric = gradient(f, x, h)",
         replace="    numeric = gradient(f, x)"),
    Edit("jacobian reuses one step vector (steps pile up across columns)",
         find="    columns = []\n    for j in range(x.size):\n        step = np.zeros_like(x)\n",
         replace="    columns = []\n    step = np.zeros_like(x)\n    for j in range(x.size):\n"),
    # shapes and memory layout
    Edit("gradient perturbs a reshaped copy when x is not C-ordered", find=GRADIENT_LOOP,
         replace="""    x = np.asarray(x).astype(np.float64)
    flat = x.reshape(-1)
    grad = np.empty(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(x)
        flat[i] = old - h
        minus = f(x)
        flat[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad.reshape(x.shape)"""),
    Edit("gradient indexes a 0-d x with an integer",
         find="    for i in np.ndindex(x.shape):\n        old = x[i]",
         replace="    for i in range(x.size):\n"
                 "        i = np.unravel_index(i, x.shape) if x.ndim > 1 else i\n        old = x[i]"),
    # the formula of gradient_check
    Edit("gradient_check takes the largest per-entry relative error",
         find=CHECK_TAIL,
         replace="""    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-12)
    return float((np.abs(analytic - numeric) / scale).max(initial=0.0))"""),
    # steps scaled by |x|, and another relative-error formula
    Edit("derivative with a step scaled by |x| (a relative step)",
         find="return float((f(x + h) - f(x - h)) / (2 * h))",
         replace="s = h * max(1.0, abs(x))\n    return float((f(x + s) - f(x - s)) / (2 * s))"),
    Edit("gradient with a step scaled by |x_i|", find="""        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)""", replace="""        s = h * max(1.0, abs(old))
        x[i] = old + s
        plus = f(x)
        x[i] = old - s
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * s)"""),
    Edit("jacobian with a step scaled by |x_j|",
         find="        step[j] = h\n        columns.append((np.atleast_1d(f(x + step)) - "
              "np.atleast_1d(f(x - step))).ravel() / (2 * h))",
         replace="        step[j] = h * max(1.0, abs(x[j]))\n        columns.append((np.atleast_1d(f(x + step)) - "
                 "np.atleast_1d(f(x - step))).ravel() / (2 * step[j]))"),
    Edit("gradient_check as ||a - n|| / (||a|| + ||n||) (the 2-norm formula, not the one asked for)",
         find="""    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    return float(np.abs(analytic - numeric).max(initial=0.0) / scale)""",
         replace="""    both = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / max(both, 1e-12))"""),
    Edit("jacobian perturbs one working copy in place (a result that is a view of it changes too)",
         find="""    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((np.atleast_1d(f(x + step)) - np.atleast_1d(f(x - step))).ravel() / (2 * h))""",
         replace="""    for j in range(x.size):
        old = x[j]
        x[j] = old + h
        plus = np.atleast_1d(f(x))
        x[j] = old - h
        minus = np.atleast_1d(f(x))
        x[j] = old
        columns.append((plus - minus).ravel() / (2 * h))"""),
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
    Edit("jacobian row by row, one gradient per output", find="""    columns = []
    for j in range(x.size):""", replace="""    m = np.atleast_1d(f(x)).size
    rows = [gradient(lambda v, i=i: np.atleast_1d(f(v)).ravel()[i], x, h) for i in range(m)]
    return np.array(rows).reshape(m, x.size)
    columns = []
    for j in range(x.size):"""),
    Edit("gradient on a flat view of a C-ordered copy", find=GRADIENT_LOOP,
         replace="""    x = np.array(x, dtype=np.float64, order="C")
    flat = x.reshape(-1)
    grad = np.empty(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(x)
        flat[i] = old - h
        minus = f(x)
        flat[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad.reshape(x.shape)"""),
    Edit("gradient_check returning 0 for two zero gradients instead of flooring the scale",
         find="""    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)""",
         replace="""    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0:
        return 0.0
    scale = max(scale, 1e-12)"""),
    Edit("jacobian perturbing a working copy in place, copying each result of f",
         find="""    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((np.atleast_1d(f(x + step)) - np.atleast_1d(f(x - step))).ravel() / (2 * h))""",
         replace="""    for j in range(x.size):
        old = x[j]
        x[j] = old + h
        plus = np.array(f(x), dtype=np.float64).ravel()
        x[j] = old - h
        minus = np.array(f(x), dtype=np.float64).ravel()
        x[j] = old
        columns.append((plus - minus) / (2 * h))"""),
]
