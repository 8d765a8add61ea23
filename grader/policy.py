"""Import policy: which libraries a learner's module may not use.

Enforced twice: statically (an AST scan of the file, before anything runs) and at import time (a
wrapper around `__import__` that refuses forbidden imports made from inside a guarded learner module,
including imports inside functions). `solutions` is always forbidden: the reference is not the answer
to import.
"""
from __future__ import annotations

import ast
import builtins
from pathlib import Path

ALWAYS_FORBIDDEN = ("solutions", "grader")


class PolicyViolation(ImportError):
    pass


def _forbidden(ex) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*ex.forbid, *ALWAYS_FORBIDDEN)))


def _message(ex, name: str, where: str) -> str:
    return (f"Exercise {ex.id} may not import `{name}` ({where}). This exercise is built from scratch; "
            f"forbidden here: {', '.join(_forbidden(ex))}.")


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def scan(path: Path, ex) -> list[str]:
    """Static check: a message for every forbidden import statement or dynamic import in `path`."""
    try:
        tree = ast.parse(Path(path).read_text(), filename=str(path))
    except SyntaxError:
        return []  # reported when the module is imported, with the line
    forbidden, problems = _forbidden(ex), []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name) and node.func.id == "__import__")
                   or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
            names = [node.args[0].value]
        for name in names:
            if _top(name) in forbidden:
                problems.append(_message(ex, name, f"line {node.lineno}"))
    return problems


_guarded: dict[str, object] = {}
_original_import = builtins.__import__


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__")
    ex = _guarded.get(importer)
    if ex is not None and level == 0 and _top(name) in _forbidden(ex):
        raise PolicyViolation(_message(ex, name, "at import time"))
    return _original_import(name, globals, locals, fromlist, level)


def guard(module_name: str, ex) -> None:
    """Refuse the exercise's forbidden imports whenever code in `module_name` imports something."""
    _guarded[module_name] = ex
    builtins.__import__ = _guarded_import
