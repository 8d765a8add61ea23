"""Mutants and alternatives for Exercise 2.2 (preprocessing and evaluation)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("scaler transform refits on the data it transforms (test-set leakage)",
         find="        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_",
         replace="        X = np.asarray(X, dtype=np.float64)\n        return (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)"),
    Edit("constant column divides by zero", find="        self.scale_ = np.where(constant, 1.0, std)", replace="        self.scale_ = std"),
    Edit("sample std (ddof=1) instead of population std", find="        std = X.std(axis=0)", replace="        std = X.std(axis=0, ddof=1)"),
    Edit("min-max scaled by the max instead of the range", find="        span = X.max(axis=0) - self.data_min_",
         replace="        span = X.max(axis=0)"),
    Edit("stratified split ignores stratify",
         find="    if stratify:\n", replace="    if False:\n"),
    Edit("test split rounded down", find="test = rng.permutation(len(X))[: int(np.ceil(test_size * len(X)))]",
         replace="test = rng.permutation(len(X))[: int(test_size * len(X))]"),
    Edit("KFold puts the remainder in the last fold", find="        sizes[: n_samples % self.n_splits] += 1",
         replace="        sizes[-1] += n_samples % self.n_splits"),
    Edit("cross_val_score scores on the training fold", find="scores.append(metric(y[test], model.predict(X[test])))",
         replace="scores.append(metric(y[train], model.predict(X[train])))"),
    Edit("precision and recall swapped", find="    precision = tp / (tp + fp) if tp + fp else 0.0\n    recall = tp / (tp + fn) if tp + fn else 0.0",
         replace="    precision = tp / (tp + fn) if tp + fn else 0.0\n    recall = tp / (tp + fp) if tp + fp else 0.0"),
    Edit("confusion matrix transposed (rows = predicted)", find="    np.add.at(C, (t, p), 1)", replace="    np.add.at(C, (p, t), 1)"),
    # the law of the split: random rows, shuffled order
    Edit("split takes the last rows as the test split", find="test = rng.permutation(len(X))[: int(np.ceil(test_size * len(X)))]",
         replace="test = np.arange(len(X))[len(X) - int(np.ceil(test_size * len(X))):]"),
    Edit("split returns the rows in their original order",
         find="    train = rng.permutation(np.flatnonzero(~is_test))\n    test = rng.permutation(test)\n",
         replace="    train = np.flatnonzero(~is_test)\n    test = np.flatnonzero(is_test)\n"),
    Edit("stratified split takes each class's first rows", find="            rows = rng.permutation(np.flatnonzero(y == c))",
         replace="            rows = np.flatnonzero(y == c)"),
    Edit("stratified split leaves the test rows grouped by class", find="    test = rng.permutation(test)\n",
         replace="    test = test if stratify else rng.permutation(test)\n"),
    # boundaries
    Edit("stratified split rounds halves up", find="test.append(rows[: int(round(test_size * len(rows)))])",
         replace="test.append(rows[: int(test_size * len(rows) + 0.5)])"),
    Edit("test_size = 0 accepted", find="    if not 0 < test_size < 1:", replace="    if not 0 <= test_size < 1:"),
    Edit("KFold accepts a single fold", find="        if not 2 <= self.n_splits <= n_samples:",
         replace="        if not 1 <= self.n_splits <= n_samples:"),
    Edit("constant columns found by std > 0 (misses rounding noise)", find="        self.scale_ = np.where(constant, 1.0, std)",
         replace="        self.scale_ = np.where(std > 0, std, 1.0)"),
    # dtypes
    Edit("split converts X and y to float", find="    X, y = np.asarray(X), np.asarray(y)\n    if not 0 < test_size",
         replace="    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)\n    if not 0 < test_size"),
    Edit("StandardScaler keeps float32 statistics", find="""        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)""", replace="""        X = np.asarray(X)
        self.mean_ = X.mean(axis=0)"""),
    Edit("cross_val_score returns the metric's own type", find="    return np.array(scores, dtype=np.float64)\n",
         replace="    return np.array(scores)\n"),
    # state across calls
    Edit("one model reused across the folds", find="""        model = make_model()
        model.fit(X[train], y[train])""", replace="""        model = model if scores else make_model()
        model.fit(X[train], y[train])"""),
    Edit("KFold draws its permutation from a generator kept between calls",
         find="        order = np.random.default_rng(self.seed).permutation(n_samples) if self.shuffle else np.arange(n_samples)",
         replace="        self._rng = getattr(self, '_rng', None) or np.random.default_rng(self.seed)\n"
                 "        order = self._rng.permutation(n_samples) if self.shuffle else np.arange(n_samples)"),
    Edit("MinMaxScaler fits only once", find="""        X = np.asarray(X, dtype=np.float64)
        self.data_min_ = X.min(axis=0)""", replace="""        X = np.asarray(X, dtype=np.float64)
        if self.data_min_ is not None:
            return self
        self.data_min_ = X.min(axis=0)"""),
    Edit("StandardScaler.transform centres the caller's array in place",
         find="        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_",
         replace="        X = np.asarray(X, dtype=np.float64)\n        X -= self.mean_\n        X /= self.scale_\n        return X"),
    # constant columns told apart by a tolerance (a tiny but real spread is not constant)
    Edit("constant columns found by std < 1e-8", find="        self.scale_ = np.where(constant, 1.0, std)",
         replace="        self.scale_ = np.where(std < 1e-8, 1.0, std)"),
    Edit("constant columns found by np.isclose to the first row", find="        constant = np.all(X == X[:1], axis=0)",
         replace="        constant = np.all(np.isclose(X, X[:1]), axis=0)"),
    Edit("min-max range treated as 0 below 1e-8", find="        self.data_range_ = np.where(span > 0, span, 1.0)",
         replace="        self.data_range_ = np.where(span > 1e-8, span, 1.0)"),
    # inverses and unfitted scalers
    Edit("min-max inverse ignores feature_range",
         find="        return (np.asarray(Z, dtype=np.float64) - lo) / (hi - lo) * self.data_range_ + self.data_min_",
         replace="        return np.asarray(Z, dtype=np.float64) * self.data_range_ + self.data_min_"),
    Edit("StandardScaler.inverse_transform before fit is not a NotFittedError", find="""        if self.mean_ is None:
            raise NotFittedError("StandardScaler.inverse_transform called before fit")
