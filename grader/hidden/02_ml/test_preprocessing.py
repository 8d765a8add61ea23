"""Hidden checks for Exercise 2.2: learner vs reference on inputs the visible tests do not use."""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import CountingModel
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
    assert_matches(a.inverse_transform(a.transform(TEST)), TEST,
                   what="MinMaxScaler(feature_range=(-2, 3)).inverse_transform(transform(test)) (undo the "
                        "feature_range too)", rtol=1e-9, atol=1e-9)
    assert_raises(mine.NotFittedError, mine.MinMaxScaler().transform, TEST, what="MinMaxScaler.transform before fit")
    for name in ("StandardScaler", "MinMaxScaler"):
        assert_raises(mine.NotFittedError, getattr(mine, name)().inverse_transform, TEST,
                      what=f"{name}.inverse_transform before fit")


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
    assert_raises(ValueError, mine.train_test_split, X, np.arange(n + 1), test_size,
                  what=f"train_test_split with {n} rows of X and {n + 1} labels")


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
    t, p = np.array([0, 1, 1, 0, 1]), np.array([0, 3, 1, 2, 1])
    assert_matches(mine.confusion_matrix(t, p), ref.confusion_matrix(t, p),
                   what="confusion_matrix when a predicted label is above every true label (K = 1 + the largest "
                        "label of y_true and y_pred)")
    for positive in (0, 2):
        assert_matches(np.array(mine.precision_recall_f1(t, p, positive=positive)), np.array(ref.precision_recall_f1(t, p, positive=positive)),
                       what=f"(precision, recall, f1) with positive={positive}", rtol=1e-12)
    t, p = np.array([1, 1, 0]), np.array([0, 0, 0])
    assert_matches(np.array(mine.precision_recall_f1(t, p)), np.array(ref.precision_recall_f1(t, p)),
                   what="(precision, recall, f1) with no predicted positives")


# --- splits are random: which rows, and in which order ---

def test_split_draws_test_rows_uniformly_and_shuffles_both_splits():
    # Each of N = 20 rows is in the test split (5 rows) with probability 1/4. Over 800 seeds its count is
    # Binomial(800, 1/4): mean 200, sd 12.2. All 20 counts within 200 +- 65 (5.3 sd): false alarm < 2e-6 in
    # total. A fixed block of rows (first/last 5, every 4th) puts counts at 0 or 800: caught with certainty.
    n, seeds = 20, 800
    X, y = np.arange(2 * n).reshape(n, 2), np.arange(n)
    counts, sorted_train, sorted_test = np.zeros(n), 0, 0
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = mine.train_test_split(X, y, test_size=0.25, seed=seed)
        counts[np.asarray(y_te)] += 1
        sorted_train += bool(np.all(np.diff(y_tr) > 0))
        sorted_test += bool(np.all(np.diff(y_te) > 0))
    if np.any(np.abs(counts - 200) > 65):
        raise Mismatch("train_test_split: over 800 seeds some rows are in the test split far more or less often than "
                       "test_size of the time; every row should be equally likely (shuffle all rows, then cut)")
    # a shuffled split of 15 (5) rows is in increasing order with probability 1/15! (1/120): 800 seeds
    # give about 7 sorted test splits (P(more than 40) < 1e-12), a split that is not shuffled gives 800
    if sorted_train > 40 or sorted_test > 40:
        raise Mismatch(f"train_test_split returns the {'train' if sorted_train > 40 else 'test'} rows in their "
                       "original order; both splits should come in shuffled order")


def test_stratified_split_is_random_within_classes_and_mixes_them():
    # class 0: 12 rows, class 1: 8 rows, test_size 0.25 -> 3 and 2 test rows. Counts per row over 600 seeds:
    # Binomial(600, 1/4), sd 10.6; the band 150 +- 60 is 5.7 sd (false alarm < 3e-7 over 20 rows). Taking
    # each class's first rows gives counts 0 or 600.
    y = np.array([0, 1] * 8 + [0] * 4)
    X = np.arange(20)[:, None]
    counts, grouped = np.zeros(20), 0
    for seed in range(600):
        _, X_te, _, y_te = mine.train_test_split(X, y, test_size=0.25, seed=seed, stratify=True)
        counts[np.asarray(X_te)[:, 0]] += 1
        grouped += bool(np.all(np.diff(y_te) >= 0) or np.all(np.diff(y_te) <= 0))
    if np.any(np.abs(counts - 150) > 60):
        raise Mismatch("stratified train_test_split: some rows of a class are in the test split far more or less often "
                       "than others; shuffle each class's rows before taking its share")
    # 5 test rows of two classes (3 + 2) are grouped by class with probability 2/10 when shuffled: about
    # 120 of 600 (sd 10); all 600 grouped means the test rows were not shuffled after concatenation
    if grouped > 250:
        raise Mismatch("stratified train_test_split returns the test rows grouped by class; shuffle them")


