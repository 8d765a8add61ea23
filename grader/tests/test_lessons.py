"""Every phase's lesson.py runs top to bottom as a notebook, headlessly."""

import pytest

from grader import childenv, registry

LESSONS = [p.path / "lesson.py" for p in registry.load() if (p.path / "lesson.py").exists()]


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_lesson_executes(path, tmp_path, monkeypatch):
    import jupytext
    import nbclient

    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel then uses the inline backend, as in Jupyter
    notebook = jupytext.read(path)
    assert sum(cell.cell_type == "markdown" for cell in notebook.cells) >= 3, "a lesson explains, in markdown cells"
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=childenv.environ())  # the kernel gets the grader's child environment
    images = sum("image/png" in out.get("data", {}) for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", []))
    assert images >= 1, "a lesson shows at least one figure"
