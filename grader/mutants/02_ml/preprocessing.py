"""Mutants and alternatives for Exercise 2.2 (preprocessing and evaluation)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("scaler transform refits on the data it transforms (test-set leakage)",
         find="        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_",
         replace="        X = np.asarray(X, dtype=np.float64)\n        return (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)"),
    Edit("constant column divides by zero", find="        self.scale_ = np.where(std > 0, std, 1.0)", replace="        self.scale_ = std"),
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
]
