"""Visible tests for Exercise 2.2 (preprocessing and evaluation). Run: make phase2"""
import numpy as np
import pytest

from grader.target import exercise

pre = exercise("2.2")
X = np.array([[1.0, 10.0, 5.0], [3.0, 20.0, 5.0], [5.0, 60.0, 5.0]])


def test_standard_scaler_gives_zero_mean_unit_std_and_inverts():
    s = pre.StandardScaler()
    Z = s.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 1, 0], atol=1e-12)  # the constant column becomes 0, not NaN
    np.testing.assert_allclose(s.inverse_transform(Z), X)


def test_scaler_transform_uses_the_statistics_from_fit():
    s = pre.StandardScaler().fit(X)
    np.testing.assert_allclose(s.transform(np.array([[3.0, 30.0, 5.0]]))[0], [0.0, 0.0, 0.0], atol=1e-12)


def test_scaler_before_fit_raises():
    with pytest.raises(pre.NotFittedError):
        pre.StandardScaler().transform(X)


def test_min_max_scaler():
    s = pre.MinMaxScaler()
    np.testing.assert_allclose(s.fit_transform(X), [[0, 0, 0], [0.5, 0.2, 0], [1, 1, 0]])
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X)
    np.testing.assert_allclose(pre.MinMaxScaler((-1.0, 1.0)).fit(X).transform(X)[:, 0], [-1, 0, 1])


def test_train_test_split_sizes_and_coverage():
    Xs, ys = np.arange(20).reshape(10, 2), np.arange(10)
    X_tr, X_te, y_tr, y_te = pre.train_test_split(Xs, ys, test_size=0.3, seed=1)
    assert len(X_te) == 3 and len(X_tr) == 7
    assert sorted(np.concatenate([y_tr, y_te])) == list(range(10))
    np.testing.assert_array_equal(X_tr[:, 0] // 2, y_tr)  # rows stay paired with their labels
    again = pre.train_test_split(Xs, ys, test_size=0.3, seed=1)
    np.testing.assert_array_equal(again[3], y_te)


def test_stratified_split_keeps_proportions():
    y = np.array([0] * 8 + [1] * 12)
    _, _, y_tr, y_te = pre.train_test_split(np.zeros((20, 1)), y, test_size=0.25, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [2, 3]
    assert np.bincount(y_tr).tolist() == [6, 9]


def test_kfold_fold_sizes_and_coverage():
    folds = list(pre.KFold(n_splits=3).split(10))
    assert [len(test) for _, test in folds] == [4, 3, 3]
    np.testing.assert_array_equal(folds[0][1], [0, 1, 2, 3])
    assert sorted(np.concatenate([test for _, test in folds])) == list(range(10))
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 10


def test_metrics_by_hand():
    y_true, y_pred = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])
    assert pre.accuracy(y_true, y_pred) == pytest.approx(0.6)
    p, r, f1 = pre.precision_recall_f1(y_true, y_pred)
    assert (p, r) == (pytest.approx(2 / 3), pytest.approx(2 / 3)) and f1 == pytest.approx(2 / 3)
    assert pre.confusion_matrix(y_true, y_pred).tolist() == [[1, 1], [1, 2]]
    assert pre.precision_recall_f1(np.array([0, 0]), np.array([0, 0])) == (0.0, 0.0, 0.0)


class _Majority:
    def fit(self, X, y):
        self.label = np.bincount(y).argmax()
        return self

    def predict(self, X):
        return np.full(len(X), self.label)


def test_cross_val_score_one_score_per_fold():
    y = np.array([0] * 6 + [1] * 4)
    scores = pre.cross_val_score(_Majority, np.zeros((10, 1)), y, n_splits=5)
    assert scores.shape == (5,)
    assert np.all((scores >= 0) & (scores <= 1))
