"""Grading results reused while their inputs are unchanged, and untouched stubs recognised without running.

An exercise's result depends on the learner's modules of its phase up to and including it, the visible
tests and hidden checks of its phase, the reference module and the grader itself. `inputs_key` hashes
all of them; `.grader/cache.json` keeps the last result per exercise under that key. A module whose
sha256 is the one `grader stubs` recorded in phases/.stubs.json is an untouched stub: "not started",
graded without starting a child process.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from grader import files, registry, stubgen

GRADER_DIR = registry.ROOT / "grader"


def file_sha(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "-"


def is_stub(ex: registry.Exercise, workspace: Path) -> bool:
    """True when the learner's module is still exactly the generated stub."""
    path = ex.stub_path(workspace)
    recorded = stubgen.load_record(workspace).get(str(path.relative_to(workspace)))
    return recorded is not None and file_sha(path) == recorded


@functools.lru_cache(maxsize=None)
def _grader_digest() -> str:
    """The grader's own code (checks included, its self-test and mutant bank not): its version."""
    digest = hashlib.sha256()
    for path in sorted(GRADER_DIR.rglob("*.py")):
        if path.relative_to(GRADER_DIR).parts[0] not in ("tests", "mutants"):
            digest.update(f"{path.relative_to(GRADER_DIR)}:{file_sha(path)}\n".encode())
    return digest.hexdigest()


def inputs_key(ex: registry.Exercise, workspace: Path, *extra: str) -> str:
    """A hash of everything the exercise's grading result depends on (plus `extra`, e.g. a time limit)."""
    digest = hashlib.sha256("\0".join(extra).encode())
    learner = []
    for other in ex.phase.exercises:
        learner.append(other.stub_path(workspace))
        if other is ex:
            break
    checks = sorted(ex.visible_tests(workspace).parent.glob("*.py")) + sorted(ex.hidden_tests.parent.glob("*.py"))
    for path in [*learner, *checks, ex.solution_path, registry.REGISTRY_FILE, registry.ROOT / "pyproject.toml"]:
        digest.update(f"{path.name}:{file_sha(path)}\n".encode())
    digest.update(_grader_digest().encode())
    return digest.hexdigest()


class Cache:
    def __init__(self, workspace: Path):
        self.path = Path(workspace) / ".grader" / "cache.json"
        try:
            self.data = json.loads(self.path.read_text())
            if not isinstance(self.data, dict):
                self.data = {}
        except (OSError, ValueError):
            self.data = {}

    def get(self, ex_id: str, key: str) -> dict | None:
        entry = self.data.get(ex_id)
        return entry["result"] if isinstance(entry, dict) and entry.get("key") == key else None

    def put(self, ex_id: str, key: str, result: dict) -> None:
        self.data[ex_id] = {"key": key, "result": result}

    def save(self) -> None:
        files.write_atomic(self.path, json.dumps(self.data))


def grade(ex: registry.Exercise, workspace: Path, cache: Cache, timeout_s: float | None = None):
    """The exercise's result: "not started" for an untouched stub, the cached result while the inputs are
    unchanged, else a fresh run of its tests (kept in `cache` unless it crashed or timed out), beside the
    reference's run of the same tests the first time (`runner.reference_programs`)."""
    from grader import runner

    if is_stub(ex, workspace):
        return runner.ExerciseResult(ex, not_started=True)
    key = inputs_key(ex, workspace, str(timeout_s))
    hit = cache.get(ex.id, key)
    if hit is not None:
        return runner.ExerciseResult(ex, tests=hit["tests"], problem=hit["problem"], seconds=hit["seconds"])
    kinds = ("visible", "hidden")
    with runner.reference_programs(ex.phase, [ex], kinds):   # the reference's kernels, kept for next time
        result = runner.run_tests(ex, workspace, kinds=kinds, timeout_s=timeout_s)
    if result.problem is None or result.problem.startswith("policy violation"):
        cache.put(ex.id, key, {"tests": result.tests, "problem": result.problem, "seconds": result.seconds})
    return result