def test_split_boundaries_and_dtypes():
    y = np.repeat([0, 1, 2], [5, 7, 2])   # 0.5 * n_c = 2.5, 3.5, 1.0: Python's round gives 2, 4, 1
    X = np.arange(14)[:, None]
    _, _, _, y_te = mine.train_test_split(X, y, test_size=0.5, seed=1, stratify=True)
    _, _, _, r_te = ref.train_test_split(X, y, test_size=0.5, seed=1, stratify=True)
    assert_matches(np.bincount(np.asarray(y_te), minlength=3), np.bincount(r_te, minlength=3),
                   what="per-class test counts for classes of 5, 7 and 2 rows at test_size=0.5 (round(2.5) == 2, "
                        "round(3.5) == 4: Python's round)")
    for bad in (0.0, 1.0, -0.1):
        assert_raises(ValueError, mine.train_test_split, X, y, bad, what=f"train_test_split with test_size={bad}")
    for kind, yk in (("int8", y.astype(np.int8)), ("bool", y > 0), ("str", np.array(list("abc"))[y])):
        X32 = np.arange(28, dtype=np.float32).reshape(14, 2)
        X_tr, X_te, y_tr, y_te = mine.train_test_split(X32, yk, test_size=0.3, seed=2)
        assert X_tr.dtype == np.float32 and X_te.dtype == np.float32, f"train_test_split changed the dtype of a float32 X to {X_tr.dtype}"
        assert y_tr.dtype == yk.dtype and y_te.dtype == yk.dtype, f"train_test_split changed the dtype of a {kind} y to {y_tr.dtype}"


# --- conventions and state of KFold and cross_val_score ---

def test_kfold_boundaries_and_repeated_split():
    assert_raises(ValueError, lambda: list(mine.KFold(1).split(10)), what="KFold(1).split(10) (n_splits must be >= 2)")
    kf = mine.KFold(4, shuffle=True, seed=3)
    first, second = list(kf.split(19)), list(kf.split(19))
    for i, ((a_tr, a_te), (b_tr, b_te)) in enumerate(zip(first, second)):
        assert_matches(np.asarray(b_te), np.asarray(a_te), what=f"test indices of fold {i} in a second split() of the same "
                       "KFold (each call starts from np.random.default_rng(seed) afresh)")
        assert np.asarray(a_te).dtype.kind in "iu" and np.asarray(a_tr).dtype.kind in "iu", "KFold should yield integer index arrays"


def test_cross_val_score_makes_a_fresh_model_per_fold():
    X, y = np.arange(30, dtype=float)[:, None], np.r_[np.ones(14, int), np.zeros(16, int)]
    first_prediction = lambda t, p: p[0]   # an integer metric: the scores are still float64
    assert_matches(mine.cross_val_score(CountingModel, X, y, n_splits=5, seed=4, metric=first_prediction),
                   ref.cross_val_score(CountingModel, X, y, n_splits=5, seed=4, metric=first_prediction),
                   what="cross_val_score with a model that counts the rows it was fitted on (call make_model() for "
                        "every fold; scores are float64)")


# --- scalers: constant columns, dtypes, refitting, the caller's data ---

def test_constant_columns_are_recognised_by_their_values():
    X = np.column_stack([np.full(7, 0.1), np.full(7, 7.7), np.arange(7.0)])   # computed std about 1e-17, not 0
    got = mine.StandardScaler().fit(X).transform(X)
    assert_matches(got[:, :2], np.zeros((7, 2)), what="StandardScaler on constant columns of 0.1 and 7.7 (their computed std "
                   "is rounding noise, not 0; test whether all values are equal)", atol=1e-9)
    assert_matches(mine.MinMaxScaler((-1.0, 1.0)).fit(X).transform(X)[:, :2], np.full((7, 2), -1.0),
                   what="MinMaxScaler((-1, 1)) on constant columns (they map to lo)", atol=1e-12)
    # columns whose values differ by very little are not constant: no tolerance on the std or the range
    X = np.column_stack([1e-9 * np.arange(7.0), 1000.0 + 1e-6 * np.arange(7.0)])
    for name in ("StandardScaler", "MinMaxScaler"):
        assert_matches(getattr(mine, name)().fit(X).transform(X), getattr(ref, name)().fit(X).transform(X),
                       what=f"{name} on columns with a tiny spread (1e-9 and 1e-6 steps; not constant, so they are "
                            "scaled: no tolerance on the std or the range)", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_scalers_float64_refit_and_inputs_unchanged(name):
    X32 = TRAIN.astype(np.float32)
    a = getattr(mine, name)().fit(X32)
    for attr in ("mean_", "scale_") if name == "StandardScaler" else ("data_min_", "data_range_"):
        assert_matches(getattr(a, attr), getattr(getattr(ref, name)().fit(X32), attr), what=f"{name}.{attr} after fit on "
                       "float32 data (float64)", rtol=1e-6)
    assert_matches(a.transform(X32), getattr(ref, name)().fit(X32).transform(X32), what=f"{name}.transform of float32 data "
                   "(float64)", rtol=1e-5, atol=1e-6)
    Xi = np.round(TRAIN).astype(np.int64)
    assert_matches(getattr(mine, name)().fit(Xi).transform(Xi), getattr(ref, name)().fit(Xi).transform(Xi),
                   what=f"{name} on integer data (float64)", rtol=1e-9, atol=1e-12)
    refit = getattr(mine, name)().fit(TEST).fit(TRAIN)
    assert_matches(refit.transform(TEST), getattr(ref, name)().fit(TRAIN).transform(TEST),
                   what=f"{name}.fit(A).fit(B): a second fit must replace the first one's statistics", rtol=1e-9, atol=1e-12)
    data, before = TEST.copy(), TEST.copy()
    out = refit.transform(data)
    refit.inverse_transform(out)
    fresh = getattr(mine, name)()
    fresh.fit_transform(data)
    assert np.array_equal(data, before), f"{name} changed the caller's array (transform a copy, not in place)"
