"""Hidden checks for Exercise 1.1: the learner's Matrix against NumPy, on inputs the visible tests do not use.

NumPy is the oracle here (it may be used in these checks, not in the learner's module). Matrices go
through `assert_matches`, which reports shapes, the largest difference and a likely cause (transposed,
negated, scaled), never the expected entries.
"""
import numpy as np
import pytest

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise

Matrix = exercise("1.1").Matrix
rng = np.random.default_rng(2024)


def random(shape, scale=3.0):
    return rng.uniform(-scale, scale, size=shape).round(3)


def M(a):
    return Matrix(np.asarray(a, dtype=np.float64).tolist())


def test_construction_checks_and_copies():
    for bad, label in (([[1.0, 2.0], [3.0]], "ragged rows"), ([[1.0], [2.0, 3.0], [4.0]], "ragged rows (short first)"),
                       ([], "no rows"), ([[], []], "rows without entries")):
        assert_raises(ValueError, Matrix, bad, what=f"Matrix({label})")
    rows = [(1, 2), (3, 4), (5, 6)]                     # tuples of ints are fine
    m = Matrix(rows)
    assert_matches(m.shape, (3, 2), what="shape of a 3x2 matrix built from tuples")
    row = m[1]
    row[0] = 100.0
    assert_matches(m.tolist(), [[1, 2], [3, 4], [5, 6]], what="the matrix after changing the list m[1] returned")


def test_indexing_matches_numpy():
    a = random((4, 5))
    m = M(a)
    for i, j in ((0, 0), (3, 4), (2, 1), (-1, -2), (1, 3)):
        assert_matches(m[i, j], float(a[i, j]), what=f"m[{i}, {j}] of a 4x5 matrix")
    assert_matches(m[-1], a[-1], what="m[-1] (the last row) of a 4x5 matrix")
    assert isinstance(m[2], list), f"m[i] should return a list, got {type(m[2]).__name__}"
    assert_raises(IndexError, lambda: m[4, 0], what="m[4, 0] of a 4x5 matrix")


def test_equality_is_by_shape_and_value():
    a = random((2, 3))
    assert M(a) == M(a.copy()), "two matrices with the same entries compare unequal"
    b = a.copy()
    b[1, 2] += 1.0
    assert not (M(a) == M(b)), "matrices that differ in one entry compare equal"
    assert M([[1, 2, 3, 4]]) != M([[1, 2], [3, 4]]), "a 1x4 and a 2x2 matrix with the same entries compare equal"
    assert M([[1.0]]) != [[1.0]], "a Matrix compares equal to a plain list"


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (2, 5), (4, 4)])
def test_add_sub_scale_match_numpy(shape):
    a, b = random(shape), random(shape)
    assert_matches(M(a) + M(b), a + b, what=f"A + B for {shape} matrices")
    assert_matches(M(a) - M(b), a - b, what=f"A - B for {shape} matrices")
    assert_matches(-1.5 * M(a), -1.5 * a, what=f"-1.5 * A for a {shape} matrix")
    assert_matches(M(a) * 4, 4 * a, what=f"A * 4 for a {shape} matrix")


def test_elementwise_ops_reject_other_shapes():
    for op, name in ((lambda x, y: x + y, "+"), (lambda x, y: x - y, "-")):
        e = assert_raises(ValueError, op, M(random((2, 3))), M(random((3, 2))), what=f"A {name} B for shapes (2, 3) and (3, 2)")
        assert "(2, 3)" in str(e) and "(3, 2)" in str(e), f"the error for A {name} B should name both shapes, (2, 3) and (3, 2)"
    assert_raises(TypeError, lambda: M(random((2, 2))) * M(random((2, 2))), what="A * B for two matrices (use @)")


@pytest.mark.parametrize("shapes", [((1, 1), (1, 1)), ((3, 5), (5, 2)), ((1, 4), (4, 1)), ((4, 1), (1, 3)), ((6, 6), (6, 6))])
def test_matmul_matches_numpy(shapes):
    a, b = random(shapes[0]), random(shapes[1])
    assert_matches(M(a) @ M(b), a @ b, what=f"A @ B for shapes {shapes[0]} @ {shapes[1]}", rtol=1e-10, atol=1e-10)
    assert_matches(M(a).multiply(M(b)), a @ b, what=f"A.multiply(B) for shapes {shapes[0]} @ {shapes[1]}", rtol=1e-10, atol=1e-10)


