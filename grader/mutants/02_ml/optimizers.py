"""Mutants and alternatives for Exercise 2.3 (optimizers)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("Adam without bias correction",
         find="            m_hat = m / (1 - self.beta1 ** self.t)\n            v_hat = v / (1 - self.beta2 ** self.t)",
         replace="            m_hat = m\n            v_hat = v"),
    Edit("Adam bias correction with t starting at 0", find="        self.t += 1\n        for p, g, m, v in zip(params, grads, self.m, self.v):",
         replace="        for p, g, m, v in zip(params, grads, self.m, self.v):",
         then=Edit("t incremented after use", find="            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n",
                   replace="            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n        self.t += 1\n")),
    Edit("Adam eps inside the square root", find="p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
         replace="p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)"),
    Edit("gradient descent rebinds instead of updating in place", find="        for p, g in zip(params, grads):\n            p -= self.lr * g",
         replace="        for p, g in zip(params, grads):\n            p = p - self.lr * g"),
    Edit("momentum velocity reset every step", find="        if self.velocity is None:\n            self.velocity",
         replace="        if True:\n            self.velocity"),
    Edit("momentum ascends the gradient", find="            p -= self.lr * v", replace="            p += self.lr * v"),
    # dtypes of the state
    Edit("momentum velocity created like the gradient (int gradients give an int velocity)",
         find="            self.velocity = [np.zeros_like(p, dtype=np.float64) for p in params]",
         replace="            self.velocity = [np.zeros_like(g) for g in grads]"),
    Edit("Adam moments created like the gradient",
         find="""            self.m = [np.zeros_like(p, dtype=np.float64) for p in params]
            self.v = [np.zeros_like(p, dtype=np.float64) for p in params]""",
         replace="""            self.m = [np.zeros_like(g) for g in grads]
            self.v = [np.zeros_like(g) for g in grads]"""),
    # state across calls and instances
    Edit("Adam counts one step per parameter", find="""        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v):
""", replace="""        for p, g, m, v in zip(params, grads, self.m, self.v):
            self.t += 1
"""),
    Edit("momentum's first velocity is the caller's gradient array", find="""        if self.velocity is None:
            self.velocity = [np.zeros_like(p, dtype=np.float64) for p in params]
""", replace="""        if self.velocity is None:
            self.velocity = [np.asarray(g, dtype=np.float64) for g in grads]
            for p, v in zip(params, self.velocity):
                p -= self.lr * v
            return
"""),
    Edit("Adam's step counter shared by every instance", find="        self.t += 1\n",
         replace="        Adam.shared_t = getattr(Adam, \"shared_t\", 0) + 1\n        self.t = Adam.shared_t\n"),
    # a call that raises must change nothing
    Edit("gradient descent checks only the lengths (NumPy broadcasting hides a shape mismatch)",
         find="""        _check(params, grads)
        for p, g in zip(params, grads):""", replace="""        if len(params) != len(grads):
            raise ValueError("lengths differ")
        for p, g in zip(params, grads):"""),
    Edit("gradient descent checks each shape inside the update loop (earlier params already moved)",
         find="""        _check(params, grads)
        for p, g in zip(params, grads):
            p -= self.lr * g""", replace="""        if len(params) != len(grads):
            raise ValueError("lengths differ")
        for p, g in zip(params, grads):
            if p.shape != g.shape:
                raise ValueError("shapes differ")
            p -= self.lr * g"""),
    Edit("Adam checks each shape inside the update loop",
         find="        for p, g, m, v in zip(params, grads, self.m, self.v):\n",
         replace="""        for p, g, m, v in zip(params, grads, self.m, self.v):
            if p.shape != g.shape:
                raise ValueError("shapes differ")
