"""Export the curriculum as an nbgrader course.

    grader export-nbgrader COURSE_DIR

writes `COURSE_DIR/source/<phase>/<id>_<module>.ipynb`, one notebook per exercise, and a minimal
`nbgrader_config.py`. Each notebook has three cells: the exercise's introduction (locked), the reference
module as an nbgrader solution cell (`%%writefile <module>.py`; our `### BEGIN/END SOLUTION` markers are
nbgrader's own, so `nbgrader generate_assignment` produces the stub), and a locked, graded test cell worth
the exercise's points that runs the visible tests and hidden checks on the written file with `grade()`.
The grading environment needs this repository installed (`pip install -e .`).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from grader import registry, runner

CONFIG = '''c = get_config()  # noqa: F821  (nbgrader's configuration object)
c.CourseDirectory.root = "."
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
'''


def grade(ex_id: str, path: str) -> float:
    """Grade the module file at `path` as Exercise `ex_id`; raise AssertionError unless everything passes."""
    ex = registry.exercise(ex_id)
    with tempfile.TemporaryDirectory(prefix="gradschool-nb-") as tmp:
        workspace = Path(tmp)
        ex.visible_tests(workspace).parent.mkdir(parents=True)
        shutil.copy(path, ex.stub_path(workspace))
        shutil.copy(ex.visible_tests(), ex.visible_tests(workspace))
        result = runner.run_tests(ex, workspace)
    passed = [t for t in result.tests if t["outcome"] == "passed"]
    print(f"Exercise {ex.id}: {len(passed)}/{len(result.tests)} checks passed")
    for failure in result.failures()[:5]:
        print(f"  [{failure['kind']}] {failure['test']}: {failure['message']}")
    if not result.passed:
        raise AssertionError(result.problem or f"{len(result.failures())} check(s) failed")
    return float(ex.points)


def _cell(cell_type: str, source: str, grade_id: str, **nbgrader):
    from nbformat import v4

    meta = {"grade_id": grade_id, "schema_version": 3, "grade": False, "solution": False, "locked": False, "task": False, **nbgrader}
    make = v4.new_code_cell if cell_type == "code" else v4.new_markdown_cell
    return make(source, metadata={"nbgrader": meta})


def notebook(ex: registry.Exercise):
    intro = (f"# Exercise {ex.id}: {ex.title}\n\n"
             f"Phase {ex.phase.number:02d} · {ex.phase.title}. Complete the module below: every function's docstring "
             f"states the math and the contract. The last cell grades it ({ex.points} points)."
             + (f"\n\nThis module may not import: {', '.join(ex.forbid)}." if ex.forbid else ""))
    from nbformat import v4

    return v4.new_notebook(
        cells=[
            _cell("markdown", intro, f"{ex.marker}_intro", locked=True),
            _cell("code", f"%%writefile {ex.module}.py\n{ex.solution_path.read_text()}", f"{ex.marker}_answer", solution=True),
            _cell("code", f'from grader.export import grade\ngrade("{ex.id}", "{ex.module}.py")', f"{ex.marker}_grade",
                  grade=True, locked=True, points=ex.points),
        ],
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                  "language_info": {"name": "python"}},
    )


def export(course: Path, exercises=None) -> list[Path]:
    import nbformat

    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG)
    written = []
    for ex in exercises or registry.exercises():
        path = course / "source" / ex.phase.dir / f"{ex.id}_{ex.module}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = notebook(ex)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        written.append(path)
    return written
