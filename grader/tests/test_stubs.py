"""Single source: stubs are generated from the solutions, safely."""
import pytest

from grader import pristine, registry, runner, stubgen, worker

EXERCISES = registry.exercises()


def test_committed_stubs_equal_generated_stubs():
    stale = [o for o in stubgen.generate(check=True) if o.action != "unchanged"]
    assert not stale, ("Contributor check: these stubs differ from what solutions/ generates: "
                       + ", ".join(f"{o.path} ({o.action})" for o in stale)
                       + ". Learner? Your edited files are fine; this only means your phases/ hold your work. "
                       "Contributor? Run `make stubs` and commit the stubs with the solutions.")


def test_record_of_the_shipped_visible_tests_is_current():
    recorded, now = pristine.load(registry.ROOT), pristine.record(registry.ROOT)
    changed = sorted(k for k in recorded.keys() | now.keys() if recorded.get(k) != now.get(k))
    assert not changed, (f"Contributor check: {pristine.MANIFEST} does not match these visible tests: "
                         + ", ".join(changed) + ". Learner? Grading uses the shipped tests, your edits "
                         "only count in `make phaseN`. Contributor? Run `python -m grader stubs "
                         "--record-tests` and commit the record with the tests.")


@pytest.fixture(scope="module")
def forking():
    """One process that imported the libraries once, forking a child per stub (stubs are trusted code; the
    sandboxed path a learner's code takes is the hostile bank's and the CLI tests')."""
    with worker.Worker() as forks:
        yield forks


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_stub_fails_cleanly(ex, fresh_workspace, forking):
    """Against the fresh stub every test of the exercise fails with that exercise's NotImplementedError."""
    result = runner.run_tests(ex, fresh_workspace, launch=forking.run)
    assert result.problem is None, result.problem
    assert result.tests, "no test ran"
    wrong = [t for t in result.tests if t["outcome"] != "failed" or "NotImplementedError" not in t["message"]
             or "Exercise " not in t["message"]]
    assert not wrong, "\n".join(f"{t['kind']} {t['test']}: {t['outcome']} {t['message']}" for t in wrong[:5])


SOLUTION = '''def f(x):
    """Double x."""
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION


class C:
    def g(self):
        """Nothing."""
        ### BEGIN SOLUTION
        return None
        ### END SOLUTION


### BEGIN SOLUTION
def _helper():
    return 1
### END SOLUTION
'''


def test_regions_become_not_implemented_with_signature_and_docstring_kept():
    stub = stubgen.make_stub(SOLUTION, "9.9")
    assert 'def f(x):\n    """Double x."""\n    raise NotImplementedError("Exercise 9.9: implement f (see its docstring)")' in stub
    assert 'raise NotImplementedError("Exercise 9.9: implement C.g (see its docstring)")' in stub
    assert "_helper" not in stub and "2 * x" not in stub and "BEGIN" not in stub


@pytest.mark.parametrize("broken, complaint", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "without a matching"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", "inside the region"),
])
def test_unbalanced_markers_fail_loudly(broken, complaint):
    with pytest.raises(stubgen.MarkerError, match=complaint):
        stubgen.make_stub(broken, "9.9")


def test_generator_never_overwrites_an_edited_stub(fresh_workspace):
    ex = EXERCISES[0]
    path = ex.stub_path(fresh_workspace)
    path.write_text(path.read_text() + "\n# my work in progress\n")
    (outcome,) = stubgen.generate([ex], workspace=fresh_workspace)
    assert outcome.action.startswith("kept")
    assert path.read_text().endswith("# my work in progress\n")

    (outcome,) = stubgen.generate([ex], workspace=fresh_workspace, force=True)
    assert outcome.action.startswith("replaced")
    backups = list((fresh_workspace / ".grader" / "backups").rglob(f"{ex.module}.py.*"))
    assert len(backups) == 1 and backups[0].read_text().endswith("# my work in progress\n")
    assert "# my work in progress" not in path.read_text()


def test_generator_updates_an_untouched_stub(fresh_workspace):
    ex = EXERCISES[0]
    path = ex.stub_path(fresh_workspace)
    path.write_text("# an older generated stub\n")
    record = stubgen.load_record(fresh_workspace)
    record[str(path.relative_to(fresh_workspace))] = stubgen._sha("# an older generated stub\n")
    stubgen.save_record(fresh_workspace, record)
    (outcome,) = stubgen.generate([ex], workspace=fresh_workspace)
    assert outcome.action == "written"
    assert "NotImplementedError" in path.read_text()


def test_reset_restores_the_stub_and_keeps_a_backup(fresh_workspace):
    ex = EXERCISES[0]
    path = ex.stub_path(fresh_workspace)
    path.write_text("half done\n")
    saved = stubgen.restore(ex, fresh_workspace)
    assert saved.read_text() == "half done\n"
    assert "NotImplementedError" in path.read_text()
