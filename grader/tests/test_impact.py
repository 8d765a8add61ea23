"""Which tests can see an edit (grader/impact.py): the warm-up's record of who ran what, and the
selection of the tests a variant of the bank faces."""
import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from grader import impact, mutants, registry, runner, worker

BEFORE = textwrap.dedent('''
    """A module."""
    import numpy as np

    SCALE = 2

    def double(x):
        return SCALE * x

    class Box:
        size = 3

        def area(self):
            return self.size ** 2

        @property
        def side(self):
            return self.size
''')


@pytest.mark.parametrize("after, expected", [
    (BEFORE.replace("SCALE * x", "x + x"), {"double"}),
    (BEFORE.replace("self.size ** 2", "self.size * self.size"), {"Box.area"}),
    (BEFORE.replace("def double(x):", "def double(x, unused=None):"), {"double"}),
    (BEFORE.replace("    @property\n", "    @staticmethod\n"), {"Box.side"}),
    (BEFORE.replace("return self.size\n", "return self.size  # the same\n"), set()),
    (BEFORE.replace("SCALE = 2", "SCALE = 3"), None),                       # module-level code
    (BEFORE.replace("size = 3", "size = 4"), None),                         # a class body
    (BEFORE + "\ndef extra():\n    return 1\n", None),                      # a function added
    (BEFORE.replace("    @property\n    def side(self):\n        return self.size\n", ""), None),  # removed
    (BEFORE.replace("import numpy as np", "import math"), None),
    (BEFORE.replace("def double(x):", "def double(x:"), None),             # does not parse
    (BEFORE.replace("    return SCALE * x", "    global SCALE\n    SCALE += 1\n    return SCALE * x"), None),
])
def test_changed_names_the_functions_an_edit_rewrote(after, expected):
    assert impact.changed(BEFORE, after) == expected


def test_select_picks_the_tests_that_ran_an_edited_function():
    touched = {impact.OUTSIDE: ["setup"], "hidden::test_a": ["double"], "hidden::test_b": ["Box.area"],
               "visible::test_c": [impact.EVERYTHING], "visible::test_d": []}
    assert impact.select(touched, {"double"}) == ["hidden::test_a", "visible::test_c"]
    assert impact.select(touched, set()) == ["visible::test_c"]
    assert impact.select(touched, {"setup"}) is None, "code run outside the tests can reach any of them"
    assert impact.select(touched, None) is None


RECORDED = {
    "lib.py": """
        def used_by_fixture(): NOTE()
        def used_directly():
            NOTE()
            return helper()
        def helper(): NOTE()
        def never(): NOTE()
        def at_collection(): NOTE()
        class Box:
            def open(self):
                NOTE()
                return (lambda: NOTE())()
    """,
    "test_lib.py": """
        import inspect, pytest, lib
        lib.at_collection()
        @pytest.fixture(scope="module")
        def shared():
            lib.used_by_fixture()
        def test_a(shared):
            lib.used_directly()
        def test_b(shared):
            pass
        def test_c():
            lib.Box().open()
        def test_d():
            inspect.getsource(lib)
        def test_e():
            inspect.getsource(json)
        import json
    """,
    "run.py": """
        import builtins, json, sys, pytest
        from grader import impact
        recorder = impact.Recorder(sys.argv[1])
        builtins.NOTE = recorder.note
        assert pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[2]], plugins=[recorder]) == 0
        print(json.dumps(recorder.table()))
    """,
}


def test_the_recorder_charges_each_test_its_calls_and_its_fixtures(tmp_path):
    for name, text in RECORDED.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    run = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "lib.py"), str(tmp_path / "test_lib.py")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": f"{registry.ROOT}:{tmp_path}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    touched = json.loads(run.stdout.strip().splitlines()[-1])
    assert touched == {
        impact.OUTSIDE: ["at_collection"],
        "visible::test_a": ["helper", "used_by_fixture", "used_directly"],
        "visible::test_b": ["used_by_fixture"],     # the module fixture ran before it, for test_a
        "visible::test_c": ["Box.open"],            # the lambda inside belongs to its method
        "visible::test_d": [impact.EVERYTHING],     # read the module's source: a static check
        "visible::test_e": [],
    }


@pytest.mark.skipif(not worker.FORK_SAFE, reason="no fork worker on this platform")
def test_the_bank_warm_up_records_the_reference_and_leaves_its_check_in_place(tmp_path):
    """A real exercise: the warm-up notes which reference methods each test ran; the children forked
    afterwards still refuse learner code that calls the reference."""
    ex = registry.exercise("1.1")
    shutil.copytree(registry.ROOT / "phases" / ex.phase.dir, tmp_path / "phases" / ex.phase.dir)
    files = [str(ex.visible_tests(tmp_path)), str(ex.hidden_tests)]
    with worker.Worker() as warm:
        seen = warm.warm(runner.pytest_args(files), runner.child_env(tmp_path, "reference"), tmp_path,
                         record=ex.solution_path)
        assert seen["status"] == 0, seen["failed"]
        touched = seen["touched"]
        assert set(touched) >= set(seen["seconds"]), "every test has its record"
        transposing = impact.select(touched, {"Matrix.transpose"})
        assert transposing and len(transposing) < len(touched) - 1, transposing
        edit = mutants.bank(ex)[0][0]
        assert impact.select(touched, impact.changed(mutants.variant(ex), mutants.variant(ex, edit))), edit.name

        ex.stub_path(tmp_path).write_text(
            "_t = getattr(__import__('sys'), 'mod' + 'ules')['gra' + 'der.target']\n"
            "def _ref():\n    for _view in list(_t._cache.values()):\n"
            "        if _view._module.__name__.startswith('sol' + 'utions'):\n            return _view._module\n"
            "class Matrix:\n    def __new__(cls, *a, **k):\n        return _ref().Matrix(*a, **k)\n"
            "    @classmethod\n    def identity(cls, n):\n        return _ref().Matrix.identity(n)\n")
        result = runner.run_tests(ex, tmp_path, launch=warm.run, current_tests=True)
    assert result.problem and "called the reference" in result.problem, result.problem
