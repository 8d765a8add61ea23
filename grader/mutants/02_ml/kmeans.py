"""Mutants and alternatives for Exercise 2.5 (k-means)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("uniform initial centres instead of D^2 sampling",
         find="i = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))",
         replace="i = rng.integers(len(X))"),
    Edit("empty cluster left as the mean of nothing", find="            if (counts == 0).any():", replace="            if False:"),
    Edit("restarts keep the last run instead of the best", find="        best = min((self._lloyd(X, c) for c in starts), key=lambda run: run[2])",
         replace="        best = [self._lloyd(X, c) for c in starts][-1]"),
    Edit("labels and inertia of the previous centres", find="""        dist = squared_distances(X, centers)
        labels = dist.argmin(axis=1)
        return centers""", replace="""        return centers"""),
    Edit("distance formula with the wrong sign of the cross term",
         find="d = (X * X).sum(axis=1)[:, None] - 2.0 * X @ centers.T", replace="d = (X * X).sum(axis=1)[:, None] + 2.0 * X @ centers.T"),
    Edit("max_iter ignored", find="        for n_iter in range(1, self.max_iter + 1):", replace="        for n_iter in range(1, 301):"),
]

ALTERNATIVES = [
    Edit("distances by broadcasting", find="""    d = (X * X).sum(axis=1)[:, None] - 2.0 * X @ centers.T + (centers * centers).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)""", replace="""    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)"""),
    Edit("centre update with a loop over clusters", find="""            new = np.zeros_like(centers)
            np.add.at(new, labels, X)
            new /= counts[:, None]""", replace="""            new = np.array([X[labels == j].mean(axis=0) for j in range(len(centers))])"""),
]
