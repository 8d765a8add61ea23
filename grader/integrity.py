"""Integrity of the code that judges: learner code runs in the same process as the checks (and as a
milestone's evaluation), so the grader makes sure it has not altered them.

`snapshot()` runs before any learner module is imported; `tampered()` after each test and before a
milestone reports. Three probes:
- identity: every function, class and module the checks rely on (numpy, builtins, pytest's runner and
  reports, tinygrad's Tensor, the grader's comparison, gradient, target, channel and plugin modules, a
  milestone's own) is the same object with the same code and defaults, the grader's classes have the
  same methods, and `sys.modules` still gives those modules (a forged module there would be what a
  test module imported later gets). Swapping `f.__code__` keeps `f` but not its code;
- bindings (`rebound`): a test module's top-level imports still name those objects, and its globals
  are the ones it had when collected (a learner function that rebinds `assert_matches` or `ref` in a
  test's globals);
- behaviour: comparisons that must fail still fail, whatever was patched underneath them (a helper
  of numpy's that `allclose` calls, for instance).

Someone who reads this file can still defeat it from inside the process (AUTHORING.md's threat
model); what it stops is the generic ways of making wrong code pass.
"""
from __future__ import annotations

import ast
import builtins
import sys
import types
from pathlib import Path

from grader import registry
from grader.after_import import after_import

_snapshot: list[tuple] = []        # (label, namespace, name, value, its function, the function's parts)
_extra: list[str] = []
# test module -> (its globals, as _snapshot; what its top-level imports bind: (name, module, attribute))
_modules: dict[types.ModuleType, tuple[list[tuple], list[tuple[str, str, str | None]]]] = {}
_imported: dict[str, types.ModuleType] = {}                       # sys.modules entries of the watched modules
_MISSING = object()
OURS = ("grader.compare", "grader.numeric", "grader.hidden.probes", "grader.target", "grader.channel",
        "grader.policy", __name__)
PYTEST = {"pytest": "pytest", "_pytest.runner": "_pytest.runner", "Function": "_pytest.python:Function",
          "TestReport": "_pytest.reports:TestReport", "grader.pytest_plugin": "grader.pytest_plugin"}


def watch(*module_names: str) -> None:
    """Also watch these modules (a milestone's own); call before `snapshot`."""
    _extra.extend(module_names)


def _watched() -> dict[str, object]:
    """label -> module or class. pytest's parts only where pytest runs (a milestone child has none)."""
    import numpy
    import numpy.testing
    out = {"numpy": numpy, "numpy.testing": numpy.testing, "builtins": builtins}
    for label, where in PYTEST.items():
        module, _, cls = where.partition(":")
        if module in sys.modules:
            out[label] = getattr(sys.modules[module], cls) if cls else sys.modules[module]
    for name in (*OURS, *_extra):
        __import__(name)
        out[name] = sys.modules[name]
    return out


def _function(value) -> types.FunctionType | None:
    func = getattr(value, "__func__", value)                   # staticmethod, classmethod
    return func if isinstance(func, types.FunctionType) else None


def _parts(func: types.FunctionType | None) -> tuple:
    """What else must stay the same about a function: its code and its defaults."""
    return () if func is None else (func.__code__, func.__defaults__, func.__kwdefaults__)


def _entry(label: str, namespace, name: str, value) -> tuple:
    func = _function(value)
    return label, namespace, name, value, func, _parts(func)


def _entries(label: str, owner, every: bool) -> list[tuple]:
    """The callables and modules of a module's or class's namespace (private ones too when `every`), and
    the methods of the grader's own classes in it."""
    namespace, out = vars(owner), []
    for name, value in list(namespace.items()):
        if name.startswith("__") or (name.startswith("_") and not every):
            continue
        if callable(value) or isinstance(value, (staticmethod, classmethod, types.ModuleType)):
            out.append(_entry(f"{label}.{name}", namespace, name, value))
            if (isinstance(value, type) and not isinstance(owner, type)
                    and str(getattr(value, "__module__", "")).startswith(("grader", "solutions"))):
                out += _entries(f"{label}.{name}", value, every=True)
    return out


def _changed(entries: list[tuple]) -> list[str]:
    return [label for label, namespace, name, value, func, parts in entries
            if namespace.get(name, _MISSING) is not value or (func is not None and _parts(func) != parts)]


