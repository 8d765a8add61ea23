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
    # the seeding law
    Edit("k-means++ by the distance, not its square",
         find="i = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))",
         replace="i = rng.choice(len(X), p=np.sqrt(closest) / np.sqrt(closest).sum()) if total > 0 else rng.integers(len(X))"),
    Edit("k-means++ by the distance to the last centre, not the nearest",
         find="        closest = np.minimum(closest, squared_distances(X, X[i][None, :])[:, 0])",
         replace="        closest = squared_distances(X, X[i][None, :])[:, 0]"),
    Edit("k-means++ always starts from the first row", find="    centers = [X[rng.integers(len(X))]]", replace="    centers = [X[0]]"),
    Edit("k-means++ takes the farthest row (greedy) instead of sampling",
         find="i = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))",
         replace="i = int(np.argmax(closest))"),
    # extremes and bounds
    Edit("k-means++ without the all-zero-distance fallback",
         find="i = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))",
         replace="i = rng.choice(len(X), p=closest / total)"),
    Edit("distances not clipped at 0", find="    return np.maximum(d, 0.0)", replace="    return d"),
    Edit("k = 0 accepted by k-means++", find="    if not 1 <= k <= len(X):", replace="    if not 0 <= k <= len(X):"),
    # boundaries: the stopping test, ties
    Edit("stopping test with a strict <", find="            if shift <= threshold:", replace="            if shift < threshold:"),
    Edit("ties go to the higher centre index",
         find="        return squared_distances(X, self.cluster_centers_).argmin(axis=1).astype(np.int64)",
         replace="        d = squared_distances(X, self.cluster_centers_)\n        return (d.shape[1] - 1 - d[:, ::-1].argmin(axis=1)).astype(np.int64)"),
    # dtypes
    Edit("fit keeps an integer X as integers (truncated means)", find="""        X = np.asarray(X, dtype=np.float64)
        if self.n_clusters > len(X):""", replace="""        X = np.asarray(X)
        if self.n_clusters > len(X):""",
         then=Edit("init", find="            starts = [np.asarray(init, dtype=np.float64)]", replace="            starts = [np.asarray(init)]")),
    Edit("k-means++ returns rows in X's own dtype", find="""    X = np.asarray(X, dtype=np.float64)
    if not 1 <= k <= len(X):""", replace="""    X = np.asarray(X)
    if not 1 <= k <= len(X):"""),
    # state across calls
    Edit("a second fit starts from the previous centres", find="        if init is not None:\n            starts",
         replace="        if init is None and self.cluster_centers_ is not None and self.cluster_centers_.shape[1] == X.shape[1]:\n"
                 "            init = self.cluster_centers_\n        if init is not None:\n            starts"),
    Edit("the generator is created once per object, not per fit", find="            rng = np.random.default_rng(self.seed)\n",
         replace="            rng = self.__dict__.setdefault(\"_rng\", np.random.default_rng(self.seed))\n"),
    Edit("Lloyd moves the caller's init centres in place", find="""        centers = centers.copy()
        for n_iter""", replace="""        for n_iter""",
         then=Edit("in place", find="            centers = new\n", replace="            centers[...] = new\n")),
    # the stopping rule
    Edit("stopping threshold from the variance of the flattened X",
         find="        threshold = self.tol * np.mean(np.var(X, axis=0))",
         replace="        threshold = self.tol * np.var(X)"),
    Edit("shift is the largest squared move of one centre, not the sum",
         find="            shift = float(((new - centers) ** 2).sum())",
         replace="            shift = float(((new - centers) ** 2).sum(axis=1).max())"),
    Edit("shift is the Euclidean norm of the move, not its square",
         find="            shift = float(((new - centers) ** 2).sum())",
         replace="            shift = float(np.sqrt(((new - centers) ** 2).sum()))"),
    Edit("converged run keeps the centres from before the last update",
         find="""            shift = float(((new - centers) ** 2).sum())
            centers = new
            if shift <= threshold:
                break""", replace="""            shift = float(((new - centers) ** 2).sum())
            if shift <= threshold:
                break
            centers = new"""),
    # the refill rule for empty clusters
    Edit("empty cluster takes the farthest row even when it is alone in its cluster",
         find="                    i = next(i for i in far if counts[labels[i]] > 1)",
         replace="                    i, far = far[0], far[1:]"),
    Edit("the moved row still counted in its old cluster's size",
         find="                    counts[labels[i]] -= 1\n", replace=""),
    Edit("fit without the n_clusters > N check", find="""        if self.n_clusters > len(X):
            raise ValueError(f"n_clusters={self.n_clusters} is more than the {len(X)} samples")
""", replace=""),
    # restarts
    Edit("restarts seeded seed + r instead of sharing one generator",
         find="""            rng = np.random.default_rng(self.seed)
            starts = [kmeans_plusplus(X, self.n_clusters, rng) for _ in range(self.n_init)]""",
         replace="""            starts = [kmeans_plusplus(X, self.n_clusters, np.random.default_rng(self.seed + r))
                      for r in range(self.n_init)]"""),
    Edit("on equal inertia the later run wins",
         find="        best = min((self._lloyd(X, c) for c in starts), key=lambda run: run[2])",
         replace="""        best = None
        for c in starts:
            run = self._lloyd(X, c)
            if best is None or run[2] <= best[2]:
                best = run"""),
    # the stopping rule's scale, another stopping rule, and restarts that are all the same run
    Edit("stopping threshold with the sample variance (ddof=1)",
         find="threshold = self.tol * np.mean(np.var(X, axis=0))",
         replace="threshold = self.tol * np.mean(np.var(X, axis=0, ddof=1))"),
    Edit("stopping threshold is tol itself, not scaled by the data",
         find="threshold = self.tol * np.mean(np.var(X, axis=0))", replace="threshold = self.tol"),
    Edit("Lloyd stops when the labels stop changing instead of on the shift",
         find="""            shift = float(((new - centers) ** 2).sum())
            centers = new
            if shift <= threshold:
                break""", replace="""            centers = new
            if n_iter > 1 and np.array_equal(labels, previous):
                break
            previous = labels.copy()"""),
    Edit("every restart seeds a new generator with the same seed (n_init identical runs)",
         find="starts = [kmeans_plusplus(X, self.n_clusters, rng) for _ in range(self.n_init)]",
         replace="starts = [kmeans_plusplus(X, self.n_clusters, np.random.default_rng(self.seed)) "
                 "for _ in range(self.n_init)]"),
    Edit("n_iter_ taken from the last run instead of the kept one",
         find="""        best = min((self._lloyd(X, c) for c in starts), key=lambda run: run[2])
        self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best""",
         replace="""        runs = [self._lloyd(X, c) for c in starts]
        best = min(runs, key=lambda run: run[2])
        self.cluster_centers_, self.labels_, self.inertia_ = best[:3]
        self.n_iter_ = runs[-1][3]"""),
]

