"""Mutants and alternatives for Exercise 2.4 (linear, logistic and softmax regression)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("linear regression gradient missing 1/N", find="grad_w = X.T @ r / n + self.l1 * np.sign(w) + self.l2 * w",
         replace="grad_w = X.T @ r + self.l1 * np.sign(w) + self.l2 * w"),
    Edit("L2 penalty also applied to the intercept", find="w, b = w - self.lr * grad_w, b - self.lr * r.mean()",
         replace="w, b = w - self.lr * grad_w, b - self.lr * (r.mean() + self.l2 * b)"),
    Edit("L1 term ignored in the gradient", find="grad_w = X.T @ r / n + self.l1 * np.sign(w) + self.l2 * w",
         replace="grad_w = X.T @ r / n + self.l2 * w"),
    Edit("logistic gradient uses y - p (ascent)", find="            r = sigmoid(z) - y\n",
         replace="            r = y - sigmoid(z)\n"),
    Edit("logistic loss history with a naive log(sigmoid)",
         find="            bce = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))",
         replace="            p = sigmoid(z)\n            bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))"),
    Edit("softmax intercept gradient summed instead of averaged",
         find="b - self.lr * R.mean(axis=0)", replace="b - self.lr * R.sum(axis=0)"),
    Edit("softmax weight gradient divided by K as well as N", find="W - self.lr * (X.T @ R / n + self.l2 * W)",
         replace="W - self.lr * (X.T @ R / n / k + self.l2 * W)"),
    Edit("predict thresholds the probability at 0 (the logit's threshold)", find="return (self.predict_proba(X) >= 0.5).astype(np.int64)",
         replace="return (self.predict_proba(X) >= 0).astype(np.int64)"),
    # extremes
    Edit("softmax regression loss from the log of the probabilities", find="""            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))""",
         replace="""            log_p = np.log(np.exp(X @ W + b) / np.exp(X @ W + b).sum(axis=1, keepdims=True))"""),
    # boundaries
    Edit("logistic predict with a strict > 0.5", find="return (self.predict_proba(X) >= 0.5).astype(np.int64)",
         replace="return (self.predict_proba(X) > 0.5).astype(np.int64)"),
    Edit("softmax predict breaks ties towards the highest class",
         find="        return np.argmax(self.predict_proba(X), axis=1).astype(np.int64)",
         replace="        P = self.predict_proba(X)\n        return (P.shape[1] - 1 - np.argmax(P[:, ::-1], axis=1)).astype(np.int64)"),
    Edit("L1 subgradient +1 at w = 0", find="grad_w = X.T @ r / n + self.l1 * np.sign(w) + self.l2 * w",
         replace="grad_w = X.T @ r / n + self.l1 * np.where(w >= 0, 1.0, -1.0) + self.l2 * w"),
    # dtypes
    Edit("logistic predict returns booleans", find="return (self.predict_proba(X) >= 0.5).astype(np.int64)",
         replace="return self.predict_proba(X) >= 0.5"),
    Edit("intercept kept as a NumPy scalar", find="""        self.coef_, self.intercept_ = w, float(b)
        return self
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        \"\"\"X coef_""", replace="""        self.coef_, self.intercept_ = w, np.float32(b)
        return self
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        \"\"\"X coef_"""),
    # state across fits
    Edit("loss history not reset by a second fit", find="""        w, b = np.zeros(d), 0.0
        self.loss_history_ = []
        for _ in range(self.n_iters):
            r = X @ w + b - y""", replace="""        w, b = np.zeros(d), 0.0
        for _ in range(self.n_iters):
            r = X @ w + b - y"""),
    Edit("logistic regression warm-starts from the previous fit", find="""        w, b = np.zeros(d), 0.0
        self.loss_history_ = []
        for _ in range(self.n_iters):
            z = X @ w + b""", replace="""        w, b = (self.coef_.copy(), self.intercept_) if self.coef_ is not None and self.coef_.shape == (d,) else (np.zeros(d), 0.0)
        self.loss_history_ = []
        for _ in range(self.n_iters):
            z = X @ w + b"""),
    Edit("softmax regression fixes n_classes at the first fit", find="        k = self.n_classes or int(y.max()) + 1",
         replace="        k = self.n_classes = self.n_classes or int(y.max()) + 1"),
    Edit("linear regression sets coef_ inside the loop (n_iters=0 leaves it unfitted)",
         find="""            w, b = w - self.lr * grad_w, b - self.lr * r.mean()
        self.coef_, self.intercept_ = w, float(b)""",
         replace="""            w, b = w - self.lr * grad_w, b - self.lr * r.mean()
            self.coef_, self.intercept_ = w, float(b)"""),
    Edit("linear regression's intercept step uses the already-updated weights",
         find="            w, b = w - self.lr * grad_w, b - self.lr * r.mean()",
         replace="            w = w - self.lr * grad_w\n            b = b - self.lr * (X @ w + b - y).mean()"),
    Edit("R^2 centred on the mean prediction instead of the mean target",
         find="        return float(1.0 - residual @ residual / np.sum((y - y.mean()) ** 2))",
         replace="        return float(1.0 - residual @ residual / np.sum((y - self.predict(X).mean()) ** 2))"),
    # classes
    Edit("softmax K is the number of distinct labels", find="        k = self.n_classes or int(y.max()) + 1",
         replace="        k = self.n_classes or len(np.unique(y))"),
    Edit("softmax relabels the classes that occur to 0..K'-1",
         find="        k = self.n_classes or int(y.max()) + 1\n        T = np.eye(k)[y]",
         replace="        classes, y = np.unique(y, return_inverse=True)\n"
                 "        k = self.n_classes or len(classes)\n        T = np.eye(k)[y]"),
    # extremes and unfitted models
    Edit("softmax predict_proba without the max shift",
         find="        return softmax(np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_)",
         replace="        e = np.exp(np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_)\n"
                 "        return e / e.sum(axis=1, keepdims=True)"),
    Edit("logistic predict_proba before fit is not a NotFittedError (only predict checks)",
         find="""        if self.coef_ is None:
            raise NotFittedError("LogisticRegression.predict_proba called before fit")
""", replace="", then=Edit("check moved into predict",
                              find="        return (self.predict_proba(X) >= 0.5).astype(np.int64)",
                              replace="        if self.coef_ is None:\n"
                                      "            raise NotFittedError(\"not fitted\")\n"
                                      "        return (self.predict_proba(X) >= 0.5).astype(np.int64)")),
    Edit("softmax predict_proba before fit is not a NotFittedError",
         find="""        if self.coef_ is None:
            raise NotFittedError("SoftmaxRegression.predict_proba called before fit")
""", replace=""),
    # the order of the two updates, and penalties in the loss or the gradient
    Edit("linear regression updates b with the residual of the new w (sequential, not simultaneous)",
         find="            w, b = w - self.lr * grad_w, b - self.lr * r.mean()",
         replace="            w = w - self.lr * grad_w\n            b = b - self.lr * (X @ w + b - y).mean()"),
    Edit("softmax loss history without the L2 term",
         find="self.loss_history_.append(float(-np.sum(T * log_p) / n + 0.5 * self.l2 * np.sum(W * W)))",
         replace="self.loss_history_.append(float(-np.sum(T * log_p) / n))"),
    Edit("logistic L2 gradient with a factor 1/2 (the 1/2 of the penalty kept)",
         find="w, b = w - self.lr * (X.T @ r / n + self.l2 * w), b - self.lr * r.mean()",
         replace="w, b = w - self.lr * (X.T @ r / n + 0.5 * self.l2 * w), b - self.lr * r.mean()"),
]

