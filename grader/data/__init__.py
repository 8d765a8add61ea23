"""Datasets for milestones and lessons, as NumPy arrays.

Image and text sets (files verified by sha256 before use; see `grader.data.store` for where
they are looked for and `datasets/manifest.toml` for what they are):

    mnist(subset=None, seed=0)           ->  X_train, y_train, X_test, y_test
    fashion_mnist(subset=None, seed=0)   ->  same: X uint8 [N, 28, 28] (0..255), y int64 [N] (0..9)
    cifar10(subset=None, seed=0, full=False)
                                         ->  X uint8 [N, 32, 32, 3] channels-last (NHWC), y int64 [N];
                                             class names in CIFAR10_CLASSES
    tiny_shakespeare()                   ->  train_text, val_text (first 90% / last 10% of characters)

Small tabular sets that ship inside scikit-learn (work offline everywhere):
    diabetes(), breast_cancer(), digits(), iris()  ->  (X float64 [N, D], y [N])

`subset=k` keeps a deterministic, class-stratified sample of k training examples and
min(n_test, max(100, k // 6)) test examples (each class keeps its share, up to rounding), in
the original order; the same (k, seed) always gives the same sample. `to_tensors(*mnist())`
turns the arrays into tinygrad Tensors in one line.

Offline use: set GRADSCHOOL_DATA_MIRROR to a directory laid out like `mnist/…gz`,
`fashion-mnist/…gz`, `cifar-10-batches-py/…`, `tinyshakespeare/input.txt`. Missing data raises
DataUnavailable, which says what is missing and how to provide it.
"""
from __future__ import annotations

import warnings

import numpy as np

from grader.data import formats, store
from grader.data.store import DataUnavailable, DataWarning

