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
]
