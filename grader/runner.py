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
    seconds: float = 0.0     # wall time
    cpu_s: float = 0.0       # CPU seconds of the child's process tree, as the grader measured them
    out_dir: str = ""


@dataclass
class ExerciseResult:
    ex: registry.Exercise
    tests: list[dict] = field(default_factory=list)   # {"kind", "test", "outcome", "message"}
    problem: str | None = None                       # policy violation, crash or timeout: the whole exercise fails
    seconds: float = 0.0
    milestone: MilestoneResult | None = None
    not_started: bool = False                        # the module is still the generated stub: nothing ran

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
              timeout_s: float | None = None) -> ExerciseResult:
    """Grade one exercise's tests. `timeout_s` overrides the registry's limit."""
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
        run = sandbox.run(pytest_args(report, files),
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


WALL_FACTOR = 5      # a CPU-budgeted milestone may take this many times its budget in wall time (load, not hangs)
STOPPED_EXIT = 3     # the milestone child's exit status after it saved a stopped run
DATA_EXIT = 4        # ... and after it found its data unavailable (the fix is in data_error.txt)


def run_milestone(ex: registry.Exercise, workspace: Path, tier: str = "smoke", target_name: str = "learner",
                  echo: bool = True, cpu_budget_s: float | None = None) -> MilestoneResult:
    """Train the milestone in a child, stopped at its CPU budget (the registry's, or `cpu_budget_s`)."""
    from grader.milestones import STATUS_FILE, describe_stop

    ms = ex.milestone
    budget = cpu_budget_s or getattr(ms, tier).cpu_budget_s
    out_dir = milestone_dir(ex, workspace, tier)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("metrics.json", STATUS_FILE, "data_error.txt"):
        (out_dir / stale).unlink(missing_ok=True)
    data_problem = ensure_data(ms.dataset, echo)
    if data_problem:
        return MilestoneResult(tier=tier, passed=False, message=data_problem, out_dir=str(out_dir))
    with isolated(ex, workspace) as (copy, tmp):
        run = sandbox.run(["-m", "grader.runner", ex.id, tier, str(out_dir)], timeout_s=budget * WALL_FACTOR,
                          memory_mb=MILESTONE_MEMORY_MB, env=child_env(copy, target_name), cwd=tmp, echo=echo,
                          cpu_budget_s=budget)
    result = MilestoneResult(tier=tier, passed=False, seconds=round(run.seconds, 1), cpu_s=round(run.cpu_s, 1),
                             out_dir=str(out_dir))
    if run.stopped:
        status = _read_json(out_dir / STATUS_FILE)
        limit = (f"its budget of {budget:g} CPU s" if run.stopped == "cpu"
                 else f"{budget * WALL_FACTOR:g} s of wall time (5x its CPU budget: a hang, or a very busy machine?)")
        so_far = describe_stop(status) if status else "stopped before its first epoch ended"
        result.metrics = {k: v for k, v in status.get("so_far", {}).items() if isinstance(v, (int, float))}
        result.message = f"{so_far}, at {limit}; `grader milestone {ex.id} --budget S` gives it S CPU seconds"
        return result
    if run.returncode == DATA_EXIT and (out_dir / "data_error.txt").exists():
        result.message = (out_dir / "data_error.txt").read_text()
        return result
    metrics_file = out_dir / "metrics.json"
    if not metrics_file.exists():
        result.message = f"the milestone run {run.crash or f'failed (exit code {run.returncode})'}" + _last_line(run.output)
        return result
    result.metrics = _read_json(metrics_file)
    value = result.metrics.get(ms.metric)
    if not isinstance(value, (int, float)):
        result.message = f"the milestone returned no `{ms.metric}`"
        return result
    target_value = getattr(ms, tier).target
    result.passed = ms.passed(value, tier)
    relation = ">=" if ms.goal == "max" else "<="
    result.message = f"{ms.metric} = {value:.4g} (needs {relation} {target_value}) in {result.cpu_s:g} CPU s"
    return result


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def ensure_data(name: str, echo: bool = False) -> str | None:
    """None when the data set is ready (fetched quietly if need be), else what to do, the fix first."""
    import io
    import warnings

    from grader.data import DataUnavailable, store

    if name not in store.manifest():
        return None  # bundled with scikit-learn
    try:
        store.require(name, download=False)
        return None
    except DataUnavailable:
        pass
    if echo:
        print(f"Fetching the {name} data set (first use only)...", flush=True)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.require(name)
        return None
    except DataUnavailable as e:
        return fix_first(str(e))


def fix_first(message: str) -> str:
    """A data error's message with its "To fix" list moved to the front."""
    head, sep, fix = message.partition("To fix, do one of:")
    return f"{sep}{fix.rstrip()}\nDetails:\n{head.rstrip()}" if sep else message


def _milestone_child(ex_id: str, tier: str, out_dir: str) -> int:
    """Entry point of the milestone child process: run the registry's entry, write metrics.json.

    SIGTERM (the grader's budget stop) raises `Stopped` in the training loop; the run's curves so far
    and status.json are saved before the child exits."""
    import importlib
    import signal

    from grader import milestones
    from grader.data import DataUnavailable

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise milestones.Stopped()

    signal.signal(signal.SIGTERM, stop)
    ex = registry.exercise(ex_id)
    module_name, function = ex.milestone.entry.split(":")
    try:
        run = getattr(importlib.import_module(module_name), function)
        metrics = run(tier=tier, out_dir=Path(out_dir))
    except milestones.Stopped:
        if milestones.CURRENT is not None:
            milestones.CURRENT.save_partial()
        return STOPPED_EXIT
    except DataUnavailable as e:
        (Path(out_dir) / "data_error.txt").write_text(fix_first(str(e)))
        return DATA_EXIT
    clean = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
    (Path(out_dir) / "metrics.json").write_text(json.dumps(clean, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(_milestone_child(*sys.argv[1:4]))
