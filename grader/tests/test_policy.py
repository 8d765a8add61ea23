"""Import policy: static scan and import-time guard."""
import pytest

from grader import integrity, policy, registry

EX = registry.exercise("1.2")  # forbids tinygrad, sklearn, scipy (phase) and torch (default)


def scan(tmp_path, source):
    path = tmp_path / "m.py"
    path.write_text(source)
    return policy.scan(path, EX)


@pytest.mark.parametrize("source", [
    "import torch", "from sklearn.linear_model import LinearRegression", "import tinygrad.nn as nn",
    "def f():\n    import scipy.optimize\n", "__import__('torch')", "import importlib\nimportlib.import_module('sklearn')",
    "import subprocess", "import os\nos.system('ls')", "open('solutions/01_math/calculus.py')",
    "import pytest\ndef f():\n    pytest.skip('later')", "from _pytest.python import Function",
    "import sys\nglobals_of_caller = sys._getframe(1).f_globals", "def f(g):\n    g.__code__ = (lambda: 0).__code__",
    "import gc\nfound = gc.get_objects()",
])
def test_static_scan_flags_forbidden_use(tmp_path, source):
    problems = scan(tmp_path, source)
    assert problems and all("line" in p or "Exercise" in p for p in problems)


@pytest.mark.parametrize("source", [
    "import numpy as np", "import math\nfrom typing import Callable", '"""The solutions of Ax = b."""', "from __future__ import annotations",
])
def test_static_scan_allows_ordinary_code(tmp_path, source):
    assert scan(tmp_path, source) == []


def _load(tmp_path, name: str, source: str, guarded: bool = False):
    """A module `name` made of `source`; guarded by the import policy of EX when asked (before it runs)."""
    import importlib.util
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if guarded:
        policy.guard(name, EX)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("importing", ["import sklearn\n    return sklearn",
                                       "import importlib\n    return importlib.import_module('skl' + 'earn')"])
def test_import_time_guard_blocks_only_the_guarded_module(tmp_path, importing):
    try:
        module = _load(tmp_path, "guarded_for_test", f"def f():\n    {importing}\n", guarded=True)
        with pytest.raises(policy.PolicyViolation, match="may not import `sklearn`"):
            module.f()
        import importlib
        import json  # ordinary imports elsewhere are untouched
        assert json.dumps(1) == "1" and importlib.import_module("json") is json
    finally:
        policy.unguard()


def test_replacing_pytest_machinery_is_noticed():
    import _pytest.python
    integrity.snapshot()
    original = _pytest.python.Function.runtest
    _pytest.python.Function.runtest = lambda self: None
    try:
        assert "Function.runtest" in integrity.tampered()
    finally:
        _pytest.python.Function.runtest = original
    assert integrity.tampered() == []


def test_swapping_a_checks_code_or_defaults_is_noticed():
    from grader import compare
    integrity.snapshot()
    code, defaults = compare.diagnose.__code__, compare.assert_matches.__defaults__
    compare.diagnose.__code__ = (lambda *a, **k: None).__code__
    try:
        assert integrity.tampered() == ["grader.compare.diagnose"]
    finally:
        compare.diagnose.__code__ = code
    compare.assert_matches.__defaults__ = tuple(1e9 if isinstance(d, float) else d for d in defaults)
    try:
        assert "grader.compare.assert_matches" in integrity.tampered()
    finally:
        compare.assert_matches.__defaults__ = defaults
    assert integrity.tampered() == []


def test_a_comparison_that_stopped_failing_is_noticed():
    import numpy as np
    integrity.snapshot()
    original = np._core.numeric.isclose          # not watched by name: np.allclose calls it
    np._core.numeric.isclose = lambda *a, **k: np.array(True)
    try:
        assert "numpy's comparisons" in integrity.tampered()
    finally:
        np._core.numeric.isclose = original
    assert integrity.tampered() == []


def test_rebinding_a_test_modules_names_is_noticed(tmp_path):
    module = _load(tmp_path, "test_bound", "from grader.compare import assert_matches\nimport numpy as np\nref = object()\n")
    integrity.remember(module)
    assert integrity.rebound(module) == []
    module.ref, module.np = object(), None
    assert sorted(integrity.rebound(module)) == ["test_bound.np", "test_bound.ref"]
    module.ref, module.np = None, __import__("numpy")
    module.assert_matches = lambda *a, **k: None
    assert "test_bound.assert_matches" in integrity.rebound(module)


def test_patching_tinygrads_tensor_is_noticed():
    integrity.snapshot()
    from tinygrad import Tensor          # watched from its import on, whenever that is
    original = Tensor.__dict__["sparse_categorical_crossentropy"]
    Tensor.sparse_categorical_crossentropy = lambda self, y, **k: self.sum()
    try:
        assert "Tensor.sparse_categorical_crossentropy" in integrity.tampered()
    finally:
        Tensor.sparse_categorical_crossentropy = original
    assert integrity.tampered() == []
