"""Mutants and alternatives for Exercise 2.6 (pipeline and learning curve)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("predict refits the transformers on the rows it predicts (leakage)",
         find="        for step in self.steps[:-1]:\n            X = step.transform(X)\n        return X",
         replace="        for step in self.steps[:-1]:\n            X = step.fit(X).transform(X)\n        return X"),
    Edit("every transformer fitted on the raw input", find="        for step in self.steps[:-1]:\n            X = step.fit(X).transform(X)\n        self.steps[-1].fit(X, y)",
         replace="        X0 = X\n        for step in self.steps[:-1]:\n            X = step.fit(X0).transform(X)\n        self.steps[-1].fit(X, y)"),
    Edit("model fitted on untransformed data", find="        for step in self.steps[:-1]:\n            X = step.fit(X).transform(X)\n        self.steps[-1].fit(X, y)",
         replace="        Z = X\n        for step in self.steps[:-1]:\n            Z = step.fit(Z).transform(Z)\n        self.steps[-1].fit(X, y)"),
    Edit("learning curve trains on the full set every time", find="        model.fit(X_train[:n], y_train[:n])",
         replace="        model.fit(X_train, y_train)"),
    Edit("learning curve train score on the whole training set", find="train_scores.append(metric(y_train[:n], model.predict(X_train[:n])))",
         replace="train_scores.append(metric(y_train, model.predict(X_train)))"),
    # state across calls
    Edit("a second fit keeps the transformers of the first",
         find="        for step in self.steps[:-1]:\n            X = step.fit(X).transform(X)\n        self.steps[-1].fit(X, y)",
         replace="        for step in self.steps[:-1]:\n            X = (step if getattr(self, 'fitted', False) else step.fit(X)).transform(X)\n"
                 "        self.fitted = True\n        self.steps[-1].fit(X, y)"),
    Edit("learning curve reuses one model for every size", find="        model = make_model()\n",
         replace="        model = model if train_scores else make_model()\n"),
    # conventions at the boundary: prefixes, sizes
    Edit("learning curve trains on a random subset instead of the first rows", find="        model.fit(X_train[:n], y_train[:n])",
         replace="        pick = np.random.default_rng(n).permutation(len(X_train))[:n]\n        model.fit(X_train[pick], y_train[pick])"),
    Edit("learning curve accepts a size of 0", find="        if not 1 <= n <= len(X_train):", replace="        if not 0 <= n <= len(X_train):"),
    # dtypes
    Edit("learning curve scores in the metric's own type", find="    return np.array(train_scores, dtype=np.float64), np.array(val_scores, dtype=np.float64)",
         replace="    return np.array(train_scores), np.array(val_scores)"),
    Edit("learning curve returns plain lists",
         find="    return np.array(train_scores, dtype=np.float64), np.array(val_scores, dtype=np.float64)",
         replace="    return [float(s) for s in train_scores], [float(s) for s in val_scores]"),
    # order of the transformers and of the sizes
    Edit("predict applies the transformers in reverse order",
         find="        for step in self.steps[:-1]:\n            X = step.transform(X)\n        return X",
         replace="        for step in reversed(self.steps[:-1]):\n"
                 "            X = step.transform(X)\n        return X"),
    Edit("learning curve sorts the sizes", find="    for n in sizes:", replace="    for n in sorted(sizes):"),
    Edit("learning curve drops repeated sizes", find="    for n in sizes:",
         replace="    for n in dict.fromkeys(sizes):"),
    Edit("validation score on the first n validation rows only",
         find="        val_scores.append(metric(y_val, model.predict(X_val)))",
         replace="        val_scores.append(metric(y_val[:n], model.predict(X_val[:n])))"),
    # score through probabilities, argument order of the metric, the transformers' own shortcuts
    Edit("score takes the argmax of predict_proba (needs predict_proba and labels 0..K-1)",
         find="return float(np.mean(self.predict(X) == np.asarray(y)))",
         replace="return float(np.mean(np.argmax(self.predict_proba(X), axis=1) == np.asarray(y)))"),
    Edit("learning curve calls metric(y_pred, y_true)",
         find="""        train_scores.append(metric(y_train[:n], model.predict(X_train[:n])))
        val_scores.append(metric(y_val, model.predict(X_val)))""",
         replace="""        train_scores.append(metric(model.predict(X_train[:n]), y_train[:n]))
        val_scores.append(metric(model.predict(X_val), y_val))"""),
    Edit("fit calls each transformer's fit_transform (not part of the transformer interface)",
         find="            X = step.fit(X).transform(X)", replace="            X = step.fit_transform(X)"),
]

ALTERNATIVES = [
    Edit("fit_transform-free fit with an explicit index loop",
         find="        for step in self.steps[:-1]:\n            X = step.fit(X).transform(X)\n        self.steps[-1].fit(X, y)",
         replace="        for i in range(len(self.steps) - 1):\n            self.steps[i].fit(X)\n            X = self.steps[i].transform(X)\n        self.steps[-1].fit(X, y)"),
    Edit("score via np.count_nonzero", find="        return float(np.mean(self.predict(X) == np.asarray(y)))",
         replace="        y = np.asarray(y)\n        return np.count_nonzero(self.predict(X) == y) / len(y)"),
    Edit("transform by reduce over the fitted transformers",
         find="        for step in self.steps[:-1]:\n            X = step.transform(X)\n        return X",
         replace="        import functools\n"
                 "        return functools.reduce(lambda Z, step: step.transform(Z), self.steps[:-1], X)"),
    Edit("learning curve validating every size first, filling preallocated arrays",
         find="""    train_scores, val_scores = [], []
    for n in sizes:
        if not 1 <= n <= len(X_train):
            raise ValueError(f"size {n} outside 1..{len(X_train)}")
        model = make_model()
        model.fit(X_train[:n], y_train[:n])
        train_scores.append(metric(y_train[:n], model.predict(X_train[:n])))
        val_scores.append(metric(y_val, model.predict(X_val)))
    return np.array(train_scores, dtype=np.float64), np.array(val_scores, dtype=np.float64)""",
         replace="""    sizes = [int(n) for n in sizes]
    if any(n < 1 or n > len(X_train) for n in sizes):
        raise ValueError("every size must be in 1..len(X_train)")
    train_scores, val_scores = np.empty(len(sizes)), np.empty(len(sizes))
    for i, n in enumerate(sizes):
        Xn, yn = X_train[:n], y_train[:n]
        model = make_model()
        model.fit(Xn, yn)
        train_scores[i] = metric(yn, model.predict(Xn))
        val_scores[i] = metric(y_val, model.predict(X_val))
    return train_scores, val_scores"""),
    Edit("score as the count of matches over the number of rows",
         find="return float(np.mean(self.predict(X) == np.asarray(y)))",
         replace="y = np.asarray(y)\n        return float(np.sum(np.asarray(self.predict(X)) == y)) / len(y)"),
]
