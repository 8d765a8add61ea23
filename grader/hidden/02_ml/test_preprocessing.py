"""Hidden checks for Exercise 2.2: learner vs reference on inputs the visible tests do not use."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("2.2"), reference("2.2")
rng = np.random.default_rng(22)
TRAIN = rng.normal(loc=[5.0, -2.0, 0.0, 7.0], scale=[2.0, 0.5, 1.0, 0.0], size=(40, 4))
TEST = rng.normal(loc=[1.0, 3.0, 2.0, 9.0], scale=[5.0, 2.0, 3.0, 1.0], size=(9, 4))  # other statistics


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_scaler_fit_then_transform_other_data(name):
    a, b = getattr(mine, name)().fit(TRAIN), getattr(ref, name)().fit(TRAIN)
    assert_matches(a.transform(TRAIN), b.transform(TRAIN), what=f"{name}.fit(train).transform(train), constant 4th column", rtol=1e-9, atol=1e-12)
    # the test split must be transformed with the TRAINING statistics; refitting on it leaks the test set
    got = a.transform(TEST)
    if np.allclose(got, getattr(ref, name)().fit(TEST).transform(TEST), atol=1e-9):
        raise Mismatch(f"{name}.transform(test) used statistics of the test data itself: transform must apply "
                       "the statistics stored by fit (on the training split), never recompute them")
    assert_matches(got, b.transform(TEST), what=f"{name}.fit(train).transform(test)", rtol=1e-9, atol=1e-12)
    assert_matches(a.inverse_transform(got), TEST, what=f"{name}.inverse_transform(transform(test))", rtol=1e-9, atol=1e-9)


def test_scaler_statistics_and_feature_range():
    a, b = mine.StandardScaler().fit(TRAIN), ref.StandardScaler().fit(TRAIN)
    assert_matches(a.mean_, b.mean_, what="StandardScaler.mean_", rtol=1e-9)
    assert_matches(a.scale_, b.scale_, what="StandardScaler.scale_ (population std, zero replaced by 1)", rtol=1e-9)
    a, b = mine.MinMaxScaler((-2.0, 3.0)).fit(TRAIN), ref.MinMaxScaler((-2.0, 3.0)).fit(TRAIN)
    assert_matches(a.transform(TEST), b.transform(TEST), what="MinMaxScaler(feature_range=(-2, 3)).transform(test)", rtol=1e-9, atol=1e-12)
    assert_raises(mine.NotFittedError, mine.MinMaxScaler().transform, TEST, what="MinMaxScaler.transform before fit")


@pytest.mark.parametrize("n, test_size", [(17, 0.2), (50, 0.33), (9, 0.5)])
def test_split_partitions_rows(n, test_size):
    X, y = np.arange(n * 2).reshape(n, 2), np.arange(n)
    X_tr, X_te, y_tr, y_te = mine.train_test_split(X, y, test_size=test_size, seed=3)
    r = ref.train_test_split(X, y, test_size=test_size, seed=3)
    assert_matches(len(y_te), len(r[3]), what=f"test split size for N={n}, test_size={test_size}")
    assert_matches(np.sort(np.concatenate([y_tr, y_te])), np.arange(n), what="all rows, each exactly once, across the two splits")
    assert_matches(X_te[:, 0] // 2, y_te, what="X_test rows paired with y_test")
    again = mine.train_test_split(X, y, test_size=test_size, seed=3)[3]
    assert_matches(again, y_te, what="the test split for the same seed twice")
    other = mine.train_test_split(X, y, test_size=test_size, seed=4)[3]
    if np.array_equal(np.sort(other), np.sort(y_te)) and n > 9:
        raise Mismatch("train_test_split: seeds 3 and 4 give the same test rows (is the seed used?)")
    assert_raises(ValueError, mine.train_test_split, X, y, 1.0, what="train_test_split with test_size=1.0")


def test_stratified_split_per_class_counts():
    y = np.repeat([0, 1, 2], [30, 7, 13])
    X = np.arange(50)[:, None]
    _, _, y_tr, y_te = mine.train_test_split(X, y, test_size=0.3, seed=5, stratify=True)
    _, _, r_tr, r_te = ref.train_test_split(X, y, test_size=0.3, seed=5, stratify=True)
    assert_matches(np.bincount(y_te, minlength=3), np.bincount(r_te, minlength=3), what="per-class counts in the stratified test split")
    assert_matches(np.bincount(y_tr, minlength=3), np.bincount(r_tr, minlength=3), what="per-class counts in the stratified train split")


@pytest.mark.parametrize("n, k, shuffle", [(11, 4, False), (23, 5, True), (6, 6, False)])
def test_kfold_matches_reference(n, k, shuffle):
    got = list(mine.KFold(k, shuffle=shuffle, seed=7).split(n))
    exp = list(ref.KFold(k, shuffle=shuffle, seed=7).split(n))
    assert_matches(len(got), len(exp), what=f"number of folds for KFold({k}) on {n} samples")
    for i, ((gtr, gte), (etr, ete)) in enumerate(zip(got, exp)):
        assert_matches(np.asarray(gte), ete, what=f"test indices of fold {i}, KFold({k}, shuffle={shuffle}) on {n}")
        assert_matches(np.sort(gtr), np.sort(etr), what=f"train indices of fold {i}, KFold({k}, shuffle={shuffle}) on {n}")
    assert_raises(ValueError, lambda: list(mine.KFold(5).split(4)), what="KFold(5).split(4)")


class _Threshold:
    """A model whose prediction depends on its training data (the mean of feature 0 of class 1)."""

    def fit(self, X, y):
        self.cut = X[y == 1, 0].mean() if np.any(y == 1) else 0.0
        return self

    def predict(self, X):
        return (X[:, 0] > self.cut * 0.5).astype(int)


def test_cross_val_score_matches_reference():
    X = rng.normal(size=(37, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=37) > 0).astype(int)
    assert_matches(mine.cross_val_score(_Threshold, X, y, n_splits=4, seed=2),
                   ref.cross_val_score(_Threshold, X, y, n_splits=4, seed=2), what="cross_val_score, 4 folds, 37 rows", rtol=1e-12)
    f1 = lambda t, p: ref.precision_recall_f1(t, p)[2]
    assert_matches(mine.cross_val_score(_Threshold, X, y, n_splits=3, seed=1, metric=f1),
                   ref.cross_val_score(_Threshold, X, y, n_splits=3, seed=1, metric=f1), what="cross_val_score with a custom metric", rtol=1e-12)


def test_metrics_match_reference():
    t, p = rng.integers(0, 3, size=60), rng.integers(0, 3, size=60)
    assert_matches(mine.accuracy(t, p), ref.accuracy(t, p), what="accuracy on 60 labels", rtol=1e-12)
    assert_matches(mine.confusion_matrix(t, p), ref.confusion_matrix(t, p), what="confusion_matrix on 3 classes (rows: true class)")
    assert_matches(mine.confusion_matrix(t, p, n_classes=5), ref.confusion_matrix(t, p, n_classes=5), what="confusion_matrix with n_classes=5")
    for positive in (0, 2):
        assert_matches(np.array(mine.precision_recall_f1(t, p, positive=positive)), np.array(ref.precision_recall_f1(t, p, positive=positive)),
                       what=f"(precision, recall, f1) with positive={positive}", rtol=1e-12)
    t, p = np.array([1, 1, 0]), np.array([0, 0, 0])
    assert_matches(np.array(mine.precision_recall_f1(t, p)), np.array(ref.precision_recall_f1(t, p)),
                   what="(precision, recall, f1) with no predicted positives")
