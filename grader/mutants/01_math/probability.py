"""Mutants and alternatives for Exercise 1.3 (probability and information)."""
from grader.mutants import Edit

CHECK = "        if not (math.isfinite(mu) and math.isfinite(sigma)) or sigma <= 0:"

MUTANTS = [
    Edit("logpdf without the log(sigma) normaliser",
         find="return _scalar_or_array(-0.5 * z * z - math.log(self.sigma) - 0.5 * LOG_2PI)",
         replace="return _scalar_or_array(-0.5 * z * z - 0.5 * LOG_2PI)"),
    Edit("logpdf with log(sigma^2) where log(sigma) belongs (variance for standard deviation)",
         find="return _scalar_or_array(-0.5 * z * z - math.log(self.sigma) - 0.5 * LOG_2PI)",
         replace="return _scalar_or_array(-0.5 * z * z - math.log(self.sigma ** 2) - 0.5 * LOG_2PI)"),
    Edit("cdf without the sqrt(2)", find="z = (np.asarray(x, dtype=np.float64) - self.mu) / (self.sigma * math.sqrt(2.0))",
         replace="z = (np.asarray(x, dtype=np.float64) - self.mu) / self.sigma"),
    Edit("sample scales by the variance", find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="return self.mu + self.sigma ** 2 * rng.standard_normal(n)"),
    Edit("sample ignores rng and uses the global np.random", find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="return np.random.normal(self.mu, self.sigma, size=n)"),
    Edit("fit divides by N - 1", find="sigma = float(np.sqrt(np.mean((data - mu) ** 2)))",
         replace="sigma = float(np.std(data, ddof=1))"),
    Edit("entropy in bits", find="return float(-np.sum(p[nz] * np.log(p[nz])))", replace="return float(-np.sum(p[nz] * np.log2(p[nz])))"),
    Edit("entropy with 0 log 0 = nan (no mask)", find="""    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))""", replace="""    return float(-np.sum(p * np.log(p)))"""),
    Edit("KL with the arguments swapped inside", find="return float(max(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))), 0.0))",
         replace="return float(max(np.sum(q[nz] * (np.log(q[nz]) - np.log(p[nz]))), 0.0))"),
    Edit("kl_gaussians with variances where standard deviations belong",
         find="return float(math.log(s2 / s1) + (s1 * s1 + (mu1 - mu2) ** 2) / (2.0 * s2 * s2) - 0.5)",
         replace="return float(math.log(s2 / s1) + (s1 + (mu1 - mu2) ** 2) / (2.0 * s2) - 0.5)"),
    Edit("bayes without normalising by the evidence", find="    return joint / evidence", replace="    return joint"),
    Edit("bayes validates nothing", find="""    prior = _distribution(prior, "prior")
    likelihood = np.asarray(likelihood, dtype=np.float64)""", replace="""    prior = np.asarray(prior, dtype=np.float64)
    likelihood = np.asarray(likelihood, dtype=np.float64)
    return prior * likelihood / np.sum(prior * likelihood)"""),
    # the law of the samples
    Edit("sample from a uniform law with the right mean and std", find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="return self.mu + self.sigma * math.sqrt(3.0) * rng.uniform(-1.0, 1.0, n)"),
    Edit("sample from a Laplace law with the right mean and std", find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="return rng.laplace(self.mu, self.sigma / math.sqrt(2.0), n)"),
    # extremes: p = 0, q = 0, rounding below 0
    Edit("cross_entropy clips q instead of returning inf", find="""    if np.any(q[nz] == 0):
        return math.inf
    return float(-np.sum(p[nz] * np.log(q[nz])))""", replace="""    return float(-np.sum(p[nz] * np.log(np.clip(q[nz], 1e-12, 1.0))))"""),
    Edit("KL masks by q > 0 (drops the terms that should be inf)", find="""    nz = p > 0
    if np.any(q[nz] == 0):
        return math.inf
    return float(max(""", replace="""    nz = (p > 0) & (q > 0)
    return float(max("""),
    Edit("cross_entropy returns inf when any q is 0", find="""    if np.any(q[nz] == 0):
        return math.inf
    return float(-np.sum(""", replace="""    if np.any(q == 0):
        return math.inf
    return float(-np.sum("""),
    Edit("KL not clipped at 0", find="return float(max(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))), 0.0))",
         replace="return float(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))))"),
    # dtypes
    Edit("densities return 0-d arrays for a scalar x", find="    return float(values) if values.ndim == 0 else values",
         replace="    return values"),
    Edit("logpdf keeps float32 input as float32", find="""        z = (np.asarray(x, dtype=np.float64) - self.mu) / self.sigma
        return _scalar_or_array(-0.5""", replace="""        x = np.asarray(x)
        z = (x - x.dtype.type(self.mu) if x.dtype.kind == "f" else x - self.mu) / self.sigma
        return _scalar_or_array(-0.5"""),
    # state: the caller's arrays
    Edit("entropy replaces zeros by ones in the caller's array", find="""    p = _distribution(p, "p")
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))""", replace="""    arr = p if isinstance(p, np.ndarray) else np.asarray(p, dtype=np.float64)
    _distribution(arr, "p")
    arr[arr == 0] = 1.0
    return float(-np.sum(arr * np.log(arr)))"""),
    Edit("fit centres the caller's data in place", find="        sigma = float(np.sqrt(np.mean((data - mu) ** 2)))",
         replace="        data -= mu\n        sigma = float(np.sqrt(np.mean(data ** 2)))"),
    Edit("bayes multiplies into the caller's prior", find="    joint = prior * likelihood\n",
         replace="    joint = prior\n    joint *= likelihood\n"),
    # parameters and inputs at their edges
    Edit("constructor lets sigma = nan through (isinf instead of isfinite)", find=CHECK,
         replace="        if math.isnan(mu) or math.isinf(sigma) or sigma <= 0:"),
    Edit("constructor lets an infinite mu through", find=CHECK,
         replace="        if math.isnan(mu) or not math.isfinite(sigma) or sigma <= 0:"),
    Edit("logpdf subtracts mu before converting x (a list fails)",
         find="        z = (np.asarray(x, dtype=np.float64) - self.mu) / self.sigma\n"
              "        return _scalar_or_array(-0.5",
         replace="        z = np.asarray((x - self.mu) / self.sigma, dtype=np.float64)\n"
                 "        return _scalar_or_array(-0.5"),
    Edit("densities turn an array of one element into a float",
         find="    return float(values) if values.ndim == 0 else values",
         replace="    return float(values.item()) if values.size == 1 else values"),
    Edit("fit calls a small sigma zero", find="        if sigma == 0.0:", replace="        if sigma < 1e-12:"),
    Edit("kl_gaussians rejects only zero standard deviations", find="    if s1 <= 0 or s2 <= 0:",
         replace="    if s1 == 0 or s2 == 0:"),
    Edit("bayes calls a small evidence zero", find="    if evidence == 0:", replace="    if evidence < 1e-12:"),
    Edit("bayes returns a list", find="    return joint / evidence", replace="    return list(joint / evidence)"),
    # the law of the samples
    Edit("sample rescales its draws to the exact mean and std",
         find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="z = rng.standard_normal(n)\n        z = (z - z.mean()) / z.std() if n > 1 else z\n"
                 "        return self.mu + self.sigma * z"),
    # log(p + eps)
    Edit("entropy adds an epsilon inside the log", find="    return float(-np.sum(p[nz] * np.log(p[nz])))",
         replace="    return float(-np.sum(p[nz] * np.log(p[nz] + 1e-12)))"),
    Edit("cross_entropy adds an epsilon inside the log", find="    return float(-np.sum(p[nz] * np.log(q[nz])))",
         replace="    return float(-np.sum(p[nz] * np.log(q[nz] + 1e-12)))"),
    # numerical range and the shape of the sampling law
    Edit("fit with sigma^2 = E[x^2] - E[x]^2 (cancels for a large mean)",
         find="sigma = float(np.sqrt(np.mean((data - mu) ** 2)))",
         replace="sigma = float(np.sqrt(max(np.mean(data ** 2) - mu ** 2, 0.0)))"),
    Edit("fit keeps integer data as integers and squares them (int64 wraps around)",
         find="data = np.asarray(data, dtype=np.float64).ravel()", replace="data = np.asarray(data).ravel()",
         then=Edit("squares", find="sigma = float(np.sqrt(np.mean((data - mu) ** 2)))",
                   replace="sigma = float(np.sqrt(np.mean(data * data) - mu * mu))")),
    Edit("sample as a sum of 12 uniforms minus 6 (only nearly normal)",
         find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="return self.mu + self.sigma * (rng.random((n, 12)).sum(axis=1) - 6.0)"),
    Edit("sample from a logistic law with the right mean and std",
         find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="u = rng.random(n)\n        return self.mu + self.sigma * (np.sqrt(3) / np.pi) * np.log(u / (1 - u))"),
]

