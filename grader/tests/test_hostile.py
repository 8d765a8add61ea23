"""Hostile submissions: learner modules that misbehave. The grader must finish, fail exactly that
exercise with a clear message, and lose none of the learner's files or progress."""
import json
import os
import time

import pytest

from grader import registry, runner
from grader.tests.conftest import solved_source

EX = registry.exercise("1.2")
SOLVED = solved_source(EX)
TIMEOUT = 5


def _broken(body: str) -> str:
    """The reference with `derivative` misbehaving in the way `body` says."""
    return SOLVED.replace('    """f\'(x) by the central difference', f"    {body}\n    \"\"\"f'(x) by the central difference", 1)


HOSTILE = {
    "infinite loop at import": SOLVED + "\nwhile True:\n    pass\n",
    "infinite loop in a function": _broken("while True: pass"),
    "unbounded recursion": _broken("return derivative(f, x, h)"),
    "memory bomb at import": SOLVED + "\nhoard = bytearray(50 * 1024 ** 3)\n",
    "memory bomb in a function": _broken("np.ones(50 * 1024 ** 3 // 8)"),
    "segfault": SOLVED + "\nimport faulthandler\nfaulthandler._sigsegv()\n",
    "sys.exit at import": SOLVED + "\nimport sys\nsys.exit(0)\n",
    "sys.exit in a function": _broken("import sys; sys.exit(0)"),
    "os._exit at import": SOLVED + "\nimport os\nos._exit(0)\n",
    "raises KeyboardInterrupt": _broken("raise KeyboardInterrupt"),
    "raises SystemExit": _broken("raise SystemExit(3)"),
    "floods stdout": _broken("import sys; [sys.stdout.write('spam ' * 10**6) for _ in range(20)]; return 0.0"),
    "syntax error": SOLVED.replace("def gradient(", "def gradient(:", 1),
    "import error": "import a_module_that_does_not_exist\n" + SOLVED,
    "circular import": "import importlib\nimportlib.import_module(__name__).derivative\n" + SOLVED,
    "monkeypatches numpy": SOLVED.replace("return float((f(x + h) - f(x - h)) / (2 * h))", "np.allclose = lambda *a, **k: True\n    return 0.0"),
    "monkeypatches the grader": "import grader.compare\ngrader.compare.assert_matches = lambda *a, **k: None\n" + SOLVED,
    "patches the checks through sys.modules": "import sys\nsys.modules['grader.compare'].assert_matches = lambda *a, **k: None\n" + SOLVED,
    "mutates its inputs": SOLVED.replace("    x = np.array(x, dtype=np.float64)\n    grad = np.empty_like(x)", "    x *= 1.0001\n    grad = np.empty_like(x, dtype=np.float64)"),
    "returns wrong types": _broken("return str(0.5)"),
    "returns NaN": _broken("return float('nan')"),
    "imports the reference": "import importlib\nref = importlib.import_module('solutions.01_math.calculus')\nderivative = ref.derivative\n" + SOLVED,
    "reads the reference file": "exec(open('solutions/01_math/calculus.py').read())\n" + SOLVED,
    "writes into .grader": SOLVED + "\nimport os, pathlib\np = pathlib.Path(os.environ.get('GRADSCHOOL_WORKSPACE', '.'), '.grader')\n"
                           "p.mkdir(exist_ok=True)\n(p / 'progress.json').write_text('{\"exercises\": {\"1.1\": {\"passed\": true}}}')\n"
                           "raise RuntimeError('tampered')\n",
    "deletes files": SOLVED + "\nimport os, glob\nfor f in glob.glob(os.path.join(os.environ.get('GRADSCHOOL_WORKSPACE', '.'), 'phases', '*', '*.py')):\n"
                     "    os.remove(f)\nraise RuntimeError('deleted')\n",
    "spawns a subprocess": "import subprocess\nsubprocess.Popen(['sleep', '300'])\n" + SOLVED,
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = tmp_path_factory.mktemp("hostile")
    import shutil
    shutil.copytree(registry.ROOT / "phases" / EX.phase.dir, ws / "phases" / EX.phase.dir)
    (ws / ".grader").mkdir()
    (ws / ".grader" / "progress.json").write_text(json.dumps({"version": 1, "exercises": {"1.2": {"passed": False}}}))
    return ws


def test_the_bank_is_large_enough():
    assert len(HOSTILE) >= 20


def _snapshot(ws):
    return {p: p.read_bytes() for p in sorted(ws.rglob("*")) if p.is_file() and p != EX.stub_path(ws)}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_is_contained(name, workspace):
    EX.stub_path(workspace).write_text(HOSTILE[name])
    before = _snapshot(workspace)
    start = time.monotonic()
    result = runner.run_tests(EX, workspace, timeout_s=TIMEOUT)
    assert time.monotonic() - start < TIMEOUT + 20, "the grader did not stop the child in time"
    assert not result.passed and result.points < EX.points, f"{name}: scored {result.points} of {EX.points}"
    assert result.problem or result.failures(), f"{name}: failed without saying why"
    message = result.problem or result.failures()[0]["message"]
    assert message.strip(), name
    assert _snapshot(workspace) == before, f"{name}: changed the learner's other files or progress"


def test_reference_passes_in_the_same_workspace(workspace):
    """Control: the same machinery passes a correct module, so the failures above are not an artefact."""
    EX.stub_path(workspace).write_text(SOLVED)
    result = runner.run_tests(EX, workspace, timeout_s=60)
    assert result.passed, result.problem or result.failures()[:2]
    assert result.points == EX.points


def test_policy_violations_are_named():
    for name in ("imports the reference", "reads the reference file", "monkeypatches the grader", "spawns a subprocess",
                 "patches the checks through sys.modules"):
        from grader import policy
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(HOSTILE[name])
        try:
            assert policy.scan(f.name, EX), f"{name}: not flagged by the static scan"
        finally:
            os.unlink(f.name)
