"""Which implementation a test exercises: the learner's module or the reference.

Tests never import `phases...` or `solutions...` directly. They call

    matrix = exercise("1.1")        # learner's module by default, the reference with --target=reference

and hidden checks call `learner("1.1")` and `reference("1.1")` to compare the two. The switch is the
environment variable GRADSCHOOL_TARGET (set by the pytest option --target); the learner's files are
looked up under GRADSCHOOL_WORKSPACE (default: the repository), so the grader can test a copy.

In a grader child both are read once, by `freeze()`, before any learner module is imported: a learner
module that sets GRADSCHOOL_TARGET=reference changes nothing. There the reference sources come from a
folder the grader fills and `preload_references()` empties (the repository's `solutions/` is hidden from
the child), and a loaded reference module is not left in `sys.modules`. Learner code may not call the
reference of its own exercise: every function and method of a reference module first checks who called
it (`_checked_source`).
"""
from __future__ import annotations

import ast
import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import MappingProxyType, ModuleType

from grader import policy, registry

TARGET_VAR = "GRADSCHOOL_TARGET"
WORKSPACE_VAR = "GRADSCHOOL_WORKSPACE"
REFERENCE_VAR = "GRADSCHOOL_REFERENCE_DIR"
STAND_IN_VAR = "GRADSCHOOL_STAND_INS"   # earlier exercises whose reference a milestone trains with
TARGETS = ("learner", "reference")

_fixed: dict[str, object] = {}
_sources: dict[Path, str] = {}


def freeze() -> None:
    """Fix the target and the workspace for the rest of this process (the first call wins)."""
    if not _fixed:
        _fixed.update(target=current_target(), workspace=workspace(), stand_ins=stand_ins())


def preload_references() -> None:
    """Read the reference sources the grader put in GRADSCHOOL_REFERENCE_DIR, then remove that folder."""
    folder = os.environ.pop(REFERENCE_VAR, None)
    if not folder:
        return
    for path in Path(folder).rglob("*.py"):
        _sources[registry.ROOT / "solutions" / path.relative_to(folder)] = path.read_text()
    import shutil
    shutil.rmtree(folder, ignore_errors=True)


def workspace() -> Path:
    if "workspace" in _fixed:
        return _fixed["workspace"]
    return _resolved(os.environ.get(WORKSPACE_VAR) or str(registry.ROOT))


@functools.lru_cache(maxsize=8)
def _resolved(path: str) -> Path:
    return Path(path).resolve()


def stand_ins() -> frozenset[str]:
    """Exercise ids whose reference `exercise()` returns even for the learner target: set by the grader
    for a milestone that trains with an earlier phase's exercise the learner has not passed."""
    if "stand_ins" in _fixed:
        return _fixed["stand_ins"]
    return frozenset(filter(None, os.environ.get(STAND_IN_VAR, "").split(",")))


def current_target() -> str:
    if "target" in _fixed:
        return _fixed["target"]
    target = os.environ.get(TARGET_VAR, "learner")
    if target not in TARGETS:
        raise ValueError(f"{TARGET_VAR}={target!r}; expected one of {TARGETS}")
    return target


class ExerciseModule:
    """A thin view of a module whose missing attributes produce a message a learner can act on."""

    def __init__(self, module: ModuleType, ex: registry.Exercise, path: Path):
        self._module, self._ex, self._path = module, ex, path

    def __getattr__(self, name: str):
        try:
            return getattr(self._module, name)
        except AttributeError:
            raise AttributeError(
                f"{_display(self._path)} has no `{name}`, which Exercise {self._ex.id} needs. "
                f"Did you rename or delete it? `grader reset {self._ex.id}` restores the stub (with a backup)."
            ) from None

    def __repr__(self) -> str:
        return f"<exercise {self._ex.id} module from {_display(self._path)}>"


def _display(path: Path) -> str:
    for base in (workspace(), registry.ROOT):
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


_cache: dict[Path, ExerciseModule] = {}


def _import(path: Path, name: str, ex: registry.Exercise, guarded: bool) -> ExerciseModule:
    if path in _cache:
        return _cache[path]
    if not guarded:
        return _import_reference(path, name, ex)
    if not path.exists():
        raise FileNotFoundError(f"{_display(path)} is missing (Exercise {ex.id}). `grader reset {ex.id}` restores the stub.")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if guarded:
        policy.guard(name, ex)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (SystemExit, KeyboardInterrupt) as e:
        sys.modules.pop(name, None)
        raise ImportError(f"{_display(path)} raised {type(e).__name__} while being imported (a sys.exit() or "
                          f"exit() at the top level?); a module must only define things when imported") from None
    except BaseException:
        sys.modules.pop(name, None)
        raise
    _cache[path] = view = ExerciseModule(module, ex, path)
    return view


