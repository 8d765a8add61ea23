"""Probe models for hidden checks: stand-ins whose predictions reveal how the learner's code used them."""
import numpy as np


class CountingModel:
    """Counts every row it was ever fitted on and predicts that count for every row: one object reused
    across folds or training sizes predicts a growing count, a fresh one the size of its own training set."""

    def __init__(self):
        self.rows_seen = 0

    def fit(self, X, y):
        self.rows_seen += len(X)
        return self

    def predict(self, X):
        return np.full(len(X), self.rows_seen)