def test_matmul_rejects_mismatched_shapes_naming_both():
    for sa, sb in (((2, 3), (2, 3)), ((4, 2), (3, 4))):
        e = assert_raises(ValueError, lambda: M(random(sa)) @ M(random(sb)), what=f"A @ B for shapes {sa} and {sb}")
        assert str(sa) in str(e) and str(sb) in str(e), f"the error for A @ B should name both shapes, {sa} and {sb}"
        assert_raises(ValueError, M(random(sa)).multiply, M(random(sb)), what=f"A.multiply(B) for shapes {sa} and {sb}")


@pytest.mark.parametrize("shape", [(1, 4), (4, 1), (2, 3), (3, 3), (5, 2)])
def test_transpose_matches_numpy(shape):
    a = random(shape)
    t = M(a).transpose()
    assert_matches(t, a.T, what=f"transpose of a {shape} matrix")
    assert_matches(M(a), a, what=f"a {shape} matrix after calling transpose() on it (it must not change)")


def test_identity():
    for n in (1, 2, 5):
        assert_matches(Matrix.identity(n), np.eye(n), what=f"Matrix.identity({n})")
    assert_raises(ValueError, Matrix.identity, 0, what="Matrix.identity(0)")


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7])
def test_determinant_matches_numpy(n):
    a = random((n, n))
    assert_matches(M(a).determinant(), float(np.linalg.det(a)), what=f"determinant of a random {n}x{n} matrix", rtol=1e-9, atol=1e-9)


def test_determinant_counts_row_swaps():
    # permutation-like matrices: every pivot needs a swap, and the sign must flip with each one
    for a, label in (([[0, 1], [1, 0]], "a 2x2 swap"), ([[0, 0, 2], [0, 3, 0], [1, 0, 0]], "an anti-diagonal 3x3"),
                     ([[0, 2, 1], [1, 0, 0], [0, 0, 3]], "a 3x3 with a zero top-left entry")):
        assert_matches(M(a).determinant(), float(np.linalg.det(np.array(a, dtype=float))), what=f"determinant of {label}", rtol=1e-9, atol=1e-12)
    singular = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    assert_matches(M(singular).determinant(), 0.0, what="determinant of a singular 3x3 matrix", atol=1e-9)
    assert_raises(ValueError, M(random((2, 3))).determinant, what="determinant of a 2x3 matrix")


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_inverse_matches_numpy(n):
    a = random((n, n)) + n * np.eye(n) * rng.choice([-1, 1])
    assert_matches(M(a).inverse(), np.linalg.inv(a), what=f"inverse of a random {n}x{n} matrix", rtol=1e-8, atol=1e-10)


def test_inverse_uses_partial_pivoting():
    # a tiny (not zero) pivot: elimination without row swaps loses all accuracy here
    a = np.array([[1e-18, 1.0, 2.0], [1.0, 1.0, 0.5], [2.0, -1.0, 1.0]])
    assert_matches(M(a).inverse(), np.linalg.inv(a), what="inverse of a 3x3 matrix whose top-left entry is 1e-18", rtol=1e-8, atol=1e-10)
    p = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert_matches(M(p).inverse(), p.T, what="inverse of a 3x3 permutation matrix", atol=1e-12)


def test_inverse_reports_singular_matrices():
    for a, label in (([[1, 2], [2, 4]], "a rank-1 2x2"), ([[1, 2, 3], [4, 5, 6], [7, 8, 9]], "a rank-2 3x3"),
                     ([[0, 0], [0, 0]], "the zero 2x2")):
        e = assert_raises(ValueError, M(a).inverse, what=f"inverse of {label} matrix")
        assert "singular" in str(e).lower(), f"the error for the inverse of {label} matrix should say it is singular"
    assert_raises(ValueError, M(random((3, 2))).inverse, what="inverse of a 3x2 matrix")


