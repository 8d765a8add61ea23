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


LINE = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]])


def _seeding_law(points):
    """P(first, second, third row) under k-means++: first uniform, then D^2 to the nearest chosen centre."""
    n = len(points)
    d = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    law = np.zeros((n, n, n))
    for a in range(n):
        for b in range(n):
            nearest = np.minimum(d[a], d[b])
            law[a, b] = d[a, b] / d[a].sum() * nearest / nearest.sum() / n
    return law


def test_kmeans_plusplus_sampling_law():
    # 2000 draws of 3 centres from 4 points on a line, cross-tabulated by (first, second, third) row.
    # Chi-square test against the exact k-means++ law, cells with an expected count below 5 pooled (with
    # the impossible cells) into one: 20 cells, 19 degrees of freedom, critical value 63.7 for a false
    # alarm of 1e-6. Power (non-central chi-square): sampling by D instead of D^2 gives a statistic of
    # about 1080, D^3 about 190, a distance to the last centre instead of the nearest about 6e4, a fixed
    # first centre more: each is missed with probability below 1e-10. About 0.4 s of CPU.
    n = 2000
    draws = np.random.default_rng(2025)
    counts = np.zeros((4, 4, 4))
    for _ in range(n):
        C = np.asarray(mine.kmeans_plusplus(LINE, 3, draws))
        rows = np.searchsorted(LINE[:, 0], C[:, 0]).clip(0, 3)   # the rows of LINE are sorted by x
        if C.shape != (3, 2) or not np.array_equal(LINE[rows], C):
            raise Mismatch("kmeans_plusplus(X, 3, rng) should return 3 rows of X")
        counts[tuple(rows)] += 1
    expected = _seeding_law(LINE) * n
    big = expected >= 5
    observed, wanted = np.r_[counts[big], counts[~big].sum()], np.r_[expected[big], expected[~big].sum()]
    statistic = float(((observed - wanted) ** 2 / wanted).sum())
    if statistic > 63.7:
        first = counts.sum(axis=(1, 2)) / n
        hint = ("the first centre is not uniform over the rows" if np.abs(first - 0.25).max() > 0.05 else
                "a chosen row was chosen again: D(x) is the distance to the NEAREST chosen centre" if counts[~big].sum() > 40
                else "pick row i with probability D(x_i)^2 / sum_j D(x_j)^2, the squared distance to the nearest chosen centre")
        raise Mismatch(f"kmeans_plusplus does not follow the k-means++ law over 2000 draws (chi-square {statistic:.0f}, "
                       f"limit 64): {hint}")
    a = mine.kmeans_plusplus(X, 4, np.random.default_rng(3))
    np.random.seed(1)
    b = mine.kmeans_plusplus(X, 4, np.random.default_rng(3))
    assert_matches(np.asarray(b), np.asarray(a), what="kmeans_plusplus twice with generators of the same seed (draw from rng only)")


def test_kmeans_plusplus_degenerate_data_and_bounds():
    same = np.ones((5, 2))
    with np.errstate(all="ignore"):
        C = mine.kmeans_plusplus(same, 3, np.random.default_rng(0))
    assert_matches(np.asarray(C), np.ones((3, 2)), what="kmeans_plusplus of 5 identical rows, k=3 (every distance is 0: "
                   "no 0/0 probabilities; fall back to a uniform pick)")
    assert_raises(ValueError, mine.kmeans_plusplus, X, 0, np.random.default_rng(0), what="kmeans_plusplus with k=0")
    Xi = np.round(X).astype(np.int64)
    C = mine.kmeans_plusplus(Xi, 3, np.random.default_rng(0))
    assert_matches(C, ref.kmeans_plusplus(Xi, 3, np.random.default_rng(0)), what="kmeans_plusplus of an integer X "
                   "(a float64 copy of rows)")


def test_squared_distances_never_negative():
    far = 1e4 + rng.normal(size=(30, 3))         # points far from the origin: the expanded formula cancels
    d = mine.squared_distances(far, far[:5])
    if np.asarray(d).min() < 0:
        raise Mismatch("squared_distances returned a negative value for a point and itself (rounding in "
                       "|x|^2 - 2 x.c + |c|^2; clip at 0)")


def test_fit_dtypes_ties_tol_boundary_and_n_iter():
    Xi = np.round(X * 2).astype(np.int64)
    init = Xi[[0, 30, 60, 90, 110, 140]].copy()
    a, b = mine.KMeans(6).fit(Xi, init=init), ref.KMeans(6).fit(Xi, init=init)
    assert_matches(a.cluster_centers_, b.cluster_centers_, what="cluster_centers_ for integer X and integer init (float64 means, "
                   "not truncated)", rtol=1e-9)
    assert_matches(a.labels_, b.labels_, what="labels_ (int64)")
    assert_matches(a.predict(X[:7].astype(np.float32)), b.predict(X[:7].astype(np.float32)), what="predict of float32 rows (int64)")
    assert_matches(mine.KMeans(6).fit(X.astype(np.float32), init=init).cluster_centers_,
                   ref.KMeans(6).fit(X.astype(np.float32), init=init).cluster_centers_,
                   what="cluster_centers_ for float32 X (float64)", rtol=1e-5, atol=1e-6)
    # tol = 0: stop when the centres stop moving exactly (shift <= threshold), not only at max_iter
    a, b = mine.KMeans(6, tol=0.0).fit(X, init=init), ref.KMeans(6, tol=0.0).fit(X, init=init)
    assert_matches(a.n_iter_, b.n_iter_, what="n_iter_ with tol=0 (the stopping test is shift <= tol * mean variance)")
    for tol in (1e-4, 1e-1):
        assert_matches(mine.KMeans(6, tol=tol).fit(X, init=X[[3, 4, 5, 6, 7, 8]]).n_iter_,
                       ref.KMeans(6, tol=tol).fit(X, init=X[[3, 4, 5, 6, 7, 8]]).n_iter_, what=f"n_iter_ with tol={tol}")
    tie = mine.KMeans(2).fit(np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), init=np.array([[0.0, 0.5], [2.0, 0.5]]))
    assert_matches(tie.predict(np.array([[1.0, 0.5], [1.0, 3.0]])), np.array([0, 0]),
                   what="predict for points equally far from two centres (a tie goes to the lower index)")