""", replace=""),
    # checks and conventions
    Edit("split without the len(X) == len(y) check", find="""    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
""", replace=""),
    Edit("confusion matrix sized by y_true alone",
         find="    k = n_classes if n_classes is not None else int(max(t.max(initial=-1), p.max(initial=-1))) + 1",
         replace="    k = n_classes if n_classes is not None else int(t.max()) + 1"),
    Edit("confusion matrix by fancy-index += (repeated pairs counted once)", find="    np.add.at(C, (t, p), 1)",
         replace="    C[t, p] += 1"),
    Edit("F1 as the arithmetic mean of precision and recall",
         find="    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0",
         replace="    f1 = (precision + recall) / 2"),
    # clipping, the constant column on the way back, argument order, cancellation, in-place scaling
    Edit("MinMaxScaler clips its output to feature_range",
         find="return lo + (np.asarray(X, dtype=np.float64) - self.data_min_) / self.data_range_ * (hi - lo)",
         replace="return np.clip(lo + (np.asarray(X, dtype=np.float64) - self.data_min_) / self.data_range_ "
                 "* (hi - lo), min(lo, hi), max(lo, hi))"),
    Edit("StandardScaler.inverse_transform multiplies by the raw std (0 for a constant column)",
         find="        self.scale_ = np.where(constant, 1.0, std)\n",
         replace="        self.scale_ = np.where(constant, 1.0, std)\n        self.std_ = std\n",
         then=Edit("inverse", find="return np.asarray(Z, dtype=np.float64) * self.scale_ + self.mean_",
                   replace="return np.asarray(Z, dtype=np.float64) * self.std_ + self.mean_")),
    Edit("cross_val_score calls metric(y_pred, y_true)",
         find="scores.append(metric(y[test], model.predict(X[test])))",
         replace="scores.append(metric(model.predict(X[test]), y[test]))"),
    Edit("StandardScaler std as sqrt(E[x^2] - mean^2) (cancels for a large mean)",
         find="        std = X.std(axis=0)\n",
         replace="        std = np.sqrt(np.maximum((X * X).mean(axis=0) - self.mean_ ** 2, 0.0))\n"),
    Edit("MinMaxScaler.transform scales the caller's float64 array in place",
         find="return lo + (np.asarray(X, dtype=np.float64) - self.data_min_) / self.data_range_ * (hi - lo)",
         replace="X = np.asarray(X, dtype=np.float64)\n        X -= self.data_min_\n        X /= self.data_range_\n"
                 "        X *= hi - lo\n        X += lo\n        return X"),
]

ALTERNATIVES = [
    Edit("confusion matrix with bincount", find="    C = np.zeros((k, k), dtype=np.int64)\n    np.add.at(C, (t, p), 1)\n    return C",
         replace="    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)"),
    Edit("KFold with np.array_split", find="""        sizes = np.full(self.n_splits, n_samples // self.n_splits)
        sizes[: n_samples % self.n_splits] += 1
        start = 0
        for size in sizes:
            test = order[start:start + size]
            train = np.concatenate([order[:start], order[start + size:]])
            yield train, test
            start += size""",
         replace="""        for test in np.array_split(order, self.n_splits):
            yield np.setdiff1d(order, test), test"""),
    Edit("std computed by hand", find="        std = X.std(axis=0)", replace="        std = np.sqrt(((X - self.mean_) ** 2).mean(axis=0))"),
    Edit("constant columns found with np.ptp, stratified counts with np.round",
         find="        constant = np.all(X == X[:1], axis=0)", replace="        constant = np.ptp(X, axis=0) == 0",
         then=Edit("np.round", find="test.append(rows[: int(round(test_size * len(rows)))])",
                   replace="test.append(rows[: int(np.round(test_size * len(rows)))])")),
    Edit("F1 from the counts, confusion matrix by a loop",
         find="    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0",
         replace="    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0",
         then=Edit("loop", find="    np.add.at(C, (t, p), 1)",
                   replace="    for i, j in zip(t, p):\n        C[i, j] += 1")),
    Edit("min-max inverse through the unit interval",
         find="        return (np.asarray(Z, dtype=np.float64) - lo) / (hi - lo) * self.data_range_ + self.data_min_",
         replace="        unit = (np.asarray(Z, dtype=np.float64) - lo) / (hi - lo)\n"
                 "        return self.data_min_ + unit * self.data_range_"),
    Edit("KFold shuffling an arange in place, train indices from np.setdiff1d (sorted)",
         find="order = np.random.default_rng(self.seed).permutation(n_samples) if self.shuffle "
              "else np.arange(n_samples)",
         replace="order = np.arange(n_samples)\n        if self.shuffle:\n"
                 "            np.random.default_rng(self.seed).shuffle(order)",
         then=Edit("setdiff", find="train = np.concatenate([order[:start], order[start + size:]])",
                   replace="train = np.setdiff1d(order, test)")),
]
