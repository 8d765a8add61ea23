"""nbgrader export: the source notebook passes its own grade cell; the released one (solutions cleared) fails it."""
import copy

import nbclient
import pytest

from grader import export, registry

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
    intro, answer, grade = source_notebook.cells
    assert intro.metadata.nbgrader["locked"] and answer.metadata.nbgrader["solution"]
    assert grade.metadata.nbgrader["grade"] and grade.metadata.nbgrader["points"] == EX.points
    assert "### BEGIN SOLUTION" in answer.source


@pytest.mark.slow
def test_reference_passes_and_released_version_fails(source_notebook, tmp_path):
    from nbgrader.preprocessors import ClearSolutions

    run(copy.deepcopy(source_notebook), tmp_path)
    released, _ = ClearSolutions().preprocess(copy.deepcopy(source_notebook), {})
    assert "### BEGIN SOLUTION" not in released.cells[1].source and "NotImplementedError" in released.cells[1].source
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="check"):
        run(released, tmp_path)
