"""Mutants and alternatives for Exercise 5.3 (CIFAR-10 statistics, augmentation, CifarNet)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("one mean and std over all channels together",
         find="    return v.mean(axis=0).astype(np.float32), v.std(axis=0).astype(np.float32)",
         replace="    c = X.shape[-1]\n    return np.full(c, v.mean(), np.float32), np.full(c, v.std(), np.float32)"),
    Edit("normalize recomputes the statistics of its own input (test-set statistics on the test set)",
         find="    v = (X.astype(np.float32) / 255.0 - mean.astype(np.float32))",
         replace="    mean, std = channel_stats(X)\n    v = (X.astype(np.float32) / 255.0 - mean.astype(np.float32))"),
    Edit("normalize keeps channels last (NHWC)", find="    return np.ascontiguousarray(v.transpose(0, 3, 1, 2), dtype=np.float32)",
         replace="    return np.ascontiguousarray(v, dtype=np.float32)"),
    Edit("flip along the height axis (upside down)", find="    out[flip] = out[flip, :, :, ::-1]",
         replace="    out[flip] = out[flip, :, ::-1, :]"),
    Edit("crop offsets drawn from [0, 4) only",
         find="    dy = rng.integers(0, 2 * PAD + 1, size=n)\n    dx = rng.integers(0, 2 * PAD + 1, size=n)",
         replace="    dy = rng.integers(0, PAD, size=n)\n    dx = rng.integers(0, PAD, size=n)"),
    Edit("one flip decision for the whole batch", find="    flip = rng.random(n) < 0.5",
         replace="    flip = np.full(n, rng.random() < 0.5)"),
    Edit("augmentation written into the caller's array", find="    out[flip] = out[flip, :, :, ::-1]\n    return out",
         replace="    out[flip] = out[flip, :, :, ::-1]\n    X[...] = out\n    return X"),
    Edit("reflect padding where the contract says zeros",
         find="    padded = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dtype=X.dtype)\n    padded[:, :, PAD:PAD + h, PAD:PAD + w] = X",
         replace="    padded = np.pad(X, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)), mode=\"reflect\")"),
    Edit("ReLU before BatchNorm", find="        return self.bn(self.conv(x)).relu()", replace="        return self.bn(self.conv(x).relu())"),
    Edit("global max pooling instead of the average", find="        return self.head(x.mean(axis=(2, 3)))",
         replace="        return self.head(x.max(axis=(2, 3)))"),
    Edit("residual block replaces its input instead of adding to it",
         find="            x = x + self.residual[1](self.residual[0](x))", replace="            x = self.residual[1](self.residual[0](x))"),
    Edit("no zero_grad: gradients accumulate across steps", find="        optimizer.zero_grad()\n", replace=""),
    Edit("evaluate in training mode", find="        correct += int((model(x)", replace="        with Context(TRAINING=1):\n            logits = model(x)\n        correct += int((logits"),
    Edit("flip and crop offsets from one shared uniform draw (right marginals, correlated)",
         find="    dy = rng.integers(0, 2 * PAD + 1, size=n)\n    dx = rng.integers(0, 2 * PAD + 1, size=n)\n"
              "    flip = rng.random(n) < 0.5\n",
         replace="    r = rng.random((2, n))\n    dy = (r[0] * (2 * PAD + 1)).astype(np.int64)\n"
                 "    dx = (r[1] * (2 * PAD + 1)).astype(np.int64)\n    flip = r[0] < 0.5\n"),
]

ALTERNATIVES = [
    Edit("augment one image at a time with np.pad and slicing", find="""    n, c, h, w = X.shape
    padded = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dtype=X.dtype)
    padded[:, :, PAD:PAD + h, PAD:PAD + w] = X
    dy = rng.integers(0, 2 * PAD + 1, size=n)
    dx = rng.integers(0, 2 * PAD + 1, size=n)
    flip = rng.random(n) < 0.5
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))   # (N, C, 9, 9, H, W), a view
    out = windows[np.arange(n), :, dy, dx]                        # (N, C, H, W), a new array
    out[flip] = out[flip, :, :, ::-1]
    return out""", replace="""    h, w = X.shape[2:]
    out = np.empty_like(X)
    for i, image in enumerate(X):
        padded = np.pad(image, ((0, 0), (PAD, PAD), (PAD, PAD)))
        top, left = rng.integers(0, 2 * PAD + 1, size=2)
        window = padded[:, top:top + h, left:left + w]
        out[i] = window[:, :, ::-1] if rng.random() < 0.5 else window
    return out"""),
    Edit("mirror first, then crop (the same law)", find="""    windows = sliding_window_view(padded, (h, w), axis=(2, 3))   # (N, C, 9, 9, H, W), a view
    out = windows[np.arange(n), :, dy, dx]                        # (N, C, H, W), a new array
    out[flip] = out[flip, :, :, ::-1]
    return out""", replace="""    padded[flip] = padded[flip, :, :, ::-1]
    rows = (dy[:, None] + np.arange(h))[:, None, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, None, :]
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]"""),
    Edit("step that realizes the loss, then calls optimizer.step()", find="        return loss.realize(*optimizer.schedule_step())",
         replace="        loss.realize()\n        optimizer.step()\n        return loss"),
]
