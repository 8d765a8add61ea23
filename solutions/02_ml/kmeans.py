"""Exercise 2.5: k-means clustering (Lloyd's algorithm with k-means++ seeding).

k-means looks for k centres that minimise the inertia, the sum over points of the squared distance to
the nearest centre. Lloyd's algorithm alternates two steps that can only lower it: assign each point to
its nearest centre, then move each centre to the mean of its points. The result depends on the start,
so k-means++ spreads the initial centres out and `n_init` restarts keep the best run.
"""
from __future__ import annotations

import numpy as np


class NotFittedError(RuntimeError):
    """Raised when a method that needs fitted statistics or weights is called before `fit`."""


def squared_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """D[i, j] = ||X_i - centers_j||^2 for X (N, D) and centers (K, D); float64 (N, K), never negative."""
    ### BEGIN SOLUTION
    X, centers = np.asarray(X, dtype=np.float64), np.asarray(centers, dtype=np.float64)
    d = (X * X).sum(axis=1)[:, None] - 2.0 * X @ centers.T + (centers * centers).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)
    ### END SOLUTION


def kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k initial centres chosen among the rows of X (a copy, float64 (k, D)):

    the first uniformly at random; each next one is row i with probability D(x_i)^2 / sum_j D(x_j)^2,
    where D(x) is the distance from x to the nearest centre chosen so far. Draws come from `rng`.
    Raises ValueError if k < 1 or k > N.
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    if not 1 <= k <= len(X):
        raise ValueError(f"need 1 <= k <= {len(X)}, got k={k}")
    centers = [X[rng.integers(len(X))]]
    closest = squared_distances(X, centers[0][None, :])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        i = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))
        centers.append(X[i])
        closest = np.minimum(closest, squared_distances(X, X[i][None, :])[:, 0])
    return np.array(centers)
    ### END SOLUTION


class KMeans:
    """k-means with k-means++ seeding and `n_init` restarts.

    After `fit`: cluster_centers_ (k, D) float64, labels_ (N,) int64, inertia_ float, n_iter_ int (Lloyd
    iterations of the kept run).
    """

    def __init__(self, n_clusters: int = 8, n_init: int = 10, max_iter: int = 300, tol: float = 1e-4, seed: int = 0):
        self.n_clusters, self.n_init, self.max_iter, self.tol, self.seed = n_clusters, n_init, max_iter, tol, seed
        self.cluster_centers_: np.ndarray | None = None
        self.labels_: np.ndarray | None = None
        self.inertia_: float | None = None
        self.n_iter_: int = 0

    def _lloyd(self, X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
        """One run of Lloyd's algorithm from `centers`; returns (centers, labels, inertia, n_iter).

        Each iteration: labels = nearest centre of each row (a tie goes to the lower centre index, as
        np.argmin does); each centre moves to the mean of its rows.
        A centre left with no rows (an empty cluster) moves instead onto the row farthest from its own
        centre (among rows whose cluster keeps at least one other row; empty clusters are served in
        index order), and that row counts only in its new cluster for that iteration's update.
        Stop after max_iter iterations or once sum ||new - old||^2 over centres <= tol * mean(var(X, axis=0)).
        The returned labels and inertia are those of the final centres.
        """
        ### BEGIN SOLUTION
        threshold = self.tol * np.mean(np.var(X, axis=0))
        centers = centers.copy()
        for n_iter in range(1, self.max_iter + 1):
            dist = squared_distances(X, centers)
            labels = dist.argmin(axis=1)
            counts = np.bincount(labels, minlength=len(centers))
            if (counts == 0).any():
                far = np.argsort(dist[np.arange(len(X)), labels])[::-1]
                for j in np.flatnonzero(counts == 0):
                    i = next(i for i in far if counts[labels[i]] > 1)
                    counts[labels[i]] -= 1
                    labels[i], counts[j] = j, 1
            new = np.zeros_like(centers)
            np.add.at(new, labels, X)
            new /= counts[:, None]
            shift = float(((new - centers) ** 2).sum())
            centers = new
            if shift <= threshold:
                break
        dist = squared_distances(X, centers)
        labels = dist.argmin(axis=1)
        return centers, labels.astype(np.int64), float(dist[np.arange(len(X)), labels].sum()), n_iter
        ### END SOLUTION

    def fit(self, X: np.ndarray, init: np.ndarray | None = None) -> "KMeans":
        """Cluster X (N, D). With `init` (k, D), run Lloyd once from those centres. Otherwise run n_init
        times, each from kmeans_plusplus(X, n_clusters, rng) with one rng = np.random.default_rng(seed)
        shared by the runs, and keep the run with the lowest inertia (the earliest run on a tie).
        Returns self. Every call starts afresh: a second fit neither starts from the first one's centres
        nor continues its random stream, and the caller's X and init are never changed.
        Raises ValueError if n_clusters > N.
        """
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=np.float64)
        if self.n_clusters > len(X):
            raise ValueError(f"n_clusters={self.n_clusters} is more than the {len(X)} samples")
        if init is not None:
            starts = [np.asarray(init, dtype=np.float64)]
        else:
            rng = np.random.default_rng(self.seed)
            starts = [kmeans_plusplus(X, self.n_clusters, rng) for _ in range(self.n_init)]
        best = min((self._lloyd(X, c) for c in starts), key=lambda run: run[2])
        self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best
        return self
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Index of the nearest fitted centre for each row of X, int64 (N,); a tie goes to the lower
        index. NotFittedError before fit."""
        ### BEGIN SOLUTION
        if self.cluster_centers_ is None:
            raise NotFittedError("KMeans.predict called before fit")
        return squared_distances(X, self.cluster_centers_).argmin(axis=1).astype(np.int64)
        ### END SOLUTION