ALTERNATIVES = [
    Edit("distances by broadcasting",
         find="""    d = (X * X).sum(axis=1)[:, None] - 2.0 * X @ centers.T + (centers * centers).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)""", replace="""    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)"""),
    Edit("centre update with a loop over clusters", find="""            new = np.zeros_like(centers)
            np.add.at(new, labels, X)
            new /= counts[:, None]""", replace="""            new = np.array([X[labels == j].mean(axis=0) for j in range(len(centers))])"""),
    Edit("k-means++ by inverse-CDF sampling on rng.random()",
         find="i = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))",
         replace="i = min(int(np.searchsorted(np.cumsum(closest), rng.random() * total, side='right')), len(X) - 1) "
                 "if total > 0 else rng.integers(len(X))"),
    Edit("stopping rule with X.var(0).mean() and np.square, explicit best-run loop",
         find="""        threshold = self.tol * np.mean(np.var(X, axis=0))""",
         replace="""        threshold = self.tol * X.var(axis=0).mean()""",
         then=Edit("square", find="            shift = float(((new - centers) ** 2).sum())",
                   replace="            shift = float(np.sum(np.square(new - centers)))",
                   then=Edit("loop",
                             find="        best = min((self._lloyd(X, c) for c in starts), key=lambda run: run[2])",
                             replace="""        best = None
        for c in starts:
            run = self._lloyd(X, c)
            if best is None or run[2] < best[2]:
                best = run"""))),
    Edit("empty clusters refilled through a boolean mask of eligible rows",
         find="""                far = np.argsort(dist[np.arange(len(X)), labels])[::-1]
                for j in np.flatnonzero(counts == 0):
                    i = next(i for i in far if counts[labels[i]] > 1)
                    counts[labels[i]] -= 1
                    labels[i], counts[j] = j, 1""",
         replace="""                own = dist[np.arange(len(X)), labels].copy()
                for j in range(len(centers)):
                    if counts[j]:
                        continue
                    eligible = counts[labels] > 1
                    i = int(np.flatnonzero(eligible)[np.argmax(own[eligible])])
                    counts[labels[i]] -= 1
                    labels[i], counts[j] = j, 1
                    own[i] = -np.inf"""),
    Edit("k-means++ first centre by rng.choice over the row indices, threshold via X.var(0).mean()",
         find="centers = [X[rng.integers(len(X))]]", replace="centers = [X[rng.choice(len(X))].copy()]",
         then=Edit("var", find="threshold = self.tol * np.mean(np.var(X, axis=0))",
                   replace="threshold = self.tol * X.var(axis=0).mean()")),
]
