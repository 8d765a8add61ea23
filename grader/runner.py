"""Grade exercises: each one's tests, and its milestone, in a sandboxed child process.

One child per exercise keeps exercises independent: whatever one learner module does (loop forever,
exit, crash, allocate without bound) costs that exercise alone.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader import policy, registry, sandbox, target

MILESTONE_MEMORY_MB = 8192


@dataclass
class MilestoneResult:
    tier: str
    passed: bool
    metrics: dict = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    out_dir: str = ""


@dataclass
class ExerciseResult:
    ex: registry.Exercise
    tests: list[dict] = field(default_factory=list)   # {"kind", "test", "outcome", "message"}
    problem: str | None = None                       # policy violation, crash or timeout: the whole exercise fails
    seconds: float = 0.0
    milestone: MilestoneResult | None = None

    def count(self, kind: str) -> tuple[int, int]:
        mine = [t for t in self.tests if t["kind"] == kind and t["outcome"] != "skipped"]
        return sum(t["outcome"] == "passed" for t in mine), len(mine)

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.tests) and all(t["outcome"] != "failed" for t in self.tests)

    @property
    def points(self) -> float:
        if self.problem is not None or not self.tests:
            return 0.0
        counted = [t for t in self.tests if t["outcome"] != "skipped"]
        earned = self.ex.points * sum(t["outcome"] == "passed" for t in counted) / max(len(counted), 1)
        if self.milestone and self.milestone.passed and self.ex.milestone:
            earned += self.ex.milestone.points
        return round(earned, 1)

    def failures(self) -> list[dict]:
        return [t for t in self.tests if t["outcome"] == "failed"]


def pytest_args(report: Path, files: list[str], *extra: str) -> list[str]:
    """Arguments for a child `python -m pytest` that uses this project's configuration and writes a JSON report."""
    return ["-m", "pytest", "-q", "--no-header", *extra, "-c", str(registry.ROOT / "pyproject.toml"),
            "--rootdir", str(registry.ROOT), f"--grader-report={report}", *files]


def child_env(workspace: Path, target_name: str) -> dict:
    # PYTHONPATH: the child imports this checkout's grader even when another copy is installed
    return {target.WORKSPACE_VAR: str(workspace), target.TARGET_VAR: target_name, "PYTHONPATH": str(registry.ROOT)}


@contextlib.contextmanager
def isolated(ex: registry.Exercise, workspace: Path):
    """A throw-away copy of the exercise's phase folder: whatever the learner's code writes or deletes while
    it runs happens there, never in the learner's own files or progress."""
    with tempfile.TemporaryDirectory(prefix="gradschool-") as tmp:
        copy = Path(tmp) / "workspace"
        shutil.copytree(workspace / "phases" / ex.phase.dir, copy / "phases" / ex.phase.dir,
                        ignore=shutil.ignore_patterns("__pycache__"))
        yield copy, Path(tmp)


def run_tests(ex: registry.Exercise, workspace: Path, kinds=("visible", "hidden"), target_name: str = "learner",
              timeout_s: float | None = None, launch=sandbox.run) -> ExerciseResult:
    """Grade one exercise's tests. `timeout_s` overrides the registry's limit; `launch` (sandbox.run's
    signature) starts the child, e.g. `worker.Worker().run` for the mutant bank."""
    result = ExerciseResult(ex)
    if target_name == "learner":
        path = ex.stub_path(workspace)
        if not path.exists():
            result.problem = f"{path.relative_to(workspace)} is missing; `grader reset {ex.id}` restores the stub"
            return result
        violations = policy.scan(path, ex)
        if violations:
            result.problem = "policy violation: " + " ".join(violations)
            return result
    with isolated(ex, workspace) as (copy, tmp):
        files = [str(ex.visible_tests(copy))] if "visible" in kinds else []
        files += [str(ex.hidden_tests)] if "hidden" in kinds and ex.hidden_tests.exists() else []
        report = tmp / "report.json"
        run = launch(pytest_args(report, files),
                          timeout_s=timeout_s or ex.timeout_s, memory_mb=ex.memory_mb, env=child_env(copy, target_name), cwd=tmp)
        result.seconds = run.seconds
        if report.exists():
            try:
                result.tests = [t for t in json.loads(report.read_text()) if t["exercise"] == ex.id]
            except ValueError:
                result.tests = []
        if run.crash or not report.exists():
            how = run.crash or f"ended early with exit code {run.returncode} (sys.exit or os._exit in your code?)"
            result.problem = f"the test run {how}" + _last_line(run.output)
        elif not result.tests:
            result.problem = "no test ran" + _last_line(run.output)
    return result


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return f"; last output: {lines[-1][:200]}" if lines else ""


def learner_fingerprint(ex: registry.Exercise, workspace: Path) -> str:
    """Hash of the learner's files a milestone may use (every module of the phase up to this exercise)."""
    digest = hashlib.sha256()
    for other in ex.phase.exercises:
        path = other.stub_path(workspace)
        digest.update(path.read_bytes() if path.exists() else b"-")
        if other is ex:
            break
    return digest.hexdigest()


def milestone_dir(ex: registry.Exercise, workspace: Path, tier: str) -> Path:
    return workspace / ".grader" / "milestones" / f"{ex.id}-{tier}"


def run_milestone(ex: registry.Exercise, workspace: Path, tier: str = "smoke", target_name: str = "learner",
                  echo: bool = True) -> MilestoneResult:
    ms = ex.milestone
    budget = getattr(ms, tier).budget_s
    out_dir = milestone_dir(ex, workspace, tier)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_file = out_dir / "metrics.json"
    metrics_file.unlink(missing_ok=True)
    with isolated(ex, workspace) as (copy, tmp):
        run = sandbox.run(["-m", "grader.runner", ex.id, tier, str(out_dir)], timeout_s=budget, memory_mb=MILESTONE_MEMORY_MB,
                          env=child_env(copy, target_name), cwd=tmp, echo=echo)
    result = MilestoneResult(tier=tier, passed=False, seconds=round(run.seconds, 1), out_dir=str(out_dir))
    if run.timed_out:
        result.message = f"over the {tier} budget of {budget} s"
        return result
    if not metrics_file.exists():
        result.message = f"the milestone run {run.crash or f'failed (exit code {run.returncode})'}" + _last_line(run.output)
        return result
    result.metrics = json.loads(metrics_file.read_text())
    value = result.metrics.get(ms.metric)
    if not isinstance(value, (int, float)):
        result.message = f"the milestone returned no `{ms.metric}`"
        return result
    target_value = getattr(ms, tier).target
    result.passed = ms.passed(value, tier)
    relation = ">=" if ms.goal == "max" else "<="
    result.message = f"{ms.metric} = {value:.4g} (needs {relation} {target_value})"
    return result


def _milestone_child(ex_id: str, tier: str, out_dir: str) -> int:
    """Entry point of the milestone child process: run the registry's entry, write metrics.json."""
    import importlib

    ex = registry.exercise(ex_id)
    module_name, function = ex.milestone.entry.split(":")
    run = getattr(importlib.import_module(module_name), function)
    metrics = run(tier=tier, out_dir=Path(out_dir))
    clean = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
    (Path(out_dir) / "metrics.json").write_text(json.dumps(clean, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(_milestone_child(*sys.argv[1:4]))