def test_solve_matches_numpy():
    for n in (1, 3, 6):
        a, b = random((n, n)) + 2 * n * np.eye(n), random(n)
        assert_matches(M(a).solve(b.tolist()), np.linalg.solve(a, b), what=f"solve for a {n}x{n} system", rtol=1e-8, atol=1e-10)
    a = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 1.0], [3.0, 0.0, -1.0]])
    assert_matches(M(a).solve([1.0, 2.0, 3.0]), np.linalg.solve(a, [1.0, 2.0, 3.0]), what="solve with a zero top-left entry", rtol=1e-8, atol=1e-12)
    assert_raises(ValueError, M(np.eye(3)).solve, [1.0, 2.0], what="solve with a 3x3 matrix and 2 right-hand sides")
    assert_raises(ValueError, M([[1, 2], [2, 4]]).solve, [1.0, 1.0], what="solve with a singular matrix")


def _eig_reference(a):
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(np.abs(values)))
    v = np.real(vectors[:, k])
    v = v / np.linalg.norm(v)
    return float(np.real(values[k])), v * np.sign(v[np.argmax(np.abs(v))])


@pytest.mark.parametrize("case", ["symmetric", "negative dominant", "non-symmetric", "1x1"])
def test_power_iteration_matches_numpy(case):
    if case == "1x1":
        a = np.array([[-2.5]])
    else:
        q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        values = {"symmetric": [6.0, 2.0, -1.0, 0.5], "negative dominant": [-7.0, 3.0, 1.0, -0.5],
                  "non-symmetric": [5.0, -2.0, 1.5, 0.2]}[case]
        basis = q if case != "non-symmetric" else q + 0.3 * rng.normal(size=(4, 4))
        a = basis @ np.diag(values) @ np.linalg.inv(basis)
    value, vector = M(a).power_iteration(iters=2000, tol=1e-12)
    expected_value, expected_vector = _eig_reference(a)
    assert_matches(value, expected_value, what=f"dominant eigenvalue of a {case} matrix", rtol=1e-7, atol=1e-9)
    assert_matches(np.asarray(vector), expected_vector, what=f"dominant eigenvector of a {case} matrix (unit norm, largest entry positive)",
                   rtol=1e-5, atol=1e-6, check_dtype=False)


def test_power_iteration_returns_a_unit_list_and_rejects_non_square():
    q, _ = np.linalg.qr(np.array([[1.0, 2.0], [3.0, 1.0]]))
    value, vector = M(q @ np.diag([30.0, 29.9]) @ q.T).power_iteration(iters=1, tol=1e-12)
    assert isinstance(vector, list) and len(vector) == 2, "power_iteration should return the eigenvector as a list of n floats"
    assert_matches(float(np.linalg.norm(vector)), 1.0, what="norm of the eigenvector after 1 iteration", rtol=1e-9)
    assert_raises(ValueError, M(random((2, 3))).power_iteration, what="power_iteration of a 2x3 matrix")


# --- scale: the singularity test is relative to max |A|, so it does not depend on the units ---
# An absolute threshold (|pivot| < 1e-12) calls every matrix with tiny entries singular, and misses a
# rank-deficient matrix with large entries whose elimination leaves a rounding residue (~1e-10) as pivot.

TINY = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, -1.0], [0.5, -1.0, 4.0]]) * 1e-13
HUGE_RANK_2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]) * 1e6


def test_tiny_entries_are_not_singular():
    assert_matches(M(TINY).inverse(), np.linalg.inv(TINY), what="inverse of a well-conditioned 3x3 with entries about 1e-13 "
                   "(is your singularity threshold absolute instead of relative to max |A|?)", rtol=1e-8)
    b = TINY @ np.array([1.0, -2.0, 0.5])
    assert_matches(M(TINY).solve(b.tolist()), np.linalg.solve(TINY, b), what="solve with a well-conditioned 3x3 with entries "
                   "about 1e-13 (an absolute pivot threshold?)", rtol=1e-8, check_dtype=False)
    assert_matches(M(TINY).determinant(), float(np.linalg.det(TINY)), what="determinant of a well-conditioned 3x3 with entries "
                   "about 1e-13 (a pivot compared with an absolute threshold?)", rtol=1e-8, atol=0)


def test_large_rank_deficient_matrix_is_singular():
    for method, args in (("inverse", ()), ("solve", ([1.0, 2.0, 3.0],))):
        e = assert_raises(ValueError, getattr(M(HUGE_RANK_2), method), *args,
                          what=f"{method} of a rank-2 3x3 with entries about 1e6, whose last pivot is a rounding residue, "
                               "not exactly 0 (compare |pivot| with 1e-12 * max |A|)")
        assert "singular" in str(e).lower(), f"the error from {method} of a singular matrix should say it is singular"


