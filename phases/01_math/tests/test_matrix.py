"""Visible tests for Exercise 1.1 (a Matrix class in pure Python). Run: make phase1"""
import pytest

from grader.target import exercise

Matrix = exercise("1.1").Matrix


def test_construct_shape_and_indexing():
    m = Matrix([[1, 2, 3], [4, 5, 6]])
    assert m.shape == (2, 3)
    assert m[0, 2] == 3.0
    assert m[1, -1] == 6.0
    assert m[1] == [4.0, 5.0, 6.0]
    assert m.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_ragged_or_empty_input_is_rejected():
    with pytest.raises(ValueError):
        Matrix([[1, 2], [3]])
    with pytest.raises(ValueError):
        Matrix([])
    with pytest.raises(ValueError):
        Matrix([[]])


def test_matrix_does_not_share_the_callers_lists():
    rows = [[1, 2], [3, 4]]
    m = Matrix(rows)
    rows[0][0] = 99
    m.tolist()[1][1] = 99
    assert m == Matrix([[1, 2], [3, 4]])


def test_equality():
    assert Matrix([[1, 2]]) == Matrix([[1.0, 2.0]])
    assert Matrix([[1, 2]]) != Matrix([[1, 3]])
    assert Matrix([[1, 2]]) != Matrix([[1], [2]])


def test_add_subtract_and_scalar_multiply():
    a, b = Matrix([[1, 2], [3, 4]]), Matrix([[10, 20], [30, 40]])
    assert a + b == Matrix([[11, 22], [33, 44]])
    assert b - a == Matrix([[9, 18], [27, 36]])
    assert 2 * a == Matrix([[2, 4], [6, 8]])
    assert a * 0.5 == Matrix([[0.5, 1], [1.5, 2]])


def test_add_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(1, 2\)"):
        Matrix([[1, 2], [3, 4]]) + Matrix([[1, 2]])


def test_matrix_product():
    a = Matrix([[1, 2, 3], [4, 5, 6]])          # 2 x 3
    b = Matrix([[7, 8], [9, 10], [11, 12]])      # 3 x 2
    assert a @ b == Matrix([[58, 64], [139, 154]])
    assert a.multiply(b) == a @ b
    assert (b @ a).shape == (3, 3)


def test_product_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        Matrix([[1, 2, 3], [4, 5, 6]]) @ Matrix([[1, 2, 3], [4, 5, 6]])


def test_transpose_and_identity():
    m = Matrix([[1, 2, 3], [4, 5, 6]])
    assert m.transpose() == Matrix([[1, 4], [2, 5], [3, 6]])
    assert Matrix.identity(3) == Matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert m @ Matrix.identity(3) == m


def test_determinant():
    assert Matrix([[3, 8], [4, 6]]).determinant() == pytest.approx(-14.0)
    assert Matrix([[2, 0, 0], [0, 3, 0], [0, 0, 4]]).determinant() == pytest.approx(24.0)
    assert Matrix([[1, 2], [2, 4]]).determinant() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        Matrix([[1, 2, 3]]).determinant()


def test_inverse_swaps_rows_for_a_zero_pivot():
    a = Matrix([[0, 1], [2, 3]])                 # a zero in the top-left corner: a row swap is needed
    inv = a.inverse()
    for row, expected in zip(inv.tolist(), [[-1.5, 0.5], [1.0, 0.0]]):
        assert row == pytest.approx(expected)
    with pytest.raises(ValueError, match="singular"):
        Matrix([[1, 2], [2, 4]]).inverse()


def test_singularity_is_judged_relative_to_the_matrix_scale():
    # tiny entries, far from singular: an absolute threshold such as |pivot| < 1e-12 rejects it
    tiny = Matrix([[2e-13, 1e-13], [1e-13, 3e-13]])
    for row, expected in zip(tiny.inverse().tolist(), [[6e12, -2e12], [-2e12, 4e12]]):
        assert row == pytest.approx(expected)
    # rank 2 with entries about 1e6: elimination leaves a rounding residue (about 1e-9, not 0) as the
    # last pivot, which is negligible next to 1e-12 * max |A| but not next to an absolute 1e-12
    huge = Matrix([[1e6, 2e6, 3e6], [4e6, 5e6, 6e6], [7e6, 8e6, 9e6]])
    with pytest.raises(ValueError, match="singular"):
        huge.inverse()


def test_solve():
    a = Matrix([[2, 1], [1, 3]])
    assert a.solve([3, 5]) == pytest.approx([0.8, 1.4])


def test_power_iteration_finds_the_dominant_eigenpair():
    value, vector = Matrix([[2, 1], [1, 2]]).power_iteration()
    assert value == pytest.approx(3.0, abs=1e-8)
    assert vector == pytest.approx([2 ** -0.5, 2 ** -0.5], abs=1e-6)
