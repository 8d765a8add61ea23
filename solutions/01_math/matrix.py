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
        ### BEGIN SOLUTION
        rows = [[float(v) for v in row] for row in rows]
        if not rows or not rows[0]:
            raise ValueError("a matrix needs at least one row and one column")
        if any(len(row) != len(rows[0]) for row in rows):
            raise ValueError(f"ragged rows: lengths {[len(row) for row in rows]}")
        self._rows = rows
        ### END SOLUTION

    @property
    def shape(self) -> tuple[int, int]:
        """(number of rows, number of columns)."""
        ### BEGIN SOLUTION
        return len(self._rows), len(self._rows[0])
        ### END SOLUTION

    def __getitem__(self, key):
        """m[i, j] is the entry in row i, column j (a float); m[i] is row i as a new list of floats.

        Negative indices count from the end, as for lists. Out of range raises IndexError.
        """
        ### BEGIN SOLUTION
        if isinstance(key, tuple):
            i, j = key
            return self._rows[i][j]
        return list(self._rows[key])
        ### END SOLUTION

    def tolist(self) -> list[list[float]]:
        """The entries as a new list of row lists (changing it does not change the matrix)."""
        ### BEGIN SOLUTION
        return [list(row) for row in self._rows]
        ### END SOLUTION

    def __eq__(self, other) -> bool:
        """Exact equality: same shape and equal entries. Comparing with a non-Matrix is never equal."""
        ### BEGIN SOLUTION
        if not isinstance(other, Matrix):
            return NotImplemented
        return self._rows == other._rows
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"Matrix({self.tolist()!r})"

    def _check_same_shape(self, other: "Matrix", op: str) -> None:
        if self.shape != other.shape:
            raise ValueError(f"cannot {op} matrices of shapes {self.shape} and {other.shape}")

    def __add__(self, other: "Matrix") -> "Matrix":
        """Entrywise sum. Raises ValueError naming both shapes when they differ."""
        ### BEGIN SOLUTION
        if not isinstance(other, Matrix):
            return NotImplemented
        self._check_same_shape(other, "add")
        return Matrix([[a + b for a, b in zip(r, s)] for r, s in zip(self._rows, other._rows)])
        ### END SOLUTION

    def __sub__(self, other: "Matrix") -> "Matrix":
        """Entrywise difference self - other. Raises ValueError naming both shapes when they differ."""
        ### BEGIN SOLUTION
        if not isinstance(other, Matrix):
            return NotImplemented
        self._check_same_shape(other, "subtract")
        return Matrix([[a - b for a, b in zip(r, s)] for r, s in zip(self._rows, other._rows)])
        ### END SOLUTION

    def __mul__(self, scalar) -> "Matrix":
        """Scalar multiple c * A (every entry times c). Also works as A * c (see __rmul__).

        Only real numbers are accepted; A * B for two matrices is a TypeError (use A @ B).
        """
        ### BEGIN SOLUTION
        if not isinstance(scalar, Real):
            return NotImplemented
        return Matrix([[scalar * a for a in row] for row in self._rows])
        ### END SOLUTION

    def __rmul__(self, scalar) -> "Matrix":
        return self.__mul__(scalar)

    def multiply(self, other: "Matrix") -> "Matrix":
        """The matrix product C = self @ other, C[i, k] = sum_j self[i, j] * other[j, k].

        (n, m) @ (m, p) -> (n, p). Raises ValueError naming both shapes when the inner sizes differ.
        The operator `@` calls this method.
        """
        ### BEGIN SOLUTION
        (n, m), (m2, p) = self.shape, other.shape
        if m != m2:
            raise ValueError(f"cannot multiply matrices of shapes {self.shape} and {other.shape}: inner sizes differ")
        columns = [[other._rows[j][k] for j in range(m)] for k in range(p)]
        return Matrix([[math.fsum(a * b for a, b in zip(row, col)) for col in columns] for row in self._rows])
        ### END SOLUTION

    def __matmul__(self, other: "Matrix") -> "Matrix":
        if not isinstance(other, Matrix):
            return NotImplemented
        return self.multiply(other)

    def transpose(self) -> "Matrix":
        """The transpose: an (n, m) matrix becomes (m, n) with T[j, i] = A[i, j]."""
        ### BEGIN SOLUTION
        n, m = self.shape
        return Matrix([[self._rows[i][j] for i in range(n)] for j in range(m)])
        ### END SOLUTION

    @classmethod
    def identity(cls, n: int) -> "Matrix":
        """The n x n identity matrix. Raises ValueError for n < 1."""
        ### BEGIN SOLUTION
        if n < 1:
            raise ValueError(f"identity size must be at least 1, got {n}")
        return cls([[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)])
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        n = self._require_square("determinant")
        a = self.tolist()
        det = 1.0
        for col in range(n):
            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if a[pivot][col] == 0.0:
                return 0.0
            if pivot != col:
                a[col], a[pivot] = a[pivot], a[col]
                det = -det
            det *= a[col][col]
            for r in range(col + 1, n):
                factor = a[r][col] / a[col][col]
                for c in range(col, n):
                    a[r][c] -= factor * a[col][c]
        return det
        ### END SOLUTION

    def inverse(self) -> "Matrix":
        """A^-1 by Gauss-Jordan elimination on [A | I] with partial pivoting.

        In each column, the row with the largest |entry| at or below the diagonal is swapped up to be
        the pivot; dividing by a tiny pivot would amplify rounding errors. Raises ValueError for a
        non-square matrix, and ValueError("matrix is singular") when a pivot is zero or negligible
        (|pivot| <= 1e-12 * max |A[i, j]|).
        """
        ### BEGIN SOLUTION
        n = self._require_square("inverse")
        scale = max(abs(v) for row in self._rows for v in row)
        a = [row + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(self.tolist())]
        for col in range(n):
            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]
            a[col] = [v / p for v in a[col]]
            for r in range(n):
                if r != col and a[r][col] != 0.0:
                    factor = a[r][col]
                    a[r] = [v - factor * w for v, w in zip(a[r], a[col])]
        return Matrix([row[n:] for row in a])
        ### END SOLUTION

    def solve(self, b) -> list[float]:
        """The x with A x = b, for a square, non-singular A and a sequence b of n numbers.

        Gaussian elimination with partial pivoting on [A | b], then back substitution (no explicit
        inverse). Returns a list of n floats. Raises ValueError when A is not square, when len(b) != n,
        or ("matrix is singular") under the same pivot test as `inverse`.
        """
        ### BEGIN SOLUTION
        n = self._require_square("solve")
        b = [float(v) for v in b]
        if len(b) != n:
            raise ValueError(f"b has {len(b)} entries, but the matrix has shape {self.shape}")
        scale = max(abs(v) for row in self._rows for v in row)
        a = [row + [bi] for row, bi in zip(self.tolist(), b)]
        for col in range(n):
            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            for r in range(col + 1, n):
                factor = a[r][col] / a[col][col]
                for c in range(col, n + 1):
                    a[r][c] -= factor * a[col][c]
        x = [0.0] * n
        for i in reversed(range(n)):
            x[i] = (a[i][n] - math.fsum(a[i][j] * x[j] for j in range(i + 1, n))) / a[i][i]
        return x
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        n = self._require_square("power_iteration")
        rng = random.Random(0)
        v = [rng.gauss(0.0, 1.0) for _ in range(n)]
        norm = math.sqrt(math.fsum(x * x for x in v))
        v = [x / norm for x in v]
        lam = 0.0
        for _ in range(iters):
            w = [math.fsum(a * x for a, x in zip(row, v)) for row in self._rows]
            lam = math.fsum(a * b for a, b in zip(v, w))
            residual = math.sqrt(math.fsum((wi - lam * vi) ** 2 for wi, vi in zip(w, v)))
            norm = math.sqrt(math.fsum(x * x for x in w))
            if norm == 0.0:
                lam = 0.0
                break
            if residual <= tol * max(1.0, abs(lam)):
                break
            v = [x / norm for x in w]
        sign = 1.0 if max(v, key=abs) > 0 else -1.0
        return lam, [sign * x for x in v]
        ### END SOLUTION
