"""Mutants and alternatives for Exercise 3.5 (layers)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("BatchNorm uses batch statistics in evaluation", find="""        else:
            mu, var = self.running_mean, self.running_var""", replace="""        else:
            mu, var = x.mean(axis=0), x.var(axis=0)"""),
    Edit("Dropout does not rescale", find="        self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p)).astype(x.dtype)",
         replace="        self._scale = (self.rng.random(x.shape) >= self.p).astype(x.dtype)"),
    Edit("Dense bias gradient not summed over the batch", find='        self.grads["b"] = dout.sum(axis=0)', replace='        self.grads["b"] = dout.mean(axis=0)'),
    Edit("Kaiming without the factor 2", find="rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))", replace="rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))"),
    Edit("BatchNorm momentum reversed", find="self.running_mean = (1 - m) * self.running_mean + m * mu", replace="self.running_mean = m * self.running_mean + (1 - m) * mu"),
    Edit("BatchNorm backward ignores the batch statistics", find="""        if not self._training:
            return gamma * inv_std * dout""", replace="""        if True:
            return gamma * inv_std * dout"""),
    Edit("residual backward drops the skip path", find="        return dout + d\n", replace="        return d\n"),
    Edit("Dropout applied in evaluation", find="        if not training or self.p == 0:", replace="        if self.p == 0:"),
    Edit("Dropout backward without the mask", find="        return dout * self._scale", replace="        return dout / (1 - self.p)"),
    Edit("Kaiming variance from fan_out", find="rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))", replace="rng.normal(0.0, np.sqrt(2.0 / n_out), size=(n_in, n_out))"),
    Edit("Kaiming drawn uniform with the right variance", find="rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))",
         replace="rng.uniform(-np.sqrt(6.0 / n_in), np.sqrt(6.0 / n_in), size=(n_in, n_out))"),
    Edit("Xavier drawn normal with bound a as the standard deviation", find="    return rng.uniform(-a, a, size=(n_in, n_out))", replace="    return rng.normal(0.0, a, size=(n_in, n_out))"),
    Edit("Xavier bound from fan_in alone", find="    a = np.sqrt(6.0 / (n_in + n_out))", replace="    a = np.sqrt(3.0 / n_in)"),
    Edit("Dropout keeps with probability p", find="        self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p)).astype(x.dtype)",
         replace="        self._scale = ((self.rng.random(x.shape) < self.p) / (1 - self.p)).astype(x.dtype)"),
    Edit("Dropout mask shared by every example (one coin per feature)",
         find="        self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p)).astype(x.dtype)",
         replace="        self._scale = ((self.rng.random(x.shape[1:]) >= self.p) / (1 - self.p)).astype(x.dtype)"),
    Edit("Dense gradients accumulate across backward calls", find='        self.grads["W"] = self._x.T @ dout\n        self.grads["b"] = dout.sum(axis=0)',
         replace='        self.grads["W"] += self._x.T @ dout\n        self.grads["b"] += dout.sum(axis=0)'),
    Edit("Dense bias always float64", find='self.params = {"W": W, "b": np.zeros(n_out, dtype=dtype)}', replace='self.params = {"W": W, "b": np.zeros(n_out)}'),
    Edit("ReLU passes the gradient at exactly zero", find="        self._mask = x > 0", replace="        self._mask = x >= 0"),
    Edit("BatchNorm running statistics start in float64",
         find="self.running_mean, self.running_var = np.zeros(dim, dtype=dtype), np.ones(dim, dtype=dtype)",
         replace="self.running_mean, self.running_var = np.zeros(dim), np.ones(dim)"),
    Edit("ReLU zeroes the caller's negatives in place", find="""        self._mask = x > 0
        return x * self._mask""", replace="""        self._mask = x > 0
        x[~self._mask] = 0
        return x"""),
    Edit("BatchNorm eps fixed at its default 1e-5", find="self._inv_std = 1.0 / np.sqrt(var + self.eps)",
         replace="self._inv_std = 1.0 / np.sqrt(var + 1e-5)"),
    Edit("Dropout generator not seeded", find="self.p, self.rng = p, np.random.default_rng(seed)",
         replace="self.p, self.rng = p, np.random.default_rng()"),
    Edit("Dropout coins from NumPy's global generator", find="self._scale = ((self.rng.random(x.shape) >= self.p)",
         replace="self._scale = ((np.random.random(x.shape) >= self.p)"),
    Edit("BatchNorm centres the caller's x in place", find="        self._x_hat = (x - mu) * self._inv_std",
         replace="        x -= mu\n        self._x_hat = x * self._inv_std"),
    Edit("BatchNorm running variance unbiased (n / (n - 1))", find="self.running_var = (1 - m) * self.running_var + m * var",
         replace="self.running_var = (1 - m) * self.running_var + m * var * len(x) / (len(x) - 1)"),
    Edit("Dropout evaluation leaves the last training mask for backward",
         find="""        if not training or self.p == 0:
            self._scale = 1.0
            return x""", replace="""        if not training or self.p == 0:
            return x"""),
    Edit("ResidualBlock runs its inner layers in training mode always",
         find="            h = layer.forward(h, training)",
         replace="            h = layer.forward(h)"),
    Edit("Dropout accepts a negative p", find="        if not 0 <= p < 1:", replace="        if p >= 1:"),
    Edit("BatchNorm evaluation backward without gamma", find="            return gamma * inv_std * dout",
         replace="            return inv_std * dout"),
    Edit("BatchNorm grads added into the zero-initialised arrays (accumulate across backward calls)",
         find='''        self.grads["gamma"] = (dout * x_hat).sum(axis=0)
        self.grads["beta"] = dout.sum(axis=0)''', replace='''        self.grads["gamma"] += (dout * x_hat).sum(axis=0)
        self.grads["beta"] += dout.sum(axis=0)'''),
    Edit("ReLU mask cached on the first forward of a given shape (later forwards reuse it in backward)",
         find="        self._mask = x > 0\n        return x * self._mask",
         replace="        if not hasattr(self, '_mask') or self._mask.shape != x.shape:\n"
                 "            self._mask = x > 0\n"
                 "        return x * (x > 0)"),
]

ALTERNATIVES = [
    Edit("BatchNorm backward by the explicit chain rule through mean and variance",
         find="""        n = dout.shape[0]
        return (gamma * inv_std / n) * (n * dout - dout.sum(axis=0) - x_hat * (dout * x_hat).sum(axis=0))""",
         replace="""        n = dout.shape[0]
        xc = x_hat / inv_std
        dxhat = dout * gamma
        dvar = (dxhat * xc).sum(axis=0) * -0.5 * inv_std ** 3
        dmu = -(dxhat * inv_std).sum(axis=0) - 2 * dvar * xc.mean(axis=0)
        return dxhat * inv_std + dvar * 2 * xc / n + dmu / n"""),
    Edit("Dropout keeps a boolean mask and scales separately",
         find="""        self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p)).astype(x.dtype)
        return x * self._scale""",
         replace="""        keep = self.rng.random(x.shape) >= self.p
        self._scale = np.where(keep, 1 / (1 - self.p), 0).astype(x.dtype)
        return np.where(keep, x / (1 - self.p), 0).astype(x.dtype)"""),
    Edit("Dropout mask drawn with rng.binomial (same law, other draws)",
         find="        self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p)).astype(x.dtype)",
         replace="        self._scale = (self.rng.binomial(1, 1 - self.p, size=x.shape) / (1 - self.p)).astype(x.dtype)"),
    Edit("Kaiming as standard normals times the standard deviation",
         find="rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))", replace="rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)"),
    Edit("Dropout keeps where u < 1 - p; ReLU through np.maximum and a saved input",
         find="self._scale = ((self.rng.random(x.shape) >= self.p) / (1 - self.p))",
         replace="self._scale = ((self.rng.random(x.shape) < 1 - self.p) / (1 - self.p))",
         then=Edit("relu", find="""        self._mask = x > 0
        return x * self._mask""", replace="""        self._x = x
        return np.maximum(x, 0)""", then=Edit("relu back", find="        return dout * self._mask",
                                                replace="        return np.where(self._x > 0, dout, 0)"))),
    Edit("BatchNorm variance as the mean squared deviation, normalised by division",
         find="""            mu, var = x.mean(axis=0), x.var(axis=0)""",
         replace="""            mu = x.mean(axis=0)
            var = ((x - mu) ** 2).mean(axis=0)""",
         then=Edit("divide", find="        self._x_hat = (x - mu) * self._inv_std",
                   replace="        self._x_hat = (x - mu) / np.sqrt(var + self.eps)")),
    Edit("BatchNorm running statistics updated in place", find="""\
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var""", replace="""\
            self.running_mean *= 1 - m
            self.running_mean += m * mu
            self.running_var *= 1 - m
            self.running_var += m * var"""),
]
