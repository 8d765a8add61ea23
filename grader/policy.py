"""Import policy: which libraries a learner's module may not use.

Enforced twice: statically (an AST scan of the file, before anything runs) and at import time (a
wrapper around `__import__` that refuses forbidden imports made from inside a guarded learner module,
including imports inside functions). `solutions` is always forbidden: the reference is not the answer
to import, nor a file to read: a learner module that names the reference's folder, or reaches into
`sys.modules`, is a violation too. That the checks themselves are left alone is `grader.integrity`'s
business.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import sys
from pathlib import Path

ALWAYS_FORBIDDEN = ("solutions", "grader", "subprocess", "ctypes", "socket", "pytest", "_pytest")
# frames, code objects and the garbage collector's lists: the ways into the checks' own objects
# (not sys.setprofile: a profiler of one's own, 7.2, may use it)
INTROSPECTION = {"__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__", "f_globals", "f_locals",
                 "f_back", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "_getframe", "get_referrers",
                 "get_referents", "get_objects"}
FORBIDDEN_CALLS = {("os", "system"), ("os", "popen"), ("os", "fork"), ("os", "kill"), ("os", "execv"), ("os", "execvp")}


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
    forbidden, problems, introspection = _forbidden(ex), [], {}
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
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_reference(node.value):
            problems.append(f"line {node.lineno} names the reference solutions; your module must not read them.")
        if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION:
            introspection.setdefault(node.attr, node.lineno)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            if pair == ("sys", "modules"):
                problems.append(f"line {node.lineno} uses sys.modules; reaching into other modules is not allowed here.")
            elif pair in FORBIDDEN_CALLS:
                problems.append(f"line {node.lineno} calls {pair[0]}.{pair[1]}; starting or signalling processes is not allowed here.")
    if introspection:
        uses = ", ".join(f"`.{attr}` (line {line})" for attr, line in sorted(introspection.items(), key=lambda x: x[1]))
        problems.append(f"{uses}: reaching into other code's frames, functions or objects is not allowed here.")
    return problems


def _names_reference(text: str) -> bool:
    return text == "solutions" or text.startswith("solutions.") or "solutions/" in text or "solutions\\" in text


_guarded: dict[str, object] = {}
violations: list[str] = []          # every refusal in this process (imports, calls into the reference)
_original_import, _original_import_module = builtins.__import__, importlib.import_module


def refuse(message: str):
    """Raise the violation, and keep it: code that catches it has still broken the rules (the run's end
    reports `violations`, and the exercise fails as a whole)."""
    violations.append(message)
    raise PolicyViolation(message)


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__")
    ex = _guarded.get(importer)
    if ex is not None and level == 0 and _top(name) in _forbidden(ex):
        refuse(_message(ex, name, "at import time"))
    return _original_import(name, globals, locals, fromlist, level)


def _guarded_import_module(name, package=None):
    ex = _guarded.get(sys._getframe(1).f_globals.get("__name__"))
    if ex is not None and not name.startswith(".") and _top(name) in _forbidden(ex):
        refuse(_message(ex, name, "through importlib"))
    return _original_import_module(name, package)


def guard(module_name: str, ex) -> None:
    """Refuse the exercise's forbidden imports whenever code in `module_name` imports something (an import
    statement, `__import__` or `importlib.import_module`)."""
    _guarded[module_name] = ex
    builtins.__import__ = _guarded_import
    importlib.import_module = _guarded_import_module


def unguard() -> None:
    """Undo every `guard` (a warm worker before it forks its variants)."""
    _guarded.clear()
    violations.clear()
    builtins.__import__, importlib.import_module = _original_import, _original_import_module