def _import_reference(path: Path, name: str, ex: registry.Exercise) -> ExerciseModule:
    """Run the reference's source as a module that is not left in `sys.modules`. Unless it stands in for
    an earlier exercise in a milestone (learner code then uses it by design), every function and method
    in it first checks who called it (`_checked_source`), and its source is forgotten once compiled."""
    guarded = ex.id not in stand_ins()
    source = _sources.pop(path, None) if guarded else _sources.get(path)
    if source is None:
        source = path.read_text()
    module = ModuleType(name)
    module.__file__ = str(path)
    code = _compiled(source, path, guarded)
    module.__dict__[CALLER_CHECK] = _caller_check(ex) if guarded else _anyone
    sys.modules[name] = module  # while it runs (dataclasses look their module up); not afterwards
    try:
        exec(code, module.__dict__)
    finally:
        sys.modules.pop(name, None)
    _cache[path] = view = ExerciseModule(module, ex, path)
    return view


def _compiled(source: str, path: Path, guarded: bool):
    """The reference's code object, with the caller checks where `guarded` (the grading worker keeps it)."""
    return compile(_checked_source(source, path) if guarded else source, str(path), "exec")


# ---- learner code may not call the reference

CALLER_CHECK = "_gradschool_caller_check"


def _checked_source(source: str, path: Path) -> ast.Module:
    """The reference's syntax tree with a call of CALLER_CHECK first in every function and method (after
    the docstring), and an `__init_subclass__` that makes the same check in every class with methods: a
    learner module that found the reference's objects can neither call them nor subclass them."""
    tree = ast.parse(source, str(path))

    def checked(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = 1 if ast.get_docstring(node) is not None else 0
                call = ast.Expr(ast.Call(ast.Name(CALLER_CHECK, ast.Load()), [], []))
                node.body.insert(first, ast.copy_location(call, node.body[0]))
            elif isinstance(node, ast.ClassDef):
                checked(node.body)
                if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in node.body):
                    hook = ast.parse(f"def __init_subclass__(cls, **kw):\n    {CALLER_CHECK}()\n"
                                     "    super().__init_subclass__(**kw)").body[0]
                    node.body.append(ast.copy_location(hook, node))
    checked(tree.body)
    return ast.fix_missing_locations(tree)


def _caller_check(ex: registry.Exercise):
    """The check a guarded reference module calls. Walking out from the reference's caller, library and
    generated code (numpy, functools, `exec` of a string) and the modules of other exercises are passed
    over: a check may hand an earlier exercise's reference to the code under test (3.6's glue runs on
    the 3.5 reference layers). The first frame left decides: the grader's code may call, the learner's
    code for this exercise (or a helper module of theirs) may not. Its settings are defaults, so what it
    compares with cannot be changed unseen."""
    def check(_getframe=sys._getframe, _ex_id=ex.id) -> None:
        frame = _getframe(1)
        caller = frame.f_back
        if caller is not None and caller.f_code.co_filename == frame.f_code.co_filename:
            return   # the reference calling itself: most calls, and the cheapest answer
        while caller is not None:
            file = caller.f_code.co_filename
            whose = _whose(file)
            if whose == "grader":
                return
            if whose == "learner" and _places(str(workspace()))[3].get(file, _ex_id) == _ex_id:
                policy.refuse(f"Exercise {_ex_id}: your code called the reference solution "
                              f"(`{frame.f_code.co_qualname}`); it must compute its results itself")
            caller = caller.f_back
    return check


def _anyone() -> None:
    """The caller check of a reference that stands in for an earlier exercise: anyone may call it."""


def _whose(file: str) -> str | None:
    """"learner" for a file under the workspace's phases other than a shipped visible test, "grader" for
    the rest of this repository and for those tests (the checks, the reference), else None."""
    learner_root, visible_tests, ours, _ = _places(str(workspace()))
    if file.startswith(learner_root):
        return "grader" if file in visible_tests else "learner"
    return "grader" if file.startswith(ours) else None


@functools.lru_cache(maxsize=4)
def _places(root: str) -> tuple[str, frozenset[str], str, MappingProxyType]:
    """For a workspace: its phases folder, its visible tests, this repository, and its exercise modules
    (file -> exercise id)."""
    exercises = registry.exercises()
    tests = frozenset(str(ex.visible_tests(Path(root))) for ex in exercises)
    stubs = {str(ex.stub_path(Path(root))): ex.id for ex in exercises}
    return str(Path(root) / "phases") + os.sep, tests, str(registry.ROOT) + os.sep, MappingProxyType(stubs)


def _called_from_learner_code() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if _whose(frame.f_code.co_filename) == "learner":
            return True
        frame = frame.f_back
    return False


def learner(ex_id: str) -> ExerciseModule:
    ex = registry.exercise(ex_id)
    return _import(ex.stub_path(workspace()), f"phases.{ex.phase.dir}.{ex.module}", ex, guarded=True)


def reference(ex_id: str) -> ExerciseModule:
    ex = registry.exercise(ex_id)
    if _called_from_learner_code():
        policy.refuse(f"Exercise {ex.id}: a learner module may not load the reference")
    return _import(ex.solution_path, f"solutions.{ex.phase.dir}.{ex.module}", ex, guarded=False)


def exercise(ex_id: str) -> ExerciseModule:
    """The module under test for `ex_id`: the learner's, or the reference when GRADSCHOOL_TARGET=reference
    or when the grader made the reference stand in for it (see `stand_ins`)."""
    return reference(ex_id) if current_target() == "reference" or ex_id in stand_ins() else learner(ex_id)
