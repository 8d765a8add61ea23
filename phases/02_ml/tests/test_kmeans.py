"""Visible tests for Exercise 2.5 (k-means). Run: make phase2"""
import numpy as np
import pytest

from grader.target import exercise

km = exercise("2.5")
rng = np.random.default_rng(0)
CENTERS = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
X = np.vstack([c + rng.normal(scale=0.5, size=(30, 2)) for c in CENTERS])


def test_squared_distances():
    D = km.squared_distances(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 0.0], [3.0, 1.0]]))
    np.testing.assert_allclose(D, [[0.0, 10.0], [2.0, 4.0]])


def test_kmeans_plusplus_picks_rows_of_x():
    C = km.kmeans_plusplus(X, 3, np.random.default_rng(1))
    assert C.shape == (3, 2)
    assert all(any(np.array_equal(c, x) for x in X) for c in C)


def test_finds_three_blobs():
    model = km.KMeans(n_clusters=3, seed=0).fit(X)
    found = model.cluster_centers_[np.argsort(model.cluster_centers_ @ [1.0, 3.0])]
    np.testing.assert_allclose(found, CENTERS, atol=0.5)
    assert len(np.unique(model.labels_)) == 3
    dists = ((X - model.cluster_centers_[model.labels_]) ** 2).sum()
    assert model.inertia_ == pytest.approx(dists)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_given_init_is_used():
    model = km.KMeans(n_clusters=3).fit(X, init=CENTERS)
    np.testing.assert_array_equal(model.labels_, np.repeat([0, 1, 2], 30))


def test_empty_cluster_does_not_crash():
    init = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]])  # nobody is near the third centre
    model = km.KMeans(n_clusters=3).fit(X, init=init)
    assert np.isfinite(model.cluster_centers_).all()
    assert len(np.unique(model.labels_)) == 3
