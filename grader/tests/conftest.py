"""Fixtures for the project's self-test."""
import shutil
from pathlib import Path

import pytest

from grader import registry, stubgen


@pytest.fixture
def fresh_workspace(tmp_path) -> Path:
    """A copy of phases/ in which every learner file is the freshly generated stub."""
    shutil.copytree(registry.ROOT / "phases", tmp_path / "phases", ignore=shutil.ignore_patterns("__pycache__"))
    stubgen.generate(workspace=tmp_path, force=True)
    shutil.rmtree(tmp_path / ".grader", ignore_errors=True)
    return tmp_path