def test_small_but_valid_pivot_is_used():
    # nearly singular relative to its scale (pivot 1e-9 after elimination), but above 1e-12 * max |A|
    a = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-9]])
    assert_matches(M(a).inverse(), np.linalg.inv(a), what="inverse of [[1, 1], [1, 1 + 1e-9]] (non-singular; is your "
                   "singularity threshold larger than 1e-12 * max |A|?)", rtol=1e-5)


def test_singularity_threshold_boundary_is_inclusive():
    # |pivot| == 1e-12 * max |A| exactly: the docstring says <=, so this one is singular, and twice that is not
    at = np.array([[1.0, 0.0], [0.0, 1e-12]])
    for method, args in (("inverse", ()), ("solve", ([1.0, 1.0],))):
        assert_raises(ValueError, getattr(M(at), method), *args,
                      what=f"{method} of diag(1, 1e-12), whose pivot equals 1e-12 * max |A| (the test is <=, not <)")
    above = np.array([[1.0, 0.0], [0.0, 2e-12]])
    assert_matches(M(above).inverse(), np.linalg.inv(above), what="inverse of diag(1, 2e-12), whose pivot is above "
                   "1e-12 * max |A|", rtol=1e-9)
    assert_raises(ValueError, M([[0.0, 0.0], [0.0, 0.0]]).solve, [0.0, 0.0], what="solve with the zero 2x2 matrix")


# --- entries are floats, whatever came in ---

def test_entries_are_floats_for_int_and_bool_input():
    for rows, label in (([[1, 2], [3, 4]], "ints"), ([[True, False], [False, True]], "bools"),
                        ([(np.int64(2), np.float32(0.5))], "NumPy scalars")):
        m = Matrix(rows)
        kinds = {type(v).__name__ for row in m.tolist() for v in row} | {type(m[0, 0]).__name__}
        assert kinds == {"float"}, f"Matrix built from {label}: entries should be converted to Python float, found {sorted(kinds)}"
    kinds = {type(v).__name__ for v in M(np.eye(2) * 2).solve([2, 4])}
    assert kinds == {"float"}, f"solve with an int right-hand side should return a list of floats, found {sorted(kinds)}"


# --- no method changes the matrix, and repeated calls agree ---

def test_methods_leave_the_matrix_unchanged_and_repeat():
    a = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 1.0], [3.0, 0.0, -1.0]])  # needs row swaps
    m = M(a)
    for method, args in (("determinant", ()), ("inverse", ()), ("solve", ([1.0, 2.0, 3.0],)), ("power_iteration", (3,))):
        first = getattr(m, method)(*args)
        assert_matches(m, a, what=f"the matrix after calling {method}() on it (it must not change)")
        second = getattr(m, method)(*args)
        as_floats = lambda r: np.asarray(r[1] if method == "power_iteration" else r.tolist() if method == "inverse" else r, dtype=float)
        assert_matches(as_floats(second), as_floats(first),
                       what=f"a second call of {method}() on the same matrix (it should give the same result; "
                            "state left over from the first call?)", rtol=0, atol=0)


# --- power iteration: a pseudo-random start, not a fixed direction ---

@pytest.mark.parametrize("a, label", [([[1.0, -2.0], [-2.0, 1.0]], "[[1, -2], [-2, 1]] (dominant eigenvector [1, -1])"),
                                      ([[1.0, 0.0], [0.0, 5.0]], "diag(1, 5) (dominant eigenvector [0, 1])")])
def test_power_iteration_start_is_not_orthogonal_to_the_answer(a, label):
    value, _ = M(a).power_iteration(iters=2000, tol=1e-12)
    assert_matches(value, _eig_reference(np.array(a))[0], what=f"dominant eigenvalue of {label}; a start vector like all-ones or "
                   "e_1 is an eigenvector of the other eigenvalue here (start from random.Random(0).gauss)", rtol=1e-7)


# --- pivoting by magnitude, and the singularity scale, with negative entries ---

NEG_TINY_PIVOT = np.array([[1e-18, 1.0, 2.0], [-1.0, 1.0, 0.5], [-2.0, -1.0, 1.0]])  # det 6, well conditioned