__all__ = ["mnist", "fashion_mnist", "cifar10", "tiny_shakespeare", "CIFAR10_CLASSES", "to_tensors",
           "stratified_subset", "DataUnavailable", "DataWarning",
           "diabetes", "breast_cancer", "digits", "iris"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
VAL_FRACTION = 0.1

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


# ------------------------------------------------------------------ subsets and tensors

def stratified_subset(y: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of a class-stratified random sample of size k from labels `y`.

    Class c (n_c of the N labels) gets floor(k * n_c / N) places; the places left over by the
    rounding go to the classes with the largest fractional parts (ties: smaller class label
    first). Within a class the members are drawn without replacement by a Generator seeded
    with `seed`. Raises ValueError unless 1 <= k <= N.
    """
    y = np.asarray(y)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= len(y):
        raise ValueError(f"subset must be an integer between 1 and {len(y)}, got {k!r}")
    classes, counts = np.unique(y, return_counts=True)
    exact = k * counts / len(y)
    take = np.floor(exact).astype(np.int64)
    order = np.lexsort((classes, -(exact - take)))        # largest remainder first, then label
    take[order[: k - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(y == c), size=n, replace=False) for c, n in zip(classes, take)]
    return np.sort(np.concatenate(picks))


def _subset(arrays: Arrays, subset: int | None, seed: int) -> Arrays:
    X_train, y_train, X_test, y_test = arrays
    if subset is None:
        return arrays
    tr = stratified_subset(y_train, subset, seed)
    te = stratified_subset(y_test, min(len(y_test), max(100, subset // 6)), seed + 1)
    return X_train[tr], y_train[tr], X_test[te], y_test[te]


def to_tensors(*arrays):
    """NumPy arrays -> tinygrad Tensors (same shapes and dtypes): `Xtr, ytr, Xte, yte = to_tensors(*mnist())`.

    Returns a single Tensor for a single array, otherwise a tuple.
    """
    from tinygrad import Tensor
    out = []
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"to_tensors takes numeric arrays, got dtype {a.dtype}")
        out.append(Tensor(np.ascontiguousarray(a)))
    return out[0] if len(out) == 1 else tuple(out)


# ------------------------------------------------------------------ image and text sets

def _idx_set(name: str, subset: int | None, seed: int) -> Arrays:
    p = store.require(name)
    arrays = (formats.read_idx(p["train-images-idx3-ubyte.gz"]),
              formats.read_idx(p["train-labels-idx1-ubyte.gz"]).astype(np.int64),
              formats.read_idx(p["t10k-images-idx3-ubyte.gz"]),
              formats.read_idx(p["t10k-labels-idx1-ubyte.gz"]).astype(np.int64))
    return _subset(arrays, subset, seed)


def mnist(subset: int | None = None, seed: int = 0) -> Arrays:
    """MNIST digits: X_train uint8 [60000, 28, 28], y_train int64 [60000], X_test [10000, 28, 28], y_test.

    Pixels are 0 (background) .. 255 (ink); labels are the digits 0..9.
    """
    return _idx_set("mnist", subset, seed)


def fashion_mnist(subset: int | None = None, seed: int = 0) -> Arrays:
    """Fashion-MNIST: same shapes and dtypes as mnist(); labels 0..9 are T-shirt/top, Trouser,
    Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot."""
    return _idx_set("fashion_mnist", subset, seed)


def cifar10(subset: int | None = None, seed: int = 0, full: bool = False) -> Arrays:
    """CIFAR-10: X uint8 [N, 32, 32, 3] (channels-last, RGB), y int64 [N] indexing CIFAR10_CLASSES.

    full=True needs all five training batches (50,000 images) and raises DataUnavailable naming
    the batches it cannot find or download. full=False (quick runs) uses the training batches
    that are present, in order, with a DataWarning saying which are missing; only when none is
    present does it fetch the dataset. The test set is always the 10,000 images of test_batch.
    """
    if full:
        p = store.require("cifar10", [*CIFAR10_TRAIN_BATCHES, "test_batch"])
        batches = list(CIFAR10_TRAIN_BATCHES)
    else:
        ds = store.dataset("cifar10")
        present = {b: store.locate(ds.file(b)).path for b in CIFAR10_TRAIN_BATCHES}
        batches = [b for b in CIFAR10_TRAIN_BATCHES if present[b] is not None]
        if batches:
            p = {**present, **store.require("cifar10", ["test_batch"])}
        else:  # nothing here yet: one archive download brings every batch
            p = store.require("cifar10", [*CIFAR10_TRAIN_BATCHES, "test_batch"])
            batches = list(CIFAR10_TRAIN_BATCHES)
        absent = [b for b in CIFAR10_TRAIN_BATCHES if b not in batches]
        if absent:
            warnings.warn(f"CIFAR-10: training on {len(batches)} of 5 batches ({', '.join(batches)}: "
                          f"{10000 * len(batches):,} images); missing {', '.join(absent)}. "
                          "cifar10(full=True) needs them: `grader data fetch cifar10`.", DataWarning, stacklevel=2)
    parts = [formats.read_cifar_batch(p[b]) for b in batches]
    X_train = parts[0][0] if len(parts) == 1 else np.concatenate([x for x, _ in parts])
    y_train = parts[0][1] if len(parts) == 1 else np.concatenate([y for _, y in parts])
    X_test, y_test = formats.read_cifar_batch(p["test_batch"])
    return _subset((X_train, y_train, X_test, y_test), subset, seed)


def tiny_shakespeare() -> tuple[str, str]:
    """The tiny shakespeare text split by characters: (first 90%, last 10%).

    The split point is int(0.9 * len(text)) = 1,003,854 of 1,115,394 characters; it is fixed,
    so validation text is never seen in training.
    """
    text = store.require("tiny_shakespeare")["input.txt"].read_text(encoding="utf-8")
    cut = int((1 - VAL_FRACTION) * len(text))
    return text[:cut], text[cut:]


# ------------------------------------------------------------------ scikit-learn's bundled sets

def _sklearn(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets as skd
    bunch = getattr(skd, f"load_{name}")()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def diabetes():
    """442 patients, 10 standardized features, target: disease progression after one year (float)."""
    return _sklearn("diabetes")


def breast_cancer():
    """569 tumours, 30 features, target: 1 benign / 0 malignant (int)."""
    return _sklearn("breast_cancer")


def digits():
    """1797 8x8 handwritten digits flattened to 64 features in 0..16, target 0..9 (int)."""
    return _sklearn("digits")


def iris():
    """150 flowers, 4 features, target: 3 species (int)."""
    return _sklearn("iris")
