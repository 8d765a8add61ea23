"""Import policy: static scan and import-time guard."""
import pytest

from grader import policy, registry

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
])
def test_static_scan_flags_forbidden_use(tmp_path, source):
    problems = scan(tmp_path, source)
    assert problems and all("line" in p or "Exercise" in p for p in problems)


@pytest.mark.parametrize("source", [
    "import numpy as np", "import math\nfrom typing import Callable", '"""The solutions of Ax = b."""', "from __future__ import annotations",
])
def test_static_scan_allows_ordinary_code(tmp_path, source):
    assert scan(tmp_path, source) == []


def test_import_time_guard_blocks_only_the_guarded_module(tmp_path):
    path = tmp_path / "learner_mod.py"
    path.write_text("def f():\n    import sklearn\n    return sklearn\n")
    import importlib.util
    spec = importlib.util.spec_from_file_location("guarded_for_test", path)
    module = importlib.util.module_from_spec(spec)
    policy.guard("guarded_for_test", EX)
    spec.loader.exec_module(module)
    with pytest.raises(policy.PolicyViolation, match="may not import `sklearn`"):
        module.f()
    import json  # ordinary imports elsewhere are untouched
    assert json.dumps(1) == "1"


def test_replacing_pytest_machinery_is_noticed():
    import _pytest.python
    policy.snapshot()
    original = _pytest.python.Function.runtest
    _pytest.python.Function.runtest = lambda self: None
    try:
        assert "Function.runtest" in policy.tampered()
    finally:
        _pytest.python.Function.runtest = original
    assert policy.tampered() == []
