"""Hidden checks for Exercise 2.5: k-means vs the reference from the same initial centres, plus seeding statistics."""
import numpy as np

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise, reference

mine, ref = exercise("2.5"), reference("2.5")
rng = np.random.default_rng(25)
BLOBS = np.array([[0, 0], [6, 0], [0, 6], [6, 6], [3, 12], [12, 3]], dtype=float)
X = np.vstack([c + rng.normal(scale=1.2, size=(25, 2)) for c in BLOBS])


def test_squared_distances_matches_reference():
    A, C = rng.normal(size=(9, 4)) * 100, rng.normal(size=(3, 4)) * 100
    assert_matches(mine.squared_distances(A, C), ref.squared_distances(A, C), what="squared_distances for 9 points, 3 centres in 4-D", rtol=1e-8, atol=1e-6)
    assert_matches(mine.squared_distances(A, A[:2]), ref.squared_distances(A, A[:2]), what="squared_distances to centres that are data points", rtol=1e-8, atol=1e-6)


def test_lloyd_from_given_centres_matches_reference():
    for start in (X[[0, 1, 2, 30, 60, 90]], X[[3, 4, 5, 6, 7, 8]]):  # a good and a poor start
        a, b = mine.KMeans(6, max_iter=100).fit(X, init=start), ref.KMeans(6, max_iter=100).fit(X, init=start)
        assert_matches(a.cluster_centers_, b.cluster_centers_, what="cluster_centers_ from given init", rtol=1e-7, atol=1e-9)
        assert_matches(np.asarray(a.labels_), b.labels_, what="labels_ from given init", check_dtype=False)
        assert_matches(a.inertia_, b.inertia_, what="inertia_ from given init", rtol=1e-7)


def test_max_iter_is_respected():
    start = X[[3, 4, 5, 6, 7, 8]]
    a, b = mine.KMeans(6, max_iter=2).fit(X, init=start), ref.KMeans(6, max_iter=2).fit(X, init=start)
    assert_matches(a.cluster_centers_, b.cluster_centers_, what="cluster_centers_ after max_iter=2 Lloyd iterations", rtol=1e-7, atol=1e-9)
    assert_matches(np.asarray(a.labels_), b.labels_, what="labels_ after max_iter=2 (labels of the final centres?)", check_dtype=False)
    assert_matches(a.inertia_, b.inertia_, what="inertia_ after max_iter=2 (inertia of the final centres?)", rtol=1e-7)


def test_empty_cluster_is_refilled():
    start = np.vstack([X[[0, 30, 60, 90, 110]], [[500.0, 500.0]]])  # the last centre attracts nobody
    with np.errstate(all="ignore"):
        a = mine.KMeans(6, max_iter=100).fit(X, init=start)
    if not np.isfinite(a.cluster_centers_).all():
        raise Mismatch("an empty cluster produced NaN centres (mean of zero points)")
    b = ref.KMeans(6, max_iter=100).fit(X, init=start)
    assert_matches(len(np.unique(a.labels_)), 6, what="number of non-empty clusters after an empty cluster at the start")
    assert_matches(a.inertia_, b.inertia_, what="inertia_ after refilling an empty cluster", rtol=1e-6)
    small, start = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [50.0, 50.0]]), np.array([[0.0, 0.5], [100.0, 100.0], [200.0, 200.0]])
    with np.errstate(all="ignore"):
        a = mine.KMeans(3).fit(small, init=start)  # two clusters empty at once
    b = ref.KMeans(3).fit(small, init=start)
    assert_matches(a.cluster_centers_, b.cluster_centers_, what="cluster_centers_ when two clusters are empty at the first step", rtol=1e-9)


def test_kmeans_plusplus_spreads_the_centres():
    # six well separated blobs: D^2 sampling puts one centre in each blob far more often than uniform picks
    tight = np.vstack([c * 10 + rng.normal(scale=0.3, size=(40, 2)) for c in BLOBS])
    hits = 0
    for seed in range(30):
        C = mine.kmeans_plusplus(tight, 6, np.random.default_rng(seed))
        if C.shape != (6, 2):
            raise Mismatch(f"kmeans_plusplus returned shape {C.shape}, expected (6, 2)")
        if not all((np.abs(tight - c).sum(axis=1) == 0).any() for c in C):
            raise Mismatch("kmeans_plusplus returned a centre that is not a row of X")
        hits += len(np.unique(np.argmin(((C[:, None, :] - BLOBS[None] * 10) ** 2).sum(-1), axis=1))) == 6
    if hits < 24:
        raise Mismatch(f"kmeans_plusplus covered all six separated blobs in only {hits} of 30 seeds "
                       "(expected nearly all): pick with probability proportional to the SQUARED distance to the nearest chosen centre")
    assert_raises(ValueError, mine.kmeans_plusplus, tight[:3], 4, np.random.default_rng(0), what="kmeans_plusplus with k > N")


def test_restarts_keep_the_best_run():
    # a 4x4 grid of blobs has many local minima. The first of n_init runs starts from the same rng state
    # as a single run with that seed, so keeping the best run can never end above the single run.
    grid = np.array([[i * 4.0, j * 4.0] for i in range(4) for j in range(4)])
    Xg = np.vstack([c + np.random.default_rng(7).normal(scale=0.8, size=(15, 2)) for c in grid])
    singles, bests = [], []
    for seed in range(6):
        singles.append(mine.KMeans(16, n_init=1, seed=seed).fit(Xg).inertia_)
        bests.append(mine.KMeans(16, n_init=8, seed=seed).fit(Xg).inertia_)
        if bests[-1] > singles[-1] * (1 + 1e-9):
            raise Mismatch(f"KMeans(n_init=8, seed={seed}) ended with a higher inertia than KMeans(n_init=1, seed={seed}), "
                           "whose run is its first: keep the run with the LOWEST inertia among the n_init runs "
                           "(one rng = default_rng(seed) shared by the runs)")
    if not np.mean(bests) < np.mean(singles):
        raise Mismatch("KMeans with n_init=8 is never better than with n_init=1: are the restarts run at all?")
    a = mine.KMeans(6, n_init=3, seed=1).fit(X)
    assert_matches(np.asarray(a.predict(X[:20])), np.asarray(a.labels_[:20]), what="predict(X) vs labels_ after fit", check_dtype=False)
    assert_raises(mine.NotFittedError, mine.KMeans(3).predict, X, what="KMeans.predict before fit")
