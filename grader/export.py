"""Export the curriculum as an nbgrader course.

    grader export-nbgrader COURSE_DIR

writes `COURSE_DIR/source/<phase>/<id>_<module>.ipynb`, one notebook per exercise, and a minimal
`nbgrader_config.py`. Each notebook has three or four cells: the exercise's introduction (locked), the reference
module as an nbgrader solution cell (`%%writefile <module>.py`; our `### BEGIN/END SOLUTION` markers are
nbgrader's own, so `nbgrader generate_assignment` produces the stub), a locked grade cell worth the
exercise's points that runs the visible tests and hidden checks on the written file with `grade()`, and,
for an exercise with a milestone, a locked grade cell worth the milestone's points that trains it (smoke
tier) with `grade_milestone()`. Each grade cell's output is its score (nbgrader's partial credit), the
same points `grader check` gives.
The grading environment needs this repository installed (`pip install -e .`).
"""
from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

from grader import registry, runner
from grader.feedback import failure_lines

CONFIG = '''c = get_config()  # noqa: F821  (nbgrader's configuration object)
c.CourseDirectory.root = "."
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
'''


def _workspace_with(tmp: str, files: dict[str, str]) -> Path:
    """A throw-away learner workspace holding the given module files (exercise id -> file path)."""
    workspace = Path(tmp)
    for ex_id, path in files.items():
        ex = registry.exercise(ex_id)
        ex.visible_tests(workspace).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, ex.stub_path(workspace))
        shutil.copy(ex.visible_tests(), ex.visible_tests(workspace))
    return workspace


def grade(ex_id: str, path: str) -> float:
    """Grade the module file at `path` as Exercise `ex_id`: the points `grader check` gives its tests.

    A grade cell ends with this call, so its output is the score: nbgrader reads a number as partial credit.
    """
    ex = registry.exercise(ex_id)
    with tempfile.TemporaryDirectory(prefix="gradschool-nb-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anything on stderr would make nbgrader give the cell 0 points
        result = runner.run_tests(ex, _workspace_with(tmp, {ex_id: path}))
    passed = [t for t in result.tests if t["outcome"] == "passed"]
    print(f"Exercise {ex.id}: {len(passed)}/{len(result.tests)} checks passed")
    for line in failure_lines(result, 5):
        print(f"  {line}")
    return result.points


def grade_milestone(ex_id: str, tier: str = "smoke") -> float:
    """The milestone's points if it reaches its target with the modules in this folder, else 0."""
    ex = registry.exercise(ex_id)
    required, earlier = ex.milestone_uses()
    files = {other.id: f"{other.module}.py" for other in (*required, *earlier) if Path(f"{other.module}.py").exists()}
    missing = [f"{other.module}.py (Exercise {other.id})" for other in required if other.id not in files]
    if missing:
        print(f"Milestone {ex.id} trains with {', '.join(missing)}: run those notebooks first.")
        return 0.0
    with tempfile.TemporaryDirectory(prefix="gradschool-nb-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workspace = _workspace_with(tmp, files)
        for other in required:
            if not runner.run_tests(other, workspace).passed:
                print(f"Milestone {ex.id}: Exercise {other.id} does not pass its checks yet; no milestone points.")
                return 0.0
        stand_ins = tuple(other.id for other in earlier
                          if other.id not in files or not runner.run_tests(other, workspace).passed)
        for other in stand_ins:
            print(f"Milestone {ex.id} trains with the reference of Exercise {other} (this folder has no passing "
                  f"{registry.exercise(other).module}.py).")
        result = runner.run_milestone(ex, workspace, tier, echo=False, stand_ins=stand_ins)
    print(f"Milestone {ex.id} ({tier}): {'passed' if result.passed else 'not passed'}: {result.message}")
    return float(ex.milestone.points) if result.passed else 0.0


def _cell(cell_type: str, source: str, grade_id: str, **nbgrader):
    from nbformat import v4

    meta = {"grade_id": grade_id, "schema_version": 3, "grade": False, "solution": False, "locked": False, "task": False, **nbgrader}
    make = v4.new_code_cell if cell_type == "code" else v4.new_markdown_cell
    return make(source, metadata={"nbgrader": meta})


def notebook(ex: registry.Exercise):
    intro = (f"# Exercise {ex.id}: {ex.title}\n\n"
             f"Phase {ex.phase.number:02d} · {ex.phase.title}. Complete the module below: every function's docstring "
             f"states the math and the contract. The cell after it grades it: {ex.points} points, shared by "
             f"its checks as in `grader check`"
             + (f"; the last cell trains the milestone ({ex.milestone.points} points)." if ex.milestone else ".")
             + (f"\n\nThis module may not import: {', '.join(ex.forbid)}." if ex.forbid else ""))
    from nbformat import v4

    return v4.new_notebook(
        cells=[
            _cell("markdown", intro, f"{ex.marker}_intro", locked=True),
            _cell("code", f"%%writefile {ex.module}.py\n{ex.solution_path.read_text()}", f"{ex.marker}_answer", solution=True),
            _cell("code", f'from grader.export import grade\ngrade("{ex.id}", "{ex.module}.py")', f"{ex.marker}_grade",
                  grade=True, locked=True, points=ex.points),
            *([_cell("code", f'from grader.export import grade_milestone\ngrade_milestone("{ex.id}")',
                     f"{ex.marker}_milestone", grade=True, locked=True, points=ex.milestone.points)]
              if ex.milestone else []),
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
