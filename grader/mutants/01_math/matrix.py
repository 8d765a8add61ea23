"""Mutants and alternatives for Exercise 1.1 (a Matrix class in pure Python)."""
from grader.mutants import Edit

PIVOT_INV = """            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]"""
PIVOT_SOLVE = """            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            for r in range(col + 1, n):"""
PIVOT_DET = """            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if a[pivot][col] == 0.0:"""
POWER_TAIL = """            if norm == 0.0:
                lam = 0.0
                break
            if residual <= tol * max(1.0, abs(lam)):
                break
            v = [x / norm for x in w]"""

MUTANTS = [
    Edit("transpose that copies instead of swapping indices",
         find="return Matrix([[self._rows[i][j] for i in range(n)] for j in range(m)])",
         replace="return Matrix([[self._rows[i][j] for j in range(m)] for i in range(n)])"),
    Edit("transpose with the loops the wrong way round on non-square matrices",
         find="return Matrix([[self._rows[i][j] for i in range(n)] for j in range(m)])",
         replace="return Matrix([[self._rows[j][i] for i in range(min(n, m))] for j in range(min(n, m))])"),
    Edit("product multiplies rows by rows",
         find="columns = [[other._rows[j][k] for j in range(m)] for k in range(p)]",
         replace="columns = [list(r) for r in other._rows][:p] + [[0.0] * m] * max(0, p - len(other._rows))"),
    Edit("product without the inner-size check (zip truncates silently)",
         find="""        if m != m2:
            raise ValueError(f"cannot multiply matrices of shapes {self.shape} and {other.shape}: inner sizes differ")
""", replace=""),
    Edit("ragged rows accepted", find="""        if any(len(row) != len(rows[0]) for row in rows):
            raise ValueError(f"ragged rows: lengths {[len(row) for row in rows]}")
""", replace=""),
    Edit("determinant ignores the sign of row swaps", find="""                a[col], a[pivot] = a[pivot], a[col]
                det = -det""", replace="""                a[col], a[pivot] = a[pivot], a[col]"""),
    Edit("inverse without pivoting (divides by whatever is on the diagonal)",
         find="""            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]""",
         replace="""            pivot = next((r for r in range(col, n) if a[r][col] != 0.0), None)
            if pivot is None:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]"""),
    Edit("inverse without a singularity test (divides by a zero or negligible pivot)",
         find="""            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]""",
         replace="""            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]"""),
    Edit("solve back-substitutes in the wrong order",
         find="for i in reversed(range(n)):", replace="for i in range(n):"),
    Edit("power iteration takes the eigenvalue as ||A v|| (loses the sign)",
         find="            if residual <= tol * max(1.0, abs(lam)):",
         replace="            lam = norm\n            residual = math.sqrt(math.fsum((wi - lam * vi) ** 2 for wi, vi in zip(w, v)))\n            if residual <= tol * max(1.0, abs(lam)):"),
    Edit("power iteration returns an unnormalised eigenvector",
         find="        return lam, [sign * x for x in v]", replace="        return lam, [sign * x for x in w]"),
    Edit("scalar multiple only works on the right", find="""    def __rmul__(self, scalar) -> "Matrix":
        return self.__mul__(scalar)""", replace="""    def __rmul__(self, scalar) -> "Matrix":
        return NotImplemented"""),
    # scale, boundary: the singularity test
    Edit("inverse with an absolute pivot threshold",
         find="""            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]""",
         replace="""            if abs(a[pivot][col]) < 1e-10:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]"""),
    Edit("solve with an absolute pivot threshold",
         find="""            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            for r in range(col + 1, n):""",
         replace="""            if abs(a[pivot][col]) < 1e-12:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            for r in range(col + 1, n):"""),
    Edit("inverse treats only an exactly zero pivot as singular",
         find="""            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]""",
         replace="""            if a[pivot][col] == 0.0:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            p = a[col][col]"""),
    Edit("inverse with a threshold far above 1e-12 * max |A|",
         find="            if abs(a[pivot][col]) <= 1e-12 * scale:\n                raise ValueError(\"matrix is singular\")\n            a[col], a[pivot] = a[pivot], a[col]\n            p",
         replace="            if abs(a[pivot][col]) <= 1e-8 * scale:\n                raise ValueError(\"matrix is singular\")\n            a[col], a[pivot] = a[pivot], a[col]\n            p"),
    Edit("solve with a strict < in the singularity test",
         find="""            if abs(a[pivot][col]) <= 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            for r in range(col + 1, n):""",
         replace="""            if abs(a[pivot][col]) < 1e-12 * scale:
                raise ValueError("matrix is singular")
            a[col], a[pivot] = a[pivot], a[col]
            for r in range(col + 1, n):"""),
    Edit("determinant returns 0 below an absolute pivot threshold",
         find="            if a[pivot][col] == 0.0:\n                return 0.0",
         replace="            if abs(a[pivot][col]) < 1e-12:\n                return 0.0"),
    # dtypes
    Edit("entries kept as given (ints stay ints)",
         find="rows = [[float(v) for v in row] for row in rows]", replace="rows = [list(row) for row in rows]"),
    # state
    Edit("determinant eliminates in the matrix's own rows",
         find="""        a = self.tolist()
        det = 1.0""", replace="""        a = self._rows
        det = 1.0"""),
    Edit("power iteration draws its start from one generator shared by all calls",
         find="        rng = random.Random(0)\n", replace="        rng = Matrix._rng = getattr(Matrix, '_rng', random.Random(0))\n"),
    # law of the start vector
    Edit("power iteration starts from the all-ones vector",
         find="        v = [rng.gauss(0.0, 1.0) for _ in range(n)]", replace="        v = [1.0] * n"),
    Edit("power iteration starts from e_1",
         find="        v = [rng.gauss(0.0, 1.0) for _ in range(n)]", replace="        v = [1.0] + [0.0] * (n - 1)"),
    # pivot choice and the singularity scale
    Edit("determinant swaps rows only for a zero pivot (no partial pivoting)",
         find=PIVOT_DET, replace=PIVOT_DET.replace("max(range(col, n), key=lambda r: abs(a[r][col]))",
                                                   "next((r for r in range(col, n) if a[r][col] != 0.0), col)")),
    Edit("determinant pivots on the largest value, not the largest |value|",
         find=PIVOT_DET, replace=PIVOT_DET.replace("key=lambda r: abs(a[r][col])", "key=lambda r: a[r][col]")),
    Edit("inverse pivots on the largest value, not the largest |value|",
         find=PIVOT_INV, replace=PIVOT_INV.replace("key=lambda r: abs(a[r][col])", "key=lambda r: a[r][col]")),
    Edit("solve pivots on the largest value, not the largest |value|",
         find=PIVOT_SOLVE, replace=PIVOT_SOLVE.replace("key=lambda r: abs(a[r][col])", "key=lambda r: a[r][col]")),
    Edit("determinant divides by a zero pivot (no early return of 0.0)",
         find="            if a[pivot][col] == 0.0:\n                return 0.0\n", replace=""),
    Edit("inverse scale is max A[i, j], not max |A[i, j]|",
         find="        scale = max(abs(v) for row in self._rows for v in row)\n        a = [row + [1.0",
         replace="        scale = max(v for row in self._rows for v in row)\n        a = [row + [1.0"),
    Edit("solve measures the scale on [A | b]",
         find="        a = [row + [bi] for row, bi in zip(self.tolist(), b)]\n",
         replace="        a = [row + [bi] for row, bi in zip(self.tolist(), b)]\n"
                 "        scale = max(abs(v) for row in a for v in row)\n"),
    Edit("inverse measures the scale on [A | I]",
         find="        a = [row + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(self.tolist())]\n",
         replace="        a = [row + [1.0 if i == j else 0.0 for j in range(n)] for i, row in "
                 "enumerate(self.tolist())]\n        scale = max(abs(v) for row in a for v in row)\n"),
    # the caller's b
    Edit("solve converts b in place (fails on a tuple, changes the caller's list)",
         find="        b = [float(v) for v in b]\n",
         replace="        for i in range(len(b)):\n            b[i] = float(b[i])\n"),
    # equality and indexing
    Edit("equality with a tolerance (math.isclose)",
         find="        return self._rows == other._rows",
         replace="        return self.shape == other.shape and all(math.isclose(a, b)"
                 " for r, s in zip(self._rows, other._rows) for a, b in zip(r, s))"),
    Edit("indexing into flat storage: a column past the end reads the next row",
         find="            i, j = key\n            return self._rows[i][j]",
         replace="            i, j = key\n            n, m = self.shape\n"
                 "            i, j = i % n if i < 0 else i, j % m if j < 0 else j\n"
                 "            return [v for r in self._rows for v in r][i * m + j]"),
    # power iteration: stopping rule, A v = 0
    Edit("power iteration stops when the eigenvalue estimate stops changing",
         find="        lam = 0.0\n        for _ in range(iters):",
         replace="        lam = 0.0\n        previous = math.inf\n        for _ in range(iters):",
         then=Edit("residual is the change in lam",
                   find="            residual = math.sqrt(math.fsum((wi - lam * vi) ** 2 for wi, vi in zip(w, v)))\n",
                   replace="            residual, previous = abs(lam - previous), lam\n")),
    Edit("power iteration normalises A v before the stopping test (divides by 0 when A v = 0)",
         find=POWER_TAIL,
         replace="            v = [x / norm for x in w]\n"
                 "            if residual <= tol * max(1.0, abs(lam)):\n                break"),
    # sharing the caller's or the matrix' lists, scalars of other real types, entrywise A * B
    Edit("constructor skips the copy when the rows already hold floats",
         find="        rows = [[float(v) for v in row] for row in rows]\n",
         replace="        rows = [row if isinstance(row, list) and all(type(v) is float for v in row)\n"
                 "                else [float(v) for v in row] for row in rows]\n"),
    Edit("tolist copies the outer list only (the rows are shared)",
         find="        return [list(row) for row in self._rows]\n", replace="        return list(self._rows)\n"),
    Edit("scalar multiple accepts only isinstance(c, (int, float)) (NumPy integers and fractions rejected)",
         find="        if not isinstance(scalar, Real):\n            return NotImplemented\n"
              "        return Matrix([[scalar * a",
         replace="        if not isinstance(scalar, (int, float)):\n            return NotImplemented\n"
                 "        return Matrix([[scalar * a"),
    Edit("A * B of two matrices as the entrywise product",
         find="""        if not isinstance(scalar, Real):
            return NotImplemented
        return Matrix([[scalar * a""",
         replace="""        if isinstance(scalar, Matrix):
            self._check_same_shape(scalar, "multiply")
            return Matrix([[a * b for a, b in zip(r, s)] for r, s in zip(self._rows, scalar._rows)])
        if not isinstance(scalar, Real):
            return NotImplemented
        return Matrix([[scalar * a"""),
    Edit("power iteration takes one step more than iters",
         find="        for _ in range(iters):\n", replace="        for _ in range(iters + 1):\n"),
    Edit("determinant returns the int 0 for a zero pivot",
         find="            if a[pivot][col] == 0.0:\n                return 0.0",
         replace="            if a[pivot][col] == 0.0:\n                return 0"),
    Edit("solve returns a tuple", find="        return x\n", replace="        return tuple(x)\n"),
]

