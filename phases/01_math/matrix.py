"""Exercise 1.1: a matrix class in pure Python.

Every later phase multiplies, transposes and inverts arrays through NumPy or tinygrad. Here you write
those operations yourself, with lists of floats, so that you know what each one costs and where it
can go numerically wrong (a zero pivot, a nearly singular matrix). No NumPy in this file.

A Matrix is immutable from the outside: every operation returns a new Matrix.
"""
from __future__ import annotations

import math
import random
from numbers import Real


class Matrix:
    """An n x m matrix of floats, stored as a list of n rows of m floats each."""

    def __init__(self, rows):
        """Build a matrix from nested sequences of numbers, e.g. Matrix([[1, 2], [3, 4]]).

        The entries are copied and converted to float. Raises ValueError for an empty matrix
        (no rows, or rows without entries) and for ragged rows (rows of different lengths).
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.__init__ (see its docstring)")

    @property
    def shape(self) -> tuple[int, int]:
        """(number of rows, number of columns)."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.shape (see its docstring)")

    def __getitem__(self, key):
        """m[i, j] is the entry in row i, column j (a float); m[i] is row i as a new list of floats.

        Negative indices count from the end, as for lists. Out of range raises IndexError.
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.__getitem__ (see its docstring)")

    def tolist(self) -> list[list[float]]:
        """The entries as a new list of row lists (changing it does not change the matrix)."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.tolist (see its docstring)")

    def __eq__(self, other) -> bool:
        """Exact equality: same shape and equal entries. Comparing with a non-Matrix is never equal."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.__eq__ (see its docstring)")

    def __repr__(self) -> str:
        return f"Matrix({self.tolist()!r})"

    def _check_same_shape(self, other: "Matrix", op: str) -> None:
        if self.shape != other.shape:
            raise ValueError(f"cannot {op} matrices of shapes {self.shape} and {other.shape}")

    def __add__(self, other: "Matrix") -> "Matrix":
        """Entrywise sum. Raises ValueError naming both shapes when they differ."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.__add__ (see its docstring)")

    def __sub__(self, other: "Matrix") -> "Matrix":
        """Entrywise difference self - other. Raises ValueError naming both shapes when they differ."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.__sub__ (see its docstring)")

    def __mul__(self, scalar) -> "Matrix":
        """Scalar multiple c * A (every entry times c). Also works as A * c (see __rmul__).

        Only real numbers are accepted; A * B for two matrices is a TypeError (use A @ B).
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.__mul__ (see its docstring)")

    def __rmul__(self, scalar) -> "Matrix":
        return self.__mul__(scalar)

    def multiply(self, other: "Matrix") -> "Matrix":
        """The matrix product C = self @ other, C[i, k] = sum_j self[i, j] * other[j, k].

        (n, m) @ (m, p) -> (n, p). Raises ValueError naming both shapes when the inner sizes differ.
        The operator `@` calls this method.
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.multiply (see its docstring)")

    def __matmul__(self, other: "Matrix") -> "Matrix":
        if not isinstance(other, Matrix):
            return NotImplemented
        return self.multiply(other)

    def transpose(self) -> "Matrix":
        """The transpose: an (n, m) matrix becomes (m, n) with T[j, i] = A[i, j]."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.transpose (see its docstring)")

    @classmethod
    def identity(cls, n: int) -> "Matrix":
        """The n x n identity matrix. Raises ValueError for n < 1."""
        raise NotImplementedError("Exercise 1.1: implement Matrix.identity (see its docstring)")

    def _require_square(self, what: str) -> int:
        n, m = self.shape
        if n != m:
            raise ValueError(f"{what} needs a square matrix, got shape {self.shape}")
        return n

    def determinant(self) -> float:
        """det(A) by Gaussian elimination with partial pivoting: the product of the pivots,
        with the sign flipped once per row swap. O(n^3), unlike cofactor expansion's O(n!).

        A singular matrix gives 0.0 (or a number tiny compared with its entries).
        Raises ValueError for a non-square matrix.
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.determinant (see its docstring)")

    def inverse(self) -> "Matrix":
        """A^-1 by Gauss-Jordan elimination on [A | I] with partial pivoting.

        In each column, the row with the largest |entry| at or below the diagonal is swapped up to be
        the pivot; dividing by a tiny pivot would amplify rounding errors. Raises ValueError for a
        non-square matrix, and ValueError("matrix is singular") when a pivot is zero or negligible
        (|pivot| <= 1e-12 * max |A[i, j]|).
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.inverse (see its docstring)")

    def solve(self, b) -> list[float]:
        """The x with A x = b, for a square, non-singular A and a sequence b of n numbers.

        Gaussian elimination with partial pivoting on [A | b], then back substitution (no explicit
        inverse). Returns a list of n floats. Raises ValueError when A is not square, when len(b) != n,
        or ("matrix is singular") under the same pivot test as `inverse`.
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.solve (see its docstring)")

    def power_iteration(self, iters: int = 1000, tol: float = 1e-10) -> tuple[float, list[float]]:
        """The dominant eigenpair (largest |eigenvalue|) of a square matrix by power iteration.

        Start from a fixed pseudo-random unit vector v (random.Random(0).gauss, so the start is almost
        surely not orthogonal to the dominant eigenvector), then repeat: w = A v, eigenvalue estimate
        lam = v . w (the Rayleigh quotient of the unit vector v), v = w / ||w||. Stop after `iters`
        steps, or as soon as the residual ||A v - lam v|| <= tol * max(1, |lam|).

        Returns (lam, v): lam a float, v a list of n floats with ||v||_2 = 1 and the sign chosen so that
        its entry of largest magnitude is positive. The method converges when one eigenvalue is strictly
        largest in magnitude (rate |lambda_2 / lambda_1| per step). If A v becomes 0, returns (0.0, v).
        Raises ValueError for a non-square matrix.
        """
        raise NotImplementedError("Exercise 1.1: implement Matrix.power_iteration (see its docstring)")