def snapshot() -> None:
    """Remember everything the checks rely on, as it is now, and tinygrad's Tensor (the oracle of phases 4-7)
    as soon as it is imported: the test module imports it before the learner's module can touch it."""
    from grader import target
    _snapshot.clear()
    _imported.clear()
    for label, owner in _watched().items():
        _snapshot.extend(_entries(label, owner, every=isinstance(owner, type) or label.startswith("grader")))
        _remember_imported(label)
    # the target, workspace and stand-ins the run was fixed with (whose code the reference refuses to serve)
    _snapshot.extend(_entry(f"grader.target._fixed[{key!r}]", target._fixed, key, value) for key, value in target._fixed.items())
    after_import("tinygrad.tensor", _watch_tensor)


def watch_references(ex_ids) -> None:
    """Load the reference modules of these exercises now, before any learner module, and watch them: the
    grader's cache of them, their functions and their classes' methods (a learner module that swapped
    the reference's function for its own would compare with itself). Call after `snapshot`."""
    from grader import target
    _snapshot.append(_entry("grader.target._cache", vars(target), "_cache", target._cache))
    for ex_id in dict.fromkeys(ex_ids):
        view, path, label = target.reference(ex_id), registry.exercise(ex_id).solution_path, f"reference {ex_id}"
        _snapshot.append(_entry(label, target._cache, path, view))
        _snapshot.append(_entry(label, vars(view), "_module", view._module))
        _snapshot.extend(_entries(label, view._module, every=True))


def _remember_imported(name: str) -> None:
    """The module `import name` gives, with its parents: a test module imported later must get these."""
    parts = name.split(".")
    for prefix in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
        if prefix in sys.modules:
            _imported[prefix] = sys.modules[prefix]


def _watch_tensor(module: types.ModuleType) -> None:
    _snapshot.extend(_entries("Tensor", module.Tensor, every=True))
    _remember_imported("tinygrad.tensor")


def tampered() -> list[str]:
    """What was replaced or altered since `snapshot()`, then what no longer behaves."""
    swapped = [f"sys.modules[{name!r}]" for name, module in list(_imported.items()) if sys.modules.get(name) is not module]
    return swapped + _changed(_snapshot) + _misbehaving()


def message(altered: list[str]) -> str:
    """What the learner reads when their code altered something the checks rely on."""
    return (f"policy violation: the code under test altered {', '.join(altered[:3])}"
            f"{f' and {len(altered) - 3} more' if len(altered) > 3 else ''}; the checks must run against "
            "the real libraries and the grader's own code")


def _misbehaving() -> list[str]:
    import numpy as np

    from grader import compare
    wrong = []
    for got, want in ((np.zeros(3), np.ones(3)), (np.ones((2, 3)), np.ones((3, 2)))):
        try:
            compare.assert_matches(got, want, what="an integrity probe")
        except compare.Mismatch:
            continue
        wrong.append("assert_matches (it passed two different values)")
        break
    try:
        compare.assert_raises(ValueError, int, 3, what="an integrity probe")
        wrong.append("assert_raises (it passed a call that raised nothing)")
    except compare.Mismatch:
        pass
    if np.allclose(0.0, 1.0) or np.array_equal([1, 2], [1, 3]) or not (np.arange(4) * 2 == [0, 2, 4, 6]).all():
        wrong.append("numpy's comparisons")
    return wrong


# ---- the test modules

def remember(module: types.ModuleType) -> None:
    """At collection: the test module's globals, and what its top-level imports bind."""
    if module in _modules:
        return
    namespace, label = vars(module), module.__name__.rsplit(".", 1)[-1]
    names = [_entry(f"{label}.{name}", namespace, name, value)
             for name, value in list(namespace.items()) if not name.startswith("__")]
    try:
        body = ast.parse(Path(module.__file__).read_text()).body
    except (OSError, SyntaxError, TypeError, ValueError):
        body = []
    bindings = []
    for node in body:
        if isinstance(node, ast.Import):
            bindings += [(a.asname, a.name, None) if a.asname else (a.name.split(".")[0], a.name.split(".")[0], None)
                         for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            bindings += [(a.asname or a.name, node.module, a.name) for a in node.names if a.name != "*"]
    _modules[module] = names, bindings


def rebound(module: types.ModuleType | None) -> list[str]:
    """Names of a test module that no longer hold what they held at collection, or what its imports bound."""
    if module not in _modules:
        return []
    label, namespace = module.__name__.rsplit(".", 1)[-1], vars(module)
    names, bindings = _modules[module]
    changed = _changed(names)
    for name, source, attribute in bindings:
        imported = _imported.get(source) or sys.modules.get(source)
        expected = (imported if attribute is None or imported is None
                    else _imported.get(f"{source}.{attribute}") or getattr(imported, attribute, None))
        if expected is not None and namespace.get(name, expected) is not expected:
            changed.append(f"{label}.{name}")
    return list(dict.fromkeys(changed))
