"""Run a function on a module as soon as it has been imported: now if it already is, else right after
its code runs, before the importer gets it. The grader hooks tinygrad this way without importing it
early (importing tinygrad costs a NumPy-only child about a second)."""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Callable


def after_import(name: str, then: Callable[[ModuleType], None]) -> None:
    if name in sys.modules:
        then(sys.modules[name])
    elif not any(isinstance(f, _Hook) and (f.name, f.then) == (name, then) for f in sys.meta_path):
        sys.meta_path.insert(0, _Hook(name, then))


class _Hook(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, then: Callable[[ModuleType], None]):
        self.name, self.then = name, then

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run, then = spec.loader.exec_module, self.then

            def exec_module(module):
                run(module)
                then(module)
            spec.loader.exec_module = exec_module
        return spec