def test_pivot_is_the_largest_magnitude_not_the_largest_value():
    # in column 0 the largest *value* is the tiny 1e-18; the pivot must be the -2 (largest |entry|)
    a = NEG_TINY_PIVOT
    hint = " (choose the pivot by |entry|: max(..., key=abs); a tiny pivot destroys the accuracy)"
    label = "a 3x3 with a 1e-18 corner and negative entries below"
    assert_matches(M(a).determinant(), float(np.linalg.det(a)), what=f"determinant of {label}{hint}", rtol=1e-8)
    assert_matches(M(a).inverse(), np.linalg.inv(a), what=f"inverse of {label}{hint}", rtol=1e-8, atol=1e-10)
    b = [1.0, -2.0, 0.5]
    assert_matches(M(a).solve(b), np.linalg.solve(a, b), what=f"solve with {label}{hint}", rtol=1e-8, atol=1e-10,
                   check_dtype=False)


def test_determinant_of_a_matrix_with_a_zero_column_is_zero():
    for a, label in (([[0.0, 1.0], [0.0, 2.0]], "a 2x2 with a zero first column"),
                     ([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0], [1.0, 2.0, 5.0]], "a 3x3 whose second column is 2x the first"),
                     ([[0.0, 0.0], [0.0, 0.0]], "the zero 2x2")):
        try:
            got = M(a).determinant()
        except ZeroDivisionError:
            raise Mismatch(f"determinant of {label} raised ZeroDivisionError: a column with no nonzero pivot "
                           "means the determinant is 0.0") from None
        assert_matches(got, 0.0, what=f"determinant of {label}", atol=1e-12)


def test_singularity_scale_uses_absolute_values():
    # all entries negative: max(A) is negative, max |A| is not
    for a, label in ((-np.array([[1.0, 2.0], [2.0, 4.0]]), "-[[1, 2], [2, 4]]"), (-HUGE_RANK_2, "a negated rank-2 3x3 "
                                                                                            "with entries about -1e6")):
        for method, args in (("inverse", ()), ("solve", ([1.0] * len(a),))):
            try:
                getattr(M(a), method)(*args)
            except ValueError:
                continue
            except ZeroDivisionError:
                pass
            raise Mismatch(f"{method} of the singular matrix {label} did not raise ValueError('matrix is singular'): "
                           "the threshold is 1e-12 * max |A[i, j]| (absolute values)")


def test_solve_scale_ignores_the_right_hand_side():
    # the pivot test compares with max |A| only; a large b must not make a well-conditioned tiny A singular
    b = [1.0, -2.0, 0.5]
    assert_matches(M(TINY).solve(b), np.linalg.solve(TINY, b), what="solve with entries about 1e-13 and b of order 1 "
                   "(is b part of the scale of the singularity test?)", rtol=1e-8, check_dtype=False)


def test_solve_takes_any_sequence_and_leaves_it_alone():
    a = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 1.0], [3.0, 0.0, -1.0]])
    expected = np.linalg.solve(a, [1.0, 2.0, 3.0])
    assert_matches(M(a).solve((1, 2, 3)), expected, what="solve with b given as a tuple of ints", rtol=1e-8, atol=1e-12,
                   check_dtype=False)
    b = [1, 2, 3]
    M(a).solve(b)
    if b != [1, 2, 3] or {type(v) for v in b} != {int}:
        raise Mismatch("solve changed the caller's list b: work on a copy")


# --- exact equality, strict indexing ---

def test_equality_is_exact():
    a = random((2, 2)) + 5.0
    b = a.copy()
    b[0, 1] = np.nextafter(b[0, 1], np.inf)
    if M(a) == M(b):
        raise Mismatch("matrices that differ by one unit in the last place compare equal (== is exact, no tolerance)")


def test_column_index_out_of_range_raises():
    m = M(random((4, 5)))
    for key in ((0, 5), (1, -6), (3, 5)):
        assert_raises(IndexError, lambda: m[key], what=f"m[{key[0]}, {key[1]}] of a 4x5 matrix (a column out of range "
                      "must not run into the next row)")


# --- power iteration: the stopping rule and a matrix that maps v to 0 ---