ALTERNATIVES = [
    Edit("pdf by its formula, cdf with erf", find="        return _scalar_or_array(np.exp(np.asarray(self.logpdf(x))))",
         replace="""        z = (np.asarray(x, dtype=np.float64) - self.mu) / self.sigma
        return _scalar_or_array(np.exp(-0.5 * z * z) / (self.sigma * math.sqrt(2 * math.pi)))""",
         then=Edit("cdf with erf", find="values = np.array([0.5 * math.erfc(-v) for v in z.ravel()]).reshape(z.shape)",
                   replace="values = np.vectorize(lambda v: 0.5 * (1.0 + math.erf(v)))(z).astype(np.float64)")),
    Edit("sample with rng.normal and fit with np.std", find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="return rng.normal(self.mu, self.sigma, size=n)",
         then=Edit("np.std", find="sigma = float(np.sqrt(np.mean((data - mu) ** 2)))", replace="sigma = float(np.std(data))")),
    Edit("KL as cross-entropy minus entropy", find="return float(max(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))), 0.0))",
         replace="return max(cross_entropy(p, q) - entropy(p), 0.0)"),
    Edit("entropy and cross-entropy with np.where instead of a mask",
         find="""    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))""",
         replace="""    return float(-np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)))""",
         then=Edit("cross", find="""    return float(-np.sum(p[nz] * np.log(q[nz])))""",
                   replace="""    return float(-np.sum(np.where(nz, p * np.log(np.where(nz, q, 1.0)), 0.0)))""")),
    Edit("sample by the Box-Muller transform of rng's uniforms", find="return self.mu + self.sigma * rng.standard_normal(n)",
         replace="""u1, u2 = 1.0 - rng.random(n), rng.random(n)
        return self.mu + self.sigma * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)"""),
    Edit("bayes normalised in log space", find="    return joint / evidence",
         replace="""    with np.errstate(divide="ignore"):
        log_joint = np.log(prior) + np.log(likelihood)
    return np.exp(log_joint - np.logaddexp.reduce(log_joint))"""),
    Edit("logpdf through np.vectorize of a scalar formula",
         find="""        z = (np.asarray(x, dtype=np.float64) - self.mu) / self.sigma
        return _scalar_or_array(-0.5 * z * z - math.log(self.sigma) - 0.5 * LOG_2PI)""",
         replace="""        def one(v):
            return -((v - self.mu) ** 2) / (2 * self.sigma ** 2) - math.log(self.sigma) - 0.5 * math.log(2 * math.pi)
        return _scalar_or_array(np.vectorize(one, otypes=[np.float64])(np.asarray(x, dtype=np.float64)))"""),
    Edit("constructor with one isfinite over both parameters", find=CHECK,
         replace="        if not np.all(np.isfinite([mu, sigma])) or not sigma > 0:"),
    Edit("bayes with the likelihood rescaled by its maximum first", find="    joint = prior * likelihood\n",
         replace="    top = likelihood.max()\n"
                 "    joint = prior * (likelihood / top) if top > 0 else prior * likelihood\n"),
    Edit("fit by Welford's running mean and sum of squares",
         find="        mu = float(data.mean())\n        sigma = float(np.sqrt(np.mean((data - mu) ** 2)))",
         replace="""        mean, m2 = 0.0, 0.0
        for k, value in enumerate(data, start=1):
            delta = value - mean
            mean += delta / k
            m2 += delta * (value - mean)
        mu, sigma = float(mean), float(math.sqrt(m2 / data.size))"""),
]
