"""Which implementation a test exercises: the learner's module or the reference.

Tests never import `phases...` or `solutions...` directly. They call

    matrix = exercise("1.1")        # learner's module by default, the reference with --target=reference

and hidden checks call `learner("1.1")` and `reference("1.1")` to compare the two. The switch is the
environment variable GRADSCHOOL_TARGET (set by the pytest option --target); the learner's files are
looked up under GRADSCHOOL_WORKSPACE (default: the repository), so the grader can test a copy.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from grader import policy, registry

TARGET_VAR = "GRADSCHOOL_TARGET"
WORKSPACE_VAR = "GRADSCHOOL_WORKSPACE"
TARGETS = ("learner", "reference")


def workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_VAR) or registry.ROOT).resolve()


def current_target() -> str:
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


def learner(ex_id: str) -> ExerciseModule:
    ex = registry.exercise(ex_id)
    return _import(ex.stub_path(workspace()), f"phases.{ex.phase.dir}.{ex.module}", ex, guarded=True)


def reference(ex_id: str) -> ExerciseModule:
    ex = registry.exercise(ex_id)
    return _import(ex.solution_path, f"solutions.{ex.phase.dir}.{ex.module}", ex, guarded=False)


def exercise(ex_id: str) -> ExerciseModule:
    """The module under test for `ex_id`: the learner's, or the reference when GRADSCHOOL_TARGET=reference."""
    return reference(ex_id) if current_target() == "reference" else learner(ex_id)