@pytest.mark.parametrize("tol", [1e-6, 1e-10])
def test_power_iteration_stops_on_the_residual(tol):
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    a = q @ np.diag([4.0, 3.0, 1.0, -0.5]) @ q.T
    value, vector = M(a).power_iteration(iters=5000, tol=tol)
    v = np.asarray(vector, dtype=float)
    residual = float(np.linalg.norm(a @ v - value * v))
    if not residual <= 2 * tol * max(1.0, abs(value)) + 1e-14:
        raise Mismatch(f"power_iteration(tol={tol:g}) returned a pair whose residual ||A v - lam v|| is above "
                       "tol * max(1, |lam|): stop on that residual, not on a change in lam or in v")


def test_power_iteration_when_a_v_becomes_zero():
    for a, label in (([[0.0, 0.0], [0.0, 0.0]], "the zero 2x2"), ([[0.0, 1.0], [0.0, 0.0]], "[[0, 1], [0, 0]]"),
                     ([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]], "a nilpotent 3x3")):
        try:
            value, vector = M(a).power_iteration()
        except ZeroDivisionError:
            raise Mismatch(f"power_iteration of {label} divided by ||A v|| = 0: return (0.0, v) when A v is 0") \
                from None
        assert_matches(value, 0.0, what=f"eigenvalue from power_iteration of {label}", atol=1e-12)
        assert_matches(float(np.linalg.norm(vector)), 1.0, what=f"norm of the vector from power_iteration of {label}",
                       rtol=1e-9)
    _, vector = M([[0.0, 1.0], [0.0, 0.0]]).power_iteration()
    assert_matches(np.asarray(vector, dtype=float), np.array([1.0, 0.0]), what="eigenvector from power_iteration of "
                   "[[0, 1], [0, 0]] (unit norm, largest entry positive)", atol=1e-12, check_dtype=False)


def test_construction_copies_float_rows_too():
    # rows that already hold floats are copied as well: the matrix must not share the caller's lists
    rows = [[1.5, -2.0], [0.25, 4.0]]
    m = Matrix(rows)
    rows[0][1] = 99.0
    rows[1][0] = -8.0
    assert_matches(m.tolist(), [[1.5, -2.0], [0.25, 4.0]], what="the matrix after the caller changed the float rows "
                   "it was built from (copy every row, even when no conversion is needed)")


def test_scalar_multiple_takes_any_real_number():
    # numbers.Real covers NumPy scalars and fractions, which isinstance(c, (int, float)) misses
    from fractions import Fraction
    a = random((2, 3))
    for c, label in ((np.int64(3), "np.int64(3)"), (np.float32(0.5), "np.float32(0.5)"),
                     (Fraction(1, 4), "Fraction(1, 4)")):
        assert_matches(M(a) * c, a * float(c), check_dtype=False,
                       what=f"A * {label} (a real number of another type: test with numbers.Real)")


def test_power_iteration_takes_exactly_iters_steps():
    # far from convergence the returned vector is A^k v0 / ||A^k v0|| for k = iters exactly (v0: the documented
    # random.Random(0).gauss start); one step too many or too few shows in the vector
    import random as _random
    a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])
    gen = _random.Random(0)
    v = np.array([gen.gauss(0.0, 1.0) for _ in range(3)])
    v /= np.linalg.norm(v)
    for k in (1, 2, 3):
        v = a @ v
        v /= np.linalg.norm(v)
        expected = v * np.sign(v[np.argmax(np.abs(v))])
        _, vector = M(a).power_iteration(iters=k, tol=1e-14)
        assert_matches(np.asarray(vector, dtype=float), expected, rtol=1e-9, atol=1e-12, check_dtype=False,
                       what=f"vector from power_iteration(iters={k}) of a 3x3 matrix that has not converged yet "
                            "(exactly iters steps v <- A v / ||A v||)")


def test_solve_and_determinant_return_the_documented_types():
    x = M([[2.0, 1.0], [1.0, 3.0]]).solve((1, 2))
    if not (isinstance(x, list) and all(isinstance(v, float) for v in x)):
        raise Mismatch(f"solve should return a list of floats, got {type(x).__name__}")
    for a, label in (([[1.0, 2.0], [2.0, 4.0]], "a singular 2x2"),
                     ([[0.0, 1.0], [0.0, 5.0]], "a 2x2 with a zero column")):
        det = M(a).determinant()
        if not isinstance(det, float):
            raise Mismatch(f"determinant of {label} should be the float 0.0, got {type(det).__name__}")
        assert_matches(det, 0.0, what=f"determinant of {label}", atol=1e-12)
