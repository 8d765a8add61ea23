"""Visible tests for Exercise 2.6 (pipeline and learning curve). Run: make phase2"""
import numpy as np
import pytest

from grader.target import exercise

pipe = exercise("2.6")


class AddMean:
    """A transformer that subtracts the column mean learned in fit."""

    def fit(self, X):
        self.mean = X.mean(axis=0)
        return self

    def transform(self, X):
        return X - self.mean


class Sign:
    """A 'model' that predicts 1 where the first feature is positive."""

    def fit(self, X, y):
        self.fitted_on = X.copy()
        return self

    def predict(self, X):
        return (X[:, 0] > 0).astype(int)


def test_fit_transforms_before_the_model():
    X = np.array([[1.0], [3.0]])
    p = pipe.Pipeline([AddMean(), Sign()]).fit(X, np.array([0, 1]))
    np.testing.assert_allclose(p.steps[-1].fitted_on, [[-1.0], [1.0]])


def test_predict_uses_the_training_statistics():
    p = pipe.Pipeline([AddMean(), Sign()]).fit(np.array([[1.0], [3.0]]), np.array([0, 1]))
    # training mean is 2: 2.5 is above it, 1.5 below, whatever the test rows' own mean is
    np.testing.assert_array_equal(p.predict(np.array([[2.5], [1.5]])), [1, 0])
    assert p.score(np.array([[2.5], [1.5]]), np.array([1, 1])) == pytest.approx(0.5)


def test_learning_curve_fits_prefixes():
    seen = []

    class Recorder(Sign):
        def fit(self, X, y):
            seen.append(len(X))
            return super().fit(X, y)

    X = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    y = np.array([1, 0, 1, 1])
    acc = lambda t, p: float(np.mean(t == p))
    train, val = pipe.learning_curve(Recorder, X, y, X[:2], y[:2], [2, 4], acc)
    assert seen == [2, 4]
    np.testing.assert_allclose(train, [1.0, 0.75])
    np.testing.assert_allclose(val, [1.0, 1.0])
