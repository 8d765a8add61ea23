"""Hostile submissions: learner modules that misbehave. The grader must finish, fail exactly that
exercise with a clear message, and lose none of the learner's files or progress."""
import json
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest

from grader import policy, pristine, programs, proctree, progress, registry, runner, sandbox
from grader.mutants import variant as solved_source

EX = registry.exercise("1.2")
SOLVED = solved_source(EX)
TIMEOUT = 3   # CPU seconds; the solved module needs about 1


def _on_top(code: str) -> str:
    """The reference with `code` run first (after its `from __future__` import, which must lead)."""
    future = "from __future__ import annotations\n"
    assert future in SOLVED, "the reference's first statement moved"
    return SOLVED.replace(future, future + code, 1)


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
    "import error": _on_top("import a_module_that_does_not_exist\n"),
    "circular import": _on_top("import importlib\nimportlib.import_module(__name__).derivative\n"),
    "monkeypatches numpy": SOLVED.replace("return float((f(x + h) - f(x - h)) / (2 * h))", "np.allclose = lambda *a, **k: True\n    return 0.0"),
    "monkeypatches the grader": _on_top("import grader.compare\ngrader.compare.assert_matches = lambda *a, **k: None\n"),
    "patches the checks through sys.modules": _on_top("import sys\nsys.modules['grader.compare'].assert_matches = lambda *a, **k: None\n"),
    "mutates its inputs": SOLVED.replace("    x = np.array(x, dtype=np.float64)\n    grad = np.empty_like(x)", "    x *= 1.0001\n    grad = np.empty_like(x, dtype=np.float64)"),
    "returns wrong types": _broken("return str(0.5)"),
    "returns NaN": _broken("return float('nan')"),
    "imports the reference": SOLVED + "\nimport importlib\nref = importlib.import_module('solutions.01_math.calculus')\nderivative = ref.derivative\n",
    "reads the reference file": _on_top("exec(open('solutions/01_math/calculus.py').read())\n"),
    "writes into .grader": SOLVED + "\nimport os, pathlib\np = pathlib.Path(os.environ.get('GRADSCHOOL_WORKSPACE', '.'), '.grader')\n"
                           "p.mkdir(exist_ok=True)\n(p / 'progress.json').write_text('{\"exercises\": {\"1.1\": {\"passed\": true}}}')\n"
                           "raise RuntimeError('tampered')\n",
    "deletes files": SOLVED + "\nimport os, glob\nfor f in glob.glob(os.path.join(os.environ.get('GRADSCHOOL_WORKSPACE', '.'), 'phases', '*', '*.py')):\n"
                     "    os.remove(f)\nraise RuntimeError('deleted')\n",
    "spawns a subprocess": _on_top("import subprocess\nsubprocess.Popen(['sleep', '300'])\n"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = tmp_path_factory.mktemp("hostile")
    import shutil
    shutil.copytree(registry.ROOT / "phases" / EX.phase.dir, ws / "phases" / EX.phase.dir)
    (ws / ".grader").mkdir()
    (ws / ".grader" / "progress.json").write_text(json.dumps({"version": 1, "exercises": {"1.2": {"passed": False}}}))
    return ws


def test_the_bank_is_large_enough_and_each_attack_compiles():
    assert len(HOSTILE) >= 20
    for name, source in HOSTILE.items():   # an attack must reach the grader as itself, not as a SyntaxError
        if name != "syntax error":
            compile(source, name, "exec")


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
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(HOSTILE[name])
        try:
            assert policy.scan(f.name, EX), f"{name}: not flagged by the static scan"
        finally:
            os.unlink(f.name)


# ---------------------------------------------------------------- attacks on the score and the learner's files
# Each one runs through a real workspace (the grader copies it for the run) and must score exactly 0 and
# change no file: not in the workspace, the repository's checks and reference, or the Python installation.
# They run in the sandbox this machine has; those marked OS need bubblewrap (the process sandbox cannot stop
# them) and a subset also runs with the process sandbox forced (GRADSCHOOL_SANDBOX=off).


MX = registry.exercise("1.1")    # pure Python, no hypothesis: the cheapest exercise to grade
MX_SOLVED = solved_source(MX)
MX_STUB = MX.stub_path().read_text()
PROTECTED = [registry.ROOT / "grader" / "hidden" / MX.phase.dir, registry.ROOT / "solutions" / MX.phase.dir,
             Path(sysconfig.get_paths()["purelib"])]
PLANTED = programs.default_store() / ("0" * 64)   # a name in tinygrad's program store (grader/programs.py)


def _later(seconds: float, body: str) -> str:
    """Python source that runs `body` in a thread after `seconds` (the thread keeps the process alive)."""
    return (f"import threading, time\ndef _later():\n    time.sleep({seconds})\n"
            + "".join(f"    {line}\n" for line in body.splitlines()) + "threading.Thread(target=_later).start()\n")


def _attacks(ws: Path) -> dict[str, tuple[str, bool]]:
    """name -> (the learner's module, needs OS isolation). `ws` is the learner's real workspace."""
    others = repr(str(ws / "phases" / MX.phase.dir))
    wipe = f"import glob, os\nfor f in glob.glob({others} + '/*.py'):\n    open(f, 'w').write('lost')\n"
    fork = 'getattr(__import__("os"), "fo" + "rk")'
    delegating = ("class Matrix:\n    def __new__(cls, *a, **k):\n        return _ref().Matrix(*a, **k)\n"
                  "    @classmethod\n    def identity(cls, n):\n        return _ref().Matrix.identity(n)\n")
    find_ref = ("import sys\ndef _ref():\n    mods = getattr(sys, 'mod' + 'ules')\n"
                "    for name, mod in list(mods.items()):\n        if name.startswith('sol' + 'utions') and hasattr(mod, 'Matrix'):\n"
                "            return mod\n    return mods['gra' + 'der.target'].reference('1.1')\n" + delegating)
    forged_pass = ("import json, os, sys\nline = json.dumps([{'exercise': '1.1', 'kind': k, 'file_kind': k, 'test': t, 'outcome': 'passed',"
                   " 'message': ''} for k in ('visible', 'hidden') for t in ['t%d' % i for i in range(40)]])\n")
    # computed names throughout, and modules taken from sys.modules, not imported: the static scan and the
    # import guard would stop the plain spelling, and these test the integrity checks that run afterwards
    grader_module = "getattr(__import__('sys'), 'mod' + 'ules')['gra' + 'der.{}']"
    noop, code = "(lambda *a, **k: None)", "'__co' + 'de__'"
    swap = f"setattr({{}}, {code}, getattr({noop}, {code}))\n"
    in_every_call = ("import sys\n_init = Matrix.__init__\ndef _silenced(self, rows):\n"
                     "    f = getattr(sys, '_get' + 'frame')(1)\n    while f is not None:\n"
                     "        g = getattr(f, 'f_glo' + 'bals')\n        if 'assert_matches' in g:\n"
                     f"            g['assert_matches'] = {noop}\n        f = getattr(f, 'f_ba' + 'ck')\n"
                     "    _init(self, rows)\nMatrix.__init__ = _silenced\n")
    cached_ref = ("_t = getattr(__import__('sys'), 'mod' + 'ules')['gra' + 'der.target']\ndef _ref():\n"
                  "    for _view in list(_t._cache.values()):\n        if _view._module.__name__.startswith('sol' + 'utions'):\n"
                  "            return _view._module\n")
    return {
        "swaps the code of the checks' helpers": (
            MX_SOLVED + f"_c = {grader_module.format('compare')}\n" + swap.format("_c.assert_matches")
            + "setattr(_c.diagnose, '__defa' + 'ults__', (0, 0, 0))\n", False),
        "rebinds the checks' names in the test module": (MX_SOLVED + in_every_call, False),
        "delegates to the reference in the grader's cache": (cached_ref + delegating, False),
        "tries the reference and falls back on its own code": (
            MX_SOLVED + cached_ref + "_own = Matrix.transpose\ndef _transpose(self):\n    try:\n"
            "        return _ref().Matrix.transpose(self)\n    except Exception:\n        return _own(self)\n"
            "Matrix.transpose = _transpose\n", False),
        "moves the workspace the reference guards against": (
            cached_ref + "_t._fixed['works' + 'pace'] = __import__('pathlib').Path('/nowhere')\n" + delegating, False),
        "delegates through another exercise's module": (
            cached_ref + "import os, importlib.util\n_path = os.path.join(os.path.dirname(__file__), 'calculus.py')\n"
            "open(_path, 'w').write('def make(ref, *a, **k):\\n    return ref.Matrix(*a, **k)\\n')\n"
            "_spec = importlib.util.spec_from_file_location('_helper', _path)\n_helper = importlib.util.module_from_spec(_spec)\n"
            "_spec.loader.exec_module(_helper)\n" + delegating.replace("_ref().Matrix(*a", "_helper.make(_ref(), *a"), False),
        "silences the reference's caller check": (
            cached_ref + "setattr(_ref(), '_gradschool_' + 'caller_check', lambda: None)\n" + delegating, False),
        "subclasses the reference in the grader's cache": (cached_ref + "Matrix = type('Matrix', (_ref().Matrix,), {})\n", False),
        "runs the reference's source the grader read": (
            "_t = getattr(__import__('sys'), 'mod' + 'ules')['gra' + 'der.target']\n"
            "exec(next(s for p, s in _t._sources.items() if p.name == 'matrix.py'))\n", False),
        "gives the reference its own code": (
            MX_SOLVED + "_t = getattr(__import__('sys'), 'mod' + 'ules')['gra' + 'der.target']\n"
            "for _view in list(_t._cache.values()):\n    if _view._module.__name__.startswith('sol' + 'utions'):\n"
            "        _view._module.Matrix.determinant = Matrix.determinant\n", False),
        "puts a forged comparison module in sys.modules": (
            MX_SOLVED + "import types\n_mods = getattr(__import__('sys'), 'mod' + 'ules')\n_real = _mods['gra' + 'der.compare']\n"
            "_fake = types.ModuleType(_real.__name__)\n_fake.__dict__.update(vars(_real))\n"
            f"_fake.assert_matches = {noop}\n_mods['gra' + 'der.compare'] = _fake\n", False),
        "patches numpy beneath the comparisons": (
            MX_SOLVED + "_np = getattr(__import__('sys'), 'mod' + 'ules')['num' + 'py']\n"
            "_np._core.numeric.isclose = lambda a, b, *r, **k: _np.ones(_np.shape(a), bool)\n", False),
        "replaces the integrity check and the checks": (
            MX_SOLVED + f"_i = {grader_module.format('integrity')}\n_i.tampered = lambda: []\n_i.rebound = lambda m: []\n"
            + swap.format(f"{grader_module.format('compare')}.assert_matches"), False),
        "thread deletes the learner's files later": (MX_STUB + _later(1.5, wipe), True),
        "double-forked daemon deletes files later": (
            MX_STUB + f"import os\nif {fork}() == 0:\n    os.setsid()\n    if {fork}() == 0:\n        import time\n        time.sleep(2)\n"
            + "".join(f"        {l}\n" for l in wipe.splitlines()) + "    os._exit(0)\n", True),
        "overwrites the workspace by absolute path": (MX_STUB + wipe, True),
        "replaces .grader with a file": (
            MX_STUB + f"import os, shutil\np = {repr(str(ws / '.grader'))}\nshutil.rmtree(p, ignore_errors=True)\nopen(p, 'w').write('x')\n", True),
        "persists sitecustomize.py and a .pth file": (
            MX_STUB + "import sysconfig, os\nd = sysconfig.get_paths()['purelib']\n"
            "for n in ('sitecustomize.py', 'zz_forge.pth'):\n    open(os.path.join(d, n), 'a').write('# forged\\n')\n", True),
        "rewrites the hidden checks and the reference": (
            MX_STUB + f"for f in ({repr(str(PROTECTED[0] / 'test_matrix.py'))}, {repr(str(PROTECTED[1] / 'matrix.py'))}):\n"
            "    open(f, 'a').write('\\n# forged\\n')\n", True),
        "plants a program in the store later runs load": (
            MX_STUB + f"import os\nos.makedirs({str(PLANTED.parent)!r}, exist_ok=True)\nopen({str(PLANTED)!r}, 'wb').write(b'x')\n", True),
        "reads the reference through a computed path": (
            f"import os\nexec(open(os.path.join({repr(str(registry.ROOT))}, 'sol' + 'utions', '01_math', 'matrix.py')).read())\n", True),
        "skips its unfinished functions (unittest.SkipTest)": (
            MX_STUB.replace("raise NotImplementedError(", "raise __import__('unittest').SkipTest("), False),
        "skips its unfinished functions (pytest.skip)": (
            "import pytest\n" + MX_STUB.replace("raise NotImplementedError(", "pytest.skip("), False),
        "KeyboardInterrupt after the first passing tests": (
            MX_SOLVED.replace("    def __init__(self, rows):\n",
                              "    def __init__(self, rows):\n        global _made\n        _made = globals().get('_made', 0) + 1\n"
                              "        if _made > 12:\n            raise KeyboardInterrupt\n", 1), False),
        "pytest.exit after the first passing tests": (
            MX_SOLVED.replace("    def __init__(self, rows):\n",
                              "    def __init__(self, rows):\n        global _made\n        _made = globals().get('_made', 0) + 1\n"
                              "        if _made > 12:\n            __import__('importlib').import_module('py' + 'test').exit('done', returncode=0)\n", 1), False),
        "forges the results file and every descriptor": (
            MX_STUB + forged_pass + "for a in sys.argv:\n    if a.startswith('--grader-report='):\n        open(a.split('=', 1)[1], 'w').write(line)\n"
            "for fd in range(3, 64):\n    try:\n        os.write(fd, (line + '\\n').encode())\n    except OSError:\n        pass\nos._exit(0)\n", False),
        "forges the results from an atexit hook": (
            MX_STUB + forged_pass + "import atexit\ndef _forge():\n    for a in sys.argv:\n        if a.startswith('--grader-report='):\n"
            "            open(a.split('=', 1)[1], 'w').write(line)\n    for fd in range(3, 64):\n        try:\n"
            "            os.write(fd, (line + '\\n').encode())\n        except OSError:\n            pass\n    os._exit(0)\natexit.register(_forge)\n", False),
        "sets GRADSCHOOL_TARGET=reference": (MX_STUB + "import os\nos.environ['GRADSCHOOL_TARGET'] = 'reference'\n", False),
        "reaches the reference through sys.modules": (find_ref, False),
        "sends SIGSTOP to its parent": (
            MX_STUB + "import os, signal\nk = getattr(os, 'ki' + 'll')\nk(os.getppid(), signal.SIGSTOP)\nk(0, signal.SIGSTOP)\n", False),
    }


STOPPERS = {"sends SIGSTOP to its parent"}
FALLBACK_TOO = ["KeyboardInterrupt after the first passing tests", "forges the results from an atexit hook",
                "reaches the reference through sys.modules", "sends SIGSTOP to its parent"]
ATTACK_NAMES = sorted(_attacks(Path("/x")))


@pytest.fixture(scope="module")
def real_ws(tmp_path_factory):
    ws = tmp_path_factory.mktemp("learner")
    import shutil
    shutil.copytree(registry.ROOT / "phases" / MX.phase.dir, ws / "phases" / MX.phase.dir, ignore=shutil.ignore_patterns("__pycache__"))
    (ws / "notes.md").write_text("my notes\n")
    (ws / ".grader").mkdir()
    (ws / ".grader" / "progress.json").write_text(json.dumps({"version": 1, "exercises": {"1.2": {"passed": True, "points": 10}}}))
    runner.expected_tests(MX)  # the test list is collected once, outside the timed runs
    return ws


def _state(ws: Path) -> dict:
    files = {p: p.read_bytes() for p in sorted(ws.rglob("*")) if p.is_file() and p != MX.stub_path(ws)}
    files[".grader is a folder"] = (ws / ".grader").is_dir()
    files["a planted program"] = PLANTED.exists()
    for folder in PROTECTED:
        files.update({p: p.stat().st_mtime_ns for p in sorted(folder.glob("*")) if p.is_file()})
    return files


def _grade_in_a_child(ws: Path, timeout_s: float) -> float:
    """Grade MX in a separate grader process, so a stopped grader shows as a timeout here, not a hung self-test."""
    code = (f"from pathlib import Path\nfrom grader import registry, runner\n"
            f"r = runner.run_tests(registry.exercise('1.1'), Path({str(ws)!r}), timeout_s={timeout_s})\nprint('POINTS', r.points)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout_s + 120, cwd=registry.ROOT)
    assert "POINTS" in proc.stdout, proc.stdout + proc.stderr
    return float(proc.stdout.split("POINTS")[-1])


def _attack(name: str, ws: Path, monkeypatch, forced_off: bool):
    source, needs_os = _attacks(ws)[name]
    if forced_off:
        monkeypatch.setenv(sandbox.MODE_VAR, "off")
    if needs_os and sandbox.isolation_problem():
        pytest.skip(f"needs OS isolation: {sandbox.isolation_problem()}")
    MX.stub_path(ws).write_text(source)
    before = _state(ws)
    if name in STOPPERS:
        points = _grade_in_a_child(ws, timeout_s=3)   # a stopped run ends at 3x that in wall time
    else:
        result = runner.run_tests(MX, ws, timeout_s=90)
        points = result.points
        assert result.problem or result.failures(), f"{name}: failed without saying why"
    time.sleep(2.5 if "later" in name else 0)   # anything left running would strike now
    assert points == 0, f"{name}: scored {points} of {MX.points}"
    assert _state(ws) == before, f"{name}: changed files"


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_scores_zero_and_changes_nothing(name, real_ws, monkeypatch):
    _attack(name, real_ws, monkeypatch, forced_off=False)


@pytest.mark.parametrize("name", FALLBACK_TOO)
def test_attack_scores_zero_in_the_process_sandbox(name, real_ws, monkeypatch):
    if sandbox.isolation_problem():
        pytest.skip("this machine already runs the process sandbox (covered above)")
    _attack(name, real_ws, monkeypatch, forced_off=True)


def test_solved_module_scores_full_in_the_same_workspace(real_ws):
    """Control: the machinery above gives full marks to an honest solution."""
    MX.stub_path(real_ws).write_text(MX_SOLVED)
    result = runner.run_tests(MX, real_ws, timeout_s=90)
    assert result.passed and result.points == MX.points, result.problem or result.failures()[:2]
    assert {t["kind"] for t in result.tests} == {"visible", "hidden"}


def test_edited_and_padded_visible_tests_do_not_count(real_ws):
    MX.stub_path(real_ws).write_text(MX_STUB)
    tests = MX.visible_tests(real_ws)
    original = tests.read_text()
    tests.write_text("".join(f"def test_padding_{i}():\n    assert True\n" for i in range(50)))
    try:
        result = runner.run_tests(MX, real_ws, timeout_s=90)
    finally:
        tests.write_text(original)
    assert result.points == 0 and not any(t["test"].startswith("test_padding") for t in result.tests)


# In the default layout the learner's workspace is the repository: their visible tests are the ones the
# repository holds. Grading restores the shipped ones (grader/pristine.py); their loop runs their edits.

MX_PARTLY = MX_SOLVED.replace("    def determinant(self) -> float:\n",
                              "    def determinant(self) -> float:\n        raise ArithmeticError('not yet')\n")
FAILING = "def test_determinant():\n"
SHIPPED = MX.visible_tests().read_text()
EDITS = {
    "padded with passing tests": SHIPPED + "".join(f"def test_padding_{i}():\n    assert True\n" for i in range(20)),
    "the failing test deleted": SHIPPED.replace(FAILING, "def _deleted():\n"),
    "the failing test weakened": SHIPPED.replace(FAILING, FAILING + "    return\n"),
    "the file deleted": None,
}


def _outcomes(result: runner.ExerciseResult) -> list[tuple]:
    return [(t["kind"], t["test"], t["outcome"]) for t in result.tests]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A git repository that is also the learner's workspace, holding phase 1 and the record as shipped,
    with exercise 1.1 partly solved; and its honest result."""
    repo = tmp_path_factory.mktemp("clone")
    import shutil
    shutil.copytree(registry.ROOT / "phases" / MX.phase.dir, repo / "phases" / MX.phase.dir,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(registry.ROOT / pristine.MANIFEST, repo / pristine.MANIFEST)
    git = ["git", "-C", str(repo), "-c", "user.name=x", "-c", "user.email=x@x"]
    for args in (["init", "-q"], ["add", "phases"], ["commit", "-q", "-m", "shipped"]):
        subprocess.run(git + args, check=True, capture_output=True)
    MX.stub_path(repo).write_text(MX_PARTLY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pristine, "REPOSITORY", repo)
        honest = runner.run_tests(MX, repo, timeout_s=90)
    assert honest.problem is None and 0 < honest.points < MX.points, (honest.problem, honest.points)
    assert ("visible", "test_determinant", "failed") in _outcomes(honest)
    return repo, honest


@pytest.mark.parametrize("edit", EDITS)
def test_the_learners_edits_to_the_repositorys_visible_tests_do_not_count(edit, clone, monkeypatch):
    repo, honest = clone
    monkeypatch.setattr(pristine, "REPOSITORY", repo)
    tests = MX.visible_tests(repo)
    try:
        if EDITS[edit] is None:
            tests.unlink()
        else:
            tests.write_text(EDITS[edit])
        result = runner.run_tests(MX, repo, timeout_s=90)
        assert (tests.read_text() if tests.exists() else None) == EDITS[edit], "the learner's file was changed"
    finally:
        tests.write_text(SHIPPED)
    assert result.problem is None and result.points == honest.points, (result.problem, result.points)
    assert _outcomes(result) == _outcomes(honest)


def test_the_learners_own_loop_runs_their_padded_tests(clone):
    repo, _ = clone
    tests = MX.visible_tests(repo)
    tests.write_text(EDITS["padded with passing tests"])
    try:
        run, outcomes = runner.run_phase(MX.phase, repo, echo=False, exercises=[MX])
    finally:
        tests.write_text(SHIPPED)
    names = {t["test"] for t in outcomes if t["outcome"] == "passed"}
    assert {f"test_padding_{i}" for i in range(20)} <= names, run.output[-2000:]


def test_the_mutant_bank_sees_an_authors_unrecorded_test(clone, monkeypatch):
    """An author's new test counts in the mutant bank (`current`) before it is recorded as shipped."""
    repo, _ = clone
    monkeypatch.setattr(pristine, "REPOSITORY", repo)
    tests = MX.visible_tests(repo)
    tests.write_text(EDITS["padded with passing tests"])
    try:
        assert pristine.visible_tests(MX.phase, current=True)[tests.name] == tests.read_bytes()
        assert pristine.visible_tests(MX.phase)[tests.name] == SHIPPED.encode()
    finally:
        tests.write_text(SHIPPED)


def test_edited_tests_that_git_cannot_restore_fail_the_exercise(clone, tmp_path, monkeypatch):
    """Without git's objects the shipped file cannot be had: the exercise fails, saying why, rather than
    count the learner's edits."""
    repo, _ = clone
    import shutil
    shutil.copytree(repo / "phases", tmp_path / "phases")   # the same files, no .git
    monkeypatch.setattr(pristine, "REPOSITORY", tmp_path)
    MX.visible_tests(tmp_path).write_text(EDITS["padded with passing tests"])
    result = runner.run_tests(MX, tmp_path, timeout_s=90)
    assert result.points == 0 and "git cannot give back" in (result.problem or ""), result.problem
    assert MX.visible_tests(tmp_path).read_text() == EDITS["padded with passing tests"]


@pytest.mark.parametrize("where", ["phase folder", "tests folder"])
def test_conftest_in_the_learner_folder_is_not_loaded(real_ws, where):
    folder = MX.stub_path(real_ws).parent / ("tests" if where == "tests folder" else "")
    conftest = folder / "conftest.py"
    conftest.write_text("import pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
                        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n")
    MX.stub_path(real_ws).write_text(MX_STUB)
    try:
        result = runner.run_tests(MX, real_ws, timeout_s=90)
    finally:
        conftest.unlink()
    assert result.points == 0 and result.failures()


def test_forged_metrics_json_does_not_pass_a_milestone(fresh_workspace):
    ex = next(e for e in registry.exercises() if e.milestone and e.phase is MX.phase)
    metric, good = ex.milestone.metric, 1e9 if ex.milestone.goal == "max" else -1e9
    ex.stub_path(fresh_workspace).write_text(
        ex.stub_path(fresh_workspace).read_text() + "import atexit, json, os, pathlib, sys\n"
        f"def _forge():\n    for d in {{sys.argv[-1], {str(runner.milestone_dir(ex, fresh_workspace, 'smoke'))!r}}}:\n"
        "        try:\n            pathlib.Path(d).mkdir(parents=True, exist_ok=True)\n"
        f"            pathlib.Path(d, 'metrics.json').write_text(json.dumps({{{metric!r}: {good}}}))\n"
        "        except OSError:\n            pass\n_forge()\natexit.register(_forge)\n")
    result = runner.run_milestone(ex, fresh_workspace, "smoke", echo=False)
    assert not result.passed and metric not in result.metrics, result
    assert not (runner.milestone_dir(ex, fresh_workspace, "smoke") / "metrics.json").exists()


def test_a_milestone_whose_evaluation_was_altered_does_not_pass(fresh_workspace):
    """The learner's module rewrites how the milestone reports; the grader notices and passes nothing."""
    ex = next(e for e in registry.exercises() if e.milestone and e.phase is MX.phase)
    metric, good = ex.milestone.metric, 1e9 if ex.milestone.goal == "max" else -1e9
    ex.stub_path(fresh_workspace).write_text(
        solved_source(ex) + "_m = getattr(__import__('sys'), 'mod' + 'ules')['gra' + 'der.milestones']\n_finish = _m.Run.finish\n"
        f"def _forged(self, metrics):\n    return _finish(self, {{**metrics, {metric!r}: {good}}})\n_m.Run.finish = _forged\n")
    result = runner.run_milestone(ex, fresh_workspace, "smoke", echo=False)
    assert not result.passed and "altered grader.milestones.Run" in result.message, result


def test_grader_phase_runs_on_a_copy(real_ws):
    """`grader phase` (make phaseN) runs the learner's code too; it must not write into their folder."""
    MX.stub_path(real_ws).write_text(MX_SOLVED + "import os, pathlib\nws = pathlib.Path(os.environ['GRADSCHOOL_WORKSPACE'])\n"
                                     "for p in (ws / 'phases' / '01_math').glob('[!m]*.py'):\n    p.write_text('lost')\n"
                                     "pathlib.Path('phases/01_math').mkdir(parents=True, exist_ok=True)\n"
                                     "pathlib.Path('phases/01_math/calculus.py').write_text('lost')\n")
    before = _state(real_ws)
    run, tests = runner.run_phase(MX.phase, real_ws, echo=False)
    assert any(t["exercise"] == MX.id for t in tests), run.output[-2000:]
    assert _state(real_ws) == before
    assert "lost" not in (registry.ROOT / "phases" / "01_math" / "calculus.py").read_text()


# ---------------------------------------------------------------- the whole tree's memory and process count


def test_forked_children_share_one_memory_cap():
    code = ("import os, time\nfor _ in range(4):\n    if getattr(os, 'fork')() == 0:\n        b = b'x' * (100 * 1024 * 1024)\n"
            "        time.sleep(30)\n        os._exit(0)\ntime.sleep(30)\n")
    start = time.monotonic()
    result = sandbox.run(["-c", code], timeout_s=60, memory_mb=300)
    assert result.stopped and "memory" in result.stopped and time.monotonic() - start < 40, result
    assert "was stopped" in result.crash


def test_fork_bomb_is_stopped():
    code = ("import os, time\nwhile True:\n    if getattr(os, 'fork')() == 0:\n        time.sleep(60)\n        os._exit(0)\n"
            "    time.sleep(0.005)\n")
    result = sandbox.run(["-c", code], timeout_s=60, memory_mb=2000)
    assert result.stopped and "processes" in result.stopped, result


# ---------------------------------------------------------------- progress, interrupts


@pytest.mark.parametrize("damage", ["a file", "an entry that is a list", "an entry that is a string", "a field of the wrong type"])
def test_damaged_progress_is_repaired_not_lost(tmp_path, damage):
    grader_dir = tmp_path / ".grader"
    if damage == "a file":
        grader_dir.write_text("not a folder")
    else:
        entry = {"an entry that is a list": [1, 2], "an entry that is a string": "x",
                 "a field of the wrong type": {"points": "ten", "passed": True}}[damage]
        grader_dir.mkdir()
        (grader_dir / "progress.json").write_text(json.dumps({"version": 1, "exercises": {"1.1": entry, "1.2": {"points": 3}}}))
    p = progress.Progress(tmp_path)
    p.record("1.3", passed=True, points=10)
    p.save()
    data = json.loads((grader_dir / "progress.json").read_text())["exercises"]
    assert data["1.3"]["points"] == 10
    if damage == "a file":
        assert [f.read_text() for f in tmp_path.glob(".grader.file-*")] == ["not a folder"]
    else:
        assert data["1.2"]["points"] == 3 and not isinstance(data.get("1.1", {}).get("points", 0), str)
    from grader.tests.test_grader_cli import grader
    code, out = grader(tmp_path, "status")
    assert code == 0 and "Traceback" not in out, out


def test_concurrent_saves_keep_every_score(tmp_path):
    code = ("import sys\nfrom grader import progress\nfor i in range(40):\n    p = progress.Progress(sys.argv[1])\n"
            "    p.record(f'{sys.argv[2]}.{i}', passed=True, points=1)\n    p.save()\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), who], cwd=registry.ROOT) for who in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    data = json.loads((tmp_path / ".grader" / "progress.json").read_text())["exercises"]
    assert len(data) == 80


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_stopping_the_grader_stops_its_children(fresh_workspace, how):
    if how == signal.SIGKILL and sandbox.isolation_problem():
        pytest.skip("after SIGKILL only bubblewrap's --die-with-parent ends the child")
    MX.stub_path(fresh_workspace).write_text("while True:\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(registry.ROOT)}
    grader = subprocess.Popen([sys.executable, "-m", "grader", "--workspace", str(fresh_workspace), "check", "1.1",
                               "--no-milestones", "--timeout", "300"], cwd=registry.ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_as_in_a_terminal)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not [p for p in proctree.descendants(grader.pid) if _is_python_child(p, grader.pid)]:
        time.sleep(0.2)
    tree = proctree.descendants(grader.pid)[1:]
    copies = list(Path(tempfile.gettempdir()).glob(f"{runner.TEMP_PREFIX}{grader.pid}-*"))
    assert tree and copies, "the grader never started its child"
    grader.send_signal(how)
    grader.wait(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in tree):
        time.sleep(0.1)
    assert not any(_alive(p) for p in tree), "a child outlived the grader"
    if how == signal.SIGKILL:
        runner._remove_orphaned_copies()   # what the next grader run does first
    assert not any(c.exists() for c in copies), "the temporary copy was left behind"


def _as_in_a_terminal() -> None:
    """Ctrl-C reaches a grader started from a terminal; a self-test started in the background (nohup,
    `cmd &` without job control) would otherwise pass its ignored SIGINT on to the grader."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _is_python_child(pid: int, grader_pid: int) -> bool:
    try:
        return pid != grader_pid and "pytest" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False