ALTERNATIVES = [
    Edit("transpose with zip", find="""        n, m = self.shape
        return Matrix([[self._rows[i][j] for i in range(n)] for j in range(m)])""",
         replace="""        return Matrix([list(column) for column in zip(*self._rows)])"""),
    Edit("product as a plain triple loop", find="""        columns = [[other._rows[j][k] for j in range(m)] for k in range(p)]
        return Matrix([[math.fsum(a * b for a, b in zip(row, col)) for col in columns] for row in self._rows])""",
         replace="""        out = [[0.0] * p for _ in range(n)]
        for i in range(n):
            for k in range(p):
                for j in range(m):
                    out[i][k] += self._rows[i][j] * other._rows[j][k]
        return Matrix(out)"""),
    Edit("determinant by cofactor expansion along the first row", find="""        a = self.tolist()
        det = 1.0
        for col in range(n):""", replace="""        def cofactor(rows):
            if len(rows) == 1:
                return rows[0][0]
            return sum((-1) ** j * rows[0][j] * cofactor([r[:j] + r[j + 1:] for r in rows[1:]]) for j in range(len(rows)))
        return float(cofactor(self._rows))
        a = self.tolist()
        det = 1.0
        for col in range(n):"""),
    Edit("solve through the inverse", find="""        scale = max(abs(v) for row in self._rows for v in row)
        a = [row + [bi] for row, bi in zip(self.tolist(), b)]""", replace="""        inv = self.inverse()
        return [sum(inv[i, j] * b[j] for j in range(n)) for i in range(n)]
        a = [row + [bi] for row, bi in zip(self.tolist(), b)]"""),
    Edit("determinant returns 0.0 under the same relative pivot test as inverse",
         find="            if a[pivot][col] == 0.0:\n                return 0.0",
         replace="            if abs(a[pivot][col]) <= 1e-12 * max(abs(v) for row in self._rows for v in row):\n                return 0.0"),
    Edit("power iteration returns the normalised A v of the step that converged",
         find="            if residual <= tol * max(1.0, abs(lam)):\n                break\n"
              "            v = [x / norm for x in w]",
         replace="            v = [x / norm for x in w]\n"
                 "            if residual <= tol * max(1.0, abs(lam)):\n                break"),
    Edit("indexing that checks both indices itself",
         find="            i, j = key\n            return self._rows[i][j]",
         replace="            i, j = key\n            n, m = self.shape\n"
                 "            if not (-n <= i < n and -m <= j < m):\n"
                 "                raise IndexError(f\"index {key} out of range for shape {self.shape}\")\n"
                 "            return self._rows[i % n][j % m]"),
    Edit("constructor through list(map(float, row)), tolist through slices",
         find="        rows = [[float(v) for v in row] for row in rows]\n",
         replace="        rows = [list(map(float, row)) for row in rows]\n",
         then=Edit("slices", find="        return [list(row) for row in self._rows]\n",
                   replace="        return [row[:] for row in self._rows]\n")),
]
