"""nbgrader export: the source notebook passes its own grade cell; the released one (solutions cleared) fails it;
a partly wrong submission gets the same points in nbgrader as in `grader check`."""
import copy

import nbclient
import pytest

from grader import export, progress, registry
from grader.mutants import variant as solved_source
from grader.tests.test_grader_cli import grader

EX = registry.exercise("1.2")


@pytest.fixture(scope="module")
def source_notebook(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (path,) = export.export(course, [EX])
    assert (course / "nbgrader_config.py").exists()
    import nbformat
    return nbformat.read(path, as_version=4)


def run(nb, cwd):
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()


def test_cells_carry_nbgrader_metadata(source_notebook):
    intro, answer, grade = source_notebook.cells  # 1.2 has no milestone: no milestone cell
    assert intro.metadata.nbgrader["locked"] and answer.metadata.nbgrader["solution"]
    assert grade.metadata.nbgrader["grade"] and grade.metadata.nbgrader["points"] == EX.points
    assert "### BEGIN SOLUTION" in answer.source


@pytest.mark.slow
def test_reference_passes_and_released_version_fails(source_notebook, tmp_path):
    from nbgrader.preprocessors import ClearSolutions
    from nbgrader.utils import determine_grade

    solved = copy.deepcopy(source_notebook)
    run(solved, tmp_path)
    assert determine_grade(solved.cells[2]) == (EX.points, EX.points), "the reference must score full points"
    released, _ = ClearSolutions().preprocess(copy.deepcopy(source_notebook), {})
    assert "### BEGIN SOLUTION" not in released.cells[1].source and "NotImplementedError" in released.cells[1].source
    run(released, tmp_path)
    assert determine_grade(released.cells[2]) == (0, EX.points), "the stub must score nothing in nbgrader"


def test_milestone_cell_carries_the_milestone_points(tmp_path):
    ex = registry.exercise("1.4")
    import nbformat
    (path,) = export.export(tmp_path, [ex])
    cells = nbformat.read(path, as_version=4).cells
    graded = [c.metadata.nbgrader for c in cells if c.metadata.nbgrader["grade"]]
    assert [g["points"] for g in graded] == [ex.points, ex.milestone.points]
    assert sum(g["points"] for g in graded) == ex.total_points
    assert 'grade_milestone("1.4")' in cells[-1].source


def test_a_buggy_submission_scores_the_same_as_in_grader_check(fresh_workspace, tmp_path, monkeypatch):
    """Partial credit: nbgrader scores a grade cell by `nbgrader.utils.determine_grade` (what autograde
    calls): the number the cell outputs. It must equal the points `grader check` gives."""
    from nbgrader.preprocessors import ClearSolutions
    from nbgrader.utils import determine_grade
    import nbformat

    ex = registry.exercise("1.1")
    good = "return Matrix([[self._rows[i][j] for i in range(n)] for j in range(m)])"
    assert good in solved_source(ex)
    buggy = solved_source(ex).replace(good, "return Matrix([row[:] for row in self._rows])")  # transpose forgotten
    ex.stub_path(fresh_workspace).write_text(buggy)
    grader(fresh_workspace, "check", ex.id)
    points = progress.Progress(fresh_workspace).exercise(ex.id)["points"]
    assert 0 < points < ex.points

    monkeypatch.setenv("PYTHONPATH", str(registry.ROOT))  # the kernel imports this checkout's grader
    (path,) = export.export(tmp_path / "course", [ex])
    released, _ = ClearSolutions().preprocess(nbformat.read(path, as_version=4), {})
    released.cells[1].source = f"%%writefile {ex.module}.py\n{buggy}"
    run(released, tmp_path)
    assert determine_grade(released.cells[2]) == (points, ex.points)