""", then=Edit("no check up front", find="        _check(params, grads)\n        if self.m is None:",
                replace="""        if len(params) != len(grads):
            raise ValueError("lengths differ")
        if self.m is None:""")),
    Edit("Adam advances t before validating the call",
         find="        _check(params, grads)\n        if self.m is None:",
         replace="        self.t += 1\n        _check(params, grads)\n        if self.m is None:",
         then=Edit("t no longer advanced below", find="        self.t += 1\n        for p, g, m, v",
                   replace="        for p, g, m, v")),
    # state updated on a rebound name, or stored after correction
    Edit("momentum rebinds the loop's v (the stored velocity never changes)",
         find="            v *= self.beta\n            v += g\n", replace="            v = self.beta * v + g\n"),
    Edit("momentum as an exponential average (v = beta v + (1 - beta) g)",
         find="            v += g\n", replace="            v += (1 - self.beta) * g\n"),
    Edit("Adam stores the bias-corrected first moment back into m",
         find="            m_hat = m / (1 - self.beta1 ** self.t)\n",
         replace="            m /= 1 - self.beta1 ** self.t\n            m_hat = m\n"),
    Edit("Adam in the folded form with eps outside (eps effectively rescaled)",
         find="""            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)""",
         replace="""            lr_t = self.lr * np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
            p -= lr_t * m / (np.sqrt(v) + self.eps)"""),
    # 0-d parameters, eps placement, order of the momentum update
    Edit("gradient descent assigns through p[:] (an IndexError for a 0-d parameter)",
         find="        for p, g in zip(params, grads):\n            p -= self.lr * g",
         replace="        for p, g in zip(params, grads):\n            p[:] = p - self.lr * g"),
    Edit("Adam assigns the parameter through p[:]",
         find="            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
         replace="            p[:] = p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)"),
    Edit("Adam with eps added in quadrature inside the root",
         find="p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
         replace="p -= self.lr * m_hat / np.sqrt(v_hat + self.eps ** 2)"),
    Edit("momentum steps with the old velocity, then updates it",
         find="            v *= self.beta\n            v += g\n            p -= self.lr * v",
         replace="            p -= self.lr * v\n            v *= self.beta\n            v += g"),
    Edit("gradient descent scales the caller's gradient in place",
         find="        for p, g in zip(params, grads):\n            p -= self.lr * g",
         replace="        for p, g in zip(params, grads):\n            g *= self.lr\n            p -= g"),
]

ALTERNATIVES = [
    Edit("momentum in the v = beta v - lr g form",
         find="            v *= self.beta\n            v += g\n            p -= self.lr * v",
         replace="            v *= self.beta\n            v -= self.lr * g\n            p += v"),
    Edit("Adam with the folded step size",
         find="""            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)""",
         replace="""            denom = np.sqrt(v / (1 - self.beta2 ** self.t)) + self.eps
            p -= (self.lr / (1 - self.beta1 ** self.t)) * m / denom"""),
    Edit("gradient descent with its own checks and a slice assignment",
         find="""        _check(params, grads)
        for p, g in zip(params, grads):
            p -= self.lr * g""", replace="""        if len(params) != len(grads) or any(np.shape(p) != np.shape(g)
                                            for p, g in zip(params, grads)):
            raise ValueError("params and grads do not match")
        for i in range(len(params)):
            params[i][...] = params[i] - self.lr * np.asarray(grads[i], dtype=np.float64)"""),
    Edit("Adam with state in dicts by position and np.square",
         find="""        if self.m is None:
            self.m = [np.zeros_like(p, dtype=np.float64) for p in params]
            self.v = [np.zeros_like(p, dtype=np.float64) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g""",
         replace="""        if self.m is None:
            self.m, self.v = {}, {}
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            g = np.asarray(g, dtype=np.float64)
            m = self.m[i] = self.beta1 * self.m.get(i, 0.0) + (1 - self.beta1) * g
            v = self.v[i] = self.beta2 * self.v.get(i, 0.0) + (1 - self.beta2) * np.square(g)"""),
    Edit("momentum whose first velocity is a float copy of the first gradient",
         find="""        if self.velocity is None:
            self.velocity = [np.zeros_like(p, dtype=np.float64) for p in params]
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.beta
            v += g
            p -= self.lr * v""",
         replace="""        if self.velocity is None:
            self.velocity = [np.array(g, dtype=np.float64) for g in grads]
        else:
            for g, v in zip(grads, self.velocity):
                v *= self.beta
                v += g
        for p, v in zip(params, self.velocity):
            p -= self.lr * v"""),
    Edit("momentum with new velocity arrays assigned by position and p[...] updates",
         find="""        for p, g, v in zip(params, grads, self.velocity):
            v *= self.beta
            v += g
            p -= self.lr * v""", replace="""        for i, (p, g) in enumerate(zip(params, grads)):
            self.velocity[i] = self.beta * self.velocity[i] + np.asarray(g, dtype=np.float64)
            p[...] = p - self.lr * self.velocity[i]"""),
]