def test_fit_twice_starts_afresh_and_leaves_inputs_alone():
    data, init = X.copy(), X[[3, 4, 5, 6, 7, 8]].copy()
    model = mine.KMeans(6, max_iter=50)
    model.fit(data, init=init)
    assert np.array_equal(init, X[[3, 4, 5, 6, 7, 8]]) and np.array_equal(data, X), "fit changed the caller's X or init"
    other = X[::-1] * 0.5 + 3.0
    model.fit(other)
    fresh = ref.KMeans(6, max_iter=50).fit(other)
    assert_matches(model.inertia_, fresh.inertia_, what="inertia_ of a second fit on other data (it must not start from the "
                   "first fit's centres or random stream)", rtol=1e-9)
    again = model.fit(other)
    assert_matches(again.cluster_centers_, fresh.cluster_centers_, what="cluster_centers_ of a third fit, same data and seed "
                   "(default_rng(seed) is created in every fit)", rtol=1e-9)


def test_stopping_rule_across_tolerances():
    # the shift is the SUM over centres of the SQUARED move, compared with tol * mean of the per-column
    # variances; the second data set has columns with very different means (a flattened variance differs)
    start = X[[3, 4, 5, 6, 7, 8]]
    for data in (X, X + [0.0, 40.0]):
        init = start + (data[0] - X[0])
        for tol in (1e-6, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0):
            a, b = mine.KMeans(6, tol=tol).fit(data, init=init), ref.KMeans(6, tol=tol).fit(data, init=init)
            assert_matches(a.n_iter_, b.n_iter_,
                           what=f"n_iter_ with tol={tol} (stop once sum over centres of ||new - old||^2 <= "
                                "tol * mean(var(X, axis=0)))")
            assert_matches(a.cluster_centers_, b.cluster_centers_,
                           what=f"cluster_centers_ with tol={tol} (the centres moved in the last iteration are "
                                "the ones kept)", rtol=1e-7, atol=1e-9)


def test_one_iteration_with_empty_clusters():
    # after a single iteration the centres show the refill rule exactly: the farthest row whose cluster keeps
    # another row moves to the empty centre and counts only there
    start = np.vstack([X[[0, 30, 60, 90, 110]], [[500.0, 500.0]]])
    a, b = mine.KMeans(6, max_iter=1).fit(X, init=start), ref.KMeans(6, max_iter=1).fit(X, init=start)
    assert_matches(a.cluster_centers_, b.cluster_centers_,
                   what="cluster_centers_ after one iteration with an empty cluster (the moved row leaves its old "
                        "cluster's mean)", rtol=1e-9, atol=1e-12)
    # the farthest row is alone in its cluster: taking it would empty that cluster, so the next farthest moves
    pts = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [20.0, 0.0]])  # no ties in the distances
    init = np.array([[0.3, 0.3], [30.0, 0.0], [500.0, 500.0]])
    with np.errstate(all="ignore"):
        a = mine.KMeans(3, max_iter=1).fit(pts, init=init)
    b = ref.KMeans(3, max_iter=1).fit(pts, init=init)
    assert_matches(a.cluster_centers_, b.cluster_centers_,
                   what="cluster_centers_ after one iteration when the farthest row is the only row of its "
                        "cluster (refill from rows whose cluster keeps another row)", rtol=1e-9, atol=1e-12)
    assert_raises(ValueError, mine.KMeans(4).fit, pts[:3], init=pts, what="KMeans(4).fit of 3 rows with a 4-row init "
                  "(n_clusters > N)")


def test_stopping_threshold_uses_the_population_variance():
    # tol is set 8% on either side of the first iteration's shift, measured in units of mean(var(X, axis=0)) with
    # ddof=0; on 6 rows the sample variance (ddof=1) is 20% larger and moves the first case across the boundary
    pts = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 2.0], [6.0, 5.0], [7.0, 6.5], [5.5, 7.0]])
    init = pts[[1, 2]]
    first = ref.KMeans(2, max_iter=1).fit(pts, init=init).cluster_centers_
    shift, spread = float(((first - init) ** 2).sum()), float(np.mean(np.var(pts, axis=0)))
    for factor in (0.92, 1.08):
        tol = factor * shift / spread
        a, b = mine.KMeans(2, tol=tol).fit(pts, init=init), ref.KMeans(2, tol=tol).fit(pts, init=init)
        assert_matches(a.n_iter_, b.n_iter_, what=f"n_iter_ on 6 rows with tol {factor} times the first shift over the "
                       "mean column variance (the variance of the threshold is np.var, ddof=0)")


def test_n_iter_belongs_to_the_kept_run():
    # with seed 10 the three restarts end at clearly different inertias and the best one is neither the first
    # nor the last run; every fitted attribute, n_iter_ included, comes from that best run
    a, b = mine.KMeans(6, n_init=3, seed=10).fit(X), ref.KMeans(6, n_init=3, seed=10).fit(X)
    assert_matches(a.inertia_, b.inertia_, what="inertia_ of the best of 3 restarts", rtol=1e-9)
    assert_matches(a.n_iter_, b.n_iter_, what="n_iter_ after 3 restarts (the Lloyd iterations of the kept run, not of "
                   "the last or first run)")
