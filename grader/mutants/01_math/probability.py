"""Mutants and alternatives for Exercise 1.3 (probability and information)."""
from grader.mutants import Edit

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
]