ALTERNATIVES = [
    Edit("linear regression with the intercept folded into an augmented X",
         find="""        n, d = X.shape
        w, b = np.zeros(d), 0.0
        self.loss_history_ = []
        for _ in range(self.n_iters):
            r = X @ w + b - y""",
         replace="""        n, d = X.shape
        Xa = np.hstack([X, np.ones((n, 1))])
        theta = np.zeros(d + 1)
        w, b = theta[:d], 0.0
        self.loss_history_ = []
        for _ in range(self.n_iters):
            w, b = theta[:d], theta[d]
            r = Xa @ theta - y""",
         then=Edit("augmented update", find="            w, b = w - self.lr * grad_w, b - self.lr * r.mean()\n",
                   replace="            theta = theta - self.lr * np.append(grad_w, r.mean())\n        w, b = theta[:d], theta[d]\n")),
    Edit("logistic loss with np.logaddexp",
         find="            bce = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))",
         replace="            bce = np.mean(np.logaddexp(0.0, z) - z * y)"),
    Edit("softmax K from np.bincount and the gradient as a sum over rows",
         find="        k = self.n_classes or int(y.max()) + 1",
         replace="        k = self.n_classes or len(np.bincount(y))",
         then=Edit("einsum gradient", find="W - self.lr * (X.T @ R / n + self.l2 * W)",
                   replace="W - self.lr * (np.einsum('nd,nk->dk', X, R) / n + self.l2 * W)")),
    Edit("softmax one-hot via fancy assignment", find="        T = np.eye(k)[y]",
         replace="        T = np.zeros((n, k))\n        T[np.arange(n), y] = 1.0"),
    Edit("linear regression gradient as a column mean of per-row products",
         find="            grad_w = X.T @ r / n + self.l1 * np.sign(w) + self.l2 * w",
         replace="            grad_w = (X * r[:, None]).mean(axis=0) + self.l1 * np.sign(w) + self.l2 * w"),
]
