"""Mutants and alternatives for Exercise 1.1 (a Matrix class in pure Python)."""
from grader.mutants import Edit

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
]
