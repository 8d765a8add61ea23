"""Grade exercises: each one's tests, and its milestone, in a sandboxed child process.

One child per exercise keeps exercises independent: whatever one learner module does (loop forever,
exit, crash, allocate without bound) costs that exercise alone.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader import channel, childenv, files, integrity, policy, pristine, programs, registry, sandbox, target, tiling

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


def pytest_args(files: list[str], *extra: str) -> list[str]:
    """Arguments for a child `python -m pytest` with this project's configuration and no conftest.py. The
    root directory is `/`, so a test file that fails to import (in the temporary copy or in the repository)
    is reported as itself, and the other files still run."""
    return ["-m", "pytest", "-q", "--no-header", "--noconftest", "--continue-on-collection-errors", *extra,
            "-c", str(registry.ROOT / "pyproject.toml"), "--rootdir", "/", *files]


def child_env(workspace: Path, target_name: str) -> dict:
    # PYTHONPATH: the child imports this checkout's grader (read-only under bubblewrap) even when another
    # copy is installed; the workspace is the throw-away copy
    return {target.WORKSPACE_VAR: str(workspace), target.TARGET_VAR: target_name, target.STAND_IN_VAR: "",
            "PYTHONPATH": str(registry.ROOT)}


TEMP_PREFIX = "gradschool-"


@contextlib.contextmanager
def isolated(ex_or_phase, workspace: Path, also: tuple[registry.Exercise, ...] = (), references: bool = True):
    """A throw-away copy of the phase folder (and of the folders of the exercises `also` names): whatever
    the learner's code writes or deletes while it runs happens there, never in the learner's own files or
    progress. Yields (copy, tmp); `tmp` is the only folder the child may write, and holds a copy of the
    reference solutions (`references`) for a child that cannot see the repository's. Copies left by a
    grader that was killed are removed first."""
    phase_dirs = dict.fromkeys([getattr(ex_or_phase, "phase", ex_or_phase).dir, *(e.phase.dir for e in also)])
    _remove_orphaned_copies()
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        copy = Path(tmp) / "workspace"
        for phase_dir in phase_dirs:
            shutil.copytree(workspace / "phases" / phase_dir, copy / "phases" / phase_dir,
                            ignore=shutil.ignore_patterns("__pycache__"), symlinks=True)
        if references:
            shutil.copytree(registry.ROOT / "solutions", Path(tmp) / "reference", ignore=shutil.ignore_patterns("__pycache__"))
        yield copy, Path(tmp)


def _remove_orphaned_copies() -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = folder.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and Path("/proc/self").exists():
            shutil.rmtree(folder, ignore_errors=True)


def _sandboxed(args: list[str], copy: Path, tmp: Path, target_name: str, timeout_s: float, memory_mb: int,
               echo: bool = False, launch=sandbox.run, threads: int = 1,
               cpu_budget_s: float | None = None, grace_s: float = 15.0,
               extra_env: dict | None = None) -> tuple[sandbox.Result, list[dict] | str]:
    """Run `python args` on the copy, in the sandbox; the messages it sent, or why they cannot be trusted.
    `threads`: BLAS/OpenMP/tinygrad threads of the child (see grader/childenv.py)."""
    tests = childenv.tests() if args[:2] == ["-m", "pytest"] else {}
    references = {target.REFERENCE_VAR: str(tmp / "reference")} if (tmp / "reference").is_dir() else {}
    env = {**child_env(copy, target_name), **references, **childenv.threads(threads),
           **tests, **programs.child_env(trusted=target_name == "reference"), **(extra_env or {})}
    writable = [tmp]
    if launch is sandbox.run and sandbox.isolation_problem() is None:  # another launcher runs trusted code unconfined
        env.update(_private_caches(tmp, target_name, writable, Path(tests.get("CACHEDB") or childenv.kernel_cache())))
    with channel.Listener() as link:
        budget = {"cpu_budget_s": cpu_budget_s, "grace_s": grace_s} if cpu_budget_s is not None else {}
        run = launch(args, timeout_s=timeout_s, memory_mb=memory_mb, env={**env, **link.env}, cwd=tmp, echo=echo,
                     writable=writable, hide=[registry.ROOT / "solutions"], pass_fds=link.fds, **budget)
        try:
            return run, link.messages()
        except channel.Tampered as e:
            return run, f"its report cannot be trusted ({e})"


def _private_caches(tmp: Path, target_name: str, writable: list, tinygrad_db: Path) -> dict:
    """Caches for a child whose home is read-only. tinygrad's compile cache `tinygrad_db` (test children
    have their own, see childenv.tests): a run of the reference (no learner code) writes it; a learner run
    gets a private copy, so nothing it stores there can reach a later run. tinygrad's program store
    (grader/programs.py): the reference's runs write it, a learner's only read it. matplotlib's font
    list: a private copy (else it is rebuilt, seconds, every run)."""
    env = {"MPLCONFIGDIR": str(tmp / "matplotlib"), "CACHEDB": str(tinygrad_db)}
    with contextlib.suppress(OSError):
        shutil.copytree(Path(os.environ.get("MPLCONFIGDIR") or childenv.cache_home() / "matplotlib"), tmp / "matplotlib")
    if target_name == "reference":
        for folder in filter(None, [tinygrad_db.parent, programs.store_dir()]):
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True)
                writable.append(folder)
        return env
    env["CACHEDB"] = str(tmp / "tinygrad-cache.db")
    if tinygrad_db.is_file():
        import sqlite3
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(f"file:{tinygrad_db}?mode=ro", uri=True)) as src, \
                contextlib.closing(sqlite3.connect(env["CACHEDB"])) as dest:
            src.backup(dest)
    return env


# ---------------------------------------------------------------- which tests an exercise has

IDS_FILE = registry.ROOT / ".grader" / "test-ids.json"
_ids_memory: dict[str, dict] = {}
_ids_lock = threading.Lock()


def _phase_key(phase: registry.Phase, tests: dict[str, bytes]) -> str:
    digest = hashlib.sha256(sys.version.encode())
    for name, data in sorted(tests.items()):
        digest.update(b"visible/" + name.encode() + b"\0" + data)
    for path in sorted([*(registry.ROOT / "grader" / "hidden" / phase.dir).glob("*.py"),
                        *(registry.ROOT / "solutions" / phase.dir).glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def expected_tests(ex: registry.Exercise, tests: dict[str, bytes] | None = None) -> list[tuple[str, str]]:
    """(kind, test name) of every test the exercise has, collected with the reference from the shipped
    visible tests (`tests`, default `pristine.visible_tests`) and the hidden checks, never from the
    learner's copy; cached by the files' content. Raises RuntimeError when they cannot be had."""
    tests = pristine.visible_tests(ex.phase) if tests is None else tests
    key = _phase_key(ex.phase, tests)
    with _ids_lock:   # `grader mutants` grades several exercises of a phase at once, in threads
        if key not in _ids_memory:
            try:
                stored = json.loads(IDS_FILE.read_text())
                ids = stored[key] if isinstance(stored, dict) and isinstance(stored.get(key), dict) else None
            except (OSError, ValueError):
                ids = None
            if ids is None:
                ids = _collect(ex.phase, tests)
                if all(e.id in ids for e in ex.phase.exercises):
                    _store_ids(key, ids)  # a partial list (a broken environment) is never kept
            _ids_memory[key] = ids
    return [tuple(t) for t in _ids_memory[key].get(ex.id, [])]


def _collect(phase: registry.Phase, tests: dict[str, bytes]) -> dict[str, list]:
    with isolated(phase, registry.ROOT) as (copy, tmp):
        pristine.write(tests, copy / "phases" / phase.dir / "tests")
        files = [str(copy / "phases" / phase.dir / "tests"), str(registry.ROOT / "grader" / "hidden" / phase.dir)]
        run, messages = _sandboxed(pytest_args(files, "--collect-only"), copy, tmp, "reference",
                                   timeout_s=600, memory_mb=max(e.memory_mb for e in phase.exercises))
    collected = [m for m in messages if m["kind"] == "collected"] if isinstance(messages, list) else []
    if not collected:
        raise RuntimeError(f"could not list the tests of phase {phase.dir}" + _last_line(run.output))
    found: dict[str, list] = {}
    for t in collected[0]["tests"]:
        found.setdefault(t["exercise"], []).append([t["file_kind"], t["test"]])
    return found


def _store_ids(key: str, ids: dict) -> None:
    try:
        stored = json.loads(IDS_FILE.read_text())
        stored = stored if isinstance(stored, dict) else {}
    except (OSError, ValueError):
        stored = {}
    stored[key] = ids
    with contextlib.suppress(OSError):
        files.write_atomic(IDS_FILE, json.dumps(stored))


# ---------------------------------------------------------------- grading the tests


TEST_WALL_FACTOR = 3  # a test run may take this many times its CPU limit in wall time


def run_tests(ex: registry.Exercise, workspace: Path, kinds=("visible", "hidden"), target_name: str = "learner",
              timeout_s: float | None = None, launch=sandbox.run, current_tests: bool = False,
              stop_at_failure: bool = False, costs: Path | None = None, only: Path | None = None) -> ExerciseResult:
    """Grade one exercise's tests. `timeout_s` overrides the registry's limit; `launch` starts the child
    (sandbox.run's signature; the mutant bank passes `worker.Worker().run`). The visible tests are the
    shipped ones (see grader/pristine.py), never the learner's edits; `current_tests`: the repository's
    files as they are now (an author's work in progress: the mutant bank); `stop_at_failure`: stop at the
    first failing test, whose failure is then the verdict (the mutant bank: a variant is caught or not);
    `costs`: a JSON file of each test's seconds in an earlier run, to run each file's cheapest tests first;
    `only`: a JSON file listing the tests to run, by `pytest_plugin.cost_key` (the mutant bank: the tests
    that can see a variant's edit, see grader/impact.py); the others are neither run nor expected.

    The score is what the grader observed: every test the exercise has (see `expected_tests`) must report
    a pass through the channel; a test that did not report counts as failed, a skip too (unless the registry
    lists it as skippable), and a run that ended before all its tests ran scores nothing."""
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
    try:
        tests = pristine.visible_tests(ex.phase, current=current_tests)
        expected = [t for t in expected_tests(ex, tests) if t[0] in kinds]
        if only is not None:
            wanted = set(json.loads(only.read_text()))
            expected = [t for t in expected if f"{t[0]}::{t[1]}" in wanted]
    except RuntimeError as e:
        result.problem = str(e)
        return result
    # a launcher other than the sandbox (the mutant bank's worker) hides nothing: the child reads solutions/
    with isolated(ex, workspace, references=launch is sandbox.run) as (copy, tmp):
        pristine.write(tests, ex.visible_tests(copy).parent)
        files = [str(ex.visible_tests(copy))] if "visible" in kinds else []
        files += [str(ex.hidden_tests)] if "hidden" in kinds and ex.hidden_tests.exists() else []
        limit = timeout_s or ex.timeout_s
        # the limit is CPU seconds of the child's tree (load-proof); wall time only caps hangs (sleeps)
        cpu = {"cpu_budget_s": limit, "grace_s": 1.0} if launch is sandbox.run else {}
        extra = [*(["-x", "--tb=native"] if stop_at_failure else []), *([f"--cheapest-first={costs}"] if costs else []),
                 *([f"--only={only}"] if only else [])]
        run, messages = _sandboxed(pytest_args(files, *extra), copy, tmp,
                                   target_name, limit * TEST_WALL_FACTOR, ex.memory_mb, launch=launch, **cpu)
    result.seconds = run.seconds
    result.tests, result.problem = _score(ex, expected, run, messages, stopped_at_failure=stop_at_failure)
    return result


RANK = {"failed": 0, "skipped": 1, "passed": 2}


def _score(ex: registry.Exercise, expected, run: sandbox.Result, messages,
           stopped_at_failure: bool = False) -> tuple[list[dict], str | None]:
    if not expected:
        return [], "no tests are registered for this exercise"
    if isinstance(messages, str):
        return [], "the test run " + messages
    reported, broken_files, done, altered, violations = {}, {}, None, [], []
    for m in messages:
        if m["kind"] == "done":
            done, altered, violations = m.get("status"), m.get("altered") or [], m.get("violations") or []
        if m["kind"] != "test" or m.get("exercise") != ex.id:
            continue
        key = (m.get("file_kind"), m.get("test"))
        if key[1] == channel.COLLECT_ERROR:
            broken_files[key[0]] = m
        elif key not in reported or RANK.get(m.get("outcome"), 0) < RANK.get(reported[key].get("outcome"), 0):
            reported[key] = m   # reported twice (a teardown error after the call): the worse outcome counts
    tests, missing = [], []
    for kind, name in expected:
        m = reported.get((kind, name)) or broken_files.get(kind)
        if m is None:
            missing.append(name)
            continue
        outcome, message = m.get("outcome"), str(m.get("message", ""))
        if outcome == "skipped" and not ex.skippable(name):
            outcome, message = "failed", f"skipped ({message}); a skipped test counts as failed"
        if outcome not in ("passed", "failed", "skipped"):
            outcome = "failed"
        tests.append({"kind": kind, "test": name, "outcome": outcome, "message": message})
    if run.crash:
        return tests, f"the test run {run.crash}" + _last_line(run.output)
    if done is None:
        return tests, (f"the test run ended early with exit code {run.returncode} (sys.exit or os._exit in your "
                       "code?)" + _last_line(run.output))
    if altered:
        return tests, integrity.message([str(name) for name in altered])
    if violations:
        return tests, f"policy violation: {violations[0]}"
    if done not in (0, 1):
        return tests, f"the test run was interrupted (exit status {done}: KeyboardInterrupt or pytest.exit in your code?)"
    if missing and not (stopped_at_failure and any(t["outcome"] == "failed" for t in tests)):
        return tests, f"{len(missing)} of the exercise's {len(expected)} tests did not run (first: {missing[0]})"
    return tests, None


def run_phase(phase: registry.Phase, workspace: Path, echo: bool = True, exercises=None) -> tuple[sandbox.Result, list[dict]]:
    """The learner's own loop (`grader phase`, `make phaseN`): the visible tests as they are in the
    learner's folder (of `exercises`, default all), run on a throw-away copy. Returns the run and each
    test's outcome."""
    exercises = exercises or phase.exercises
    with isolated(phase, workspace) as (copy, tmp):
        files = [str(ex.visible_tests(copy)) for ex in exercises]
        run, messages = _sandboxed(pytest_args(files, "--tb=short"), copy, tmp, "learner",
                                   timeout_s=sum(ex.timeout_s for ex in exercises),
                                   memory_mb=max(ex.memory_mb for ex in exercises), echo=echo)
    tests = [m for m in messages if m["kind"] == "test"] if isinstance(messages, list) else []
    return run, tests


USES_TINYGRAD = re.compile(r"^\s*(from|import)\s+tinygrad\b", re.M)


@contextlib.contextmanager
def reference_programs(phase: registry.Phase, exercises, kinds=("visible",), on_wait=None):
    """While the learner's tests run (the body): the same tests (`kinds`: the shipped visible tests, the hidden
    checks) of `exercises` against the reference, in a trusted child beside them, for each exercise that
    uses tinygrad and has not had that run on this machine (for these tests, this reference and this
    tinygrad). A child with learner code only reads tinygrad's program store (grader/programs.py), so
    without this the learner's every run generated all of its kernels again; after it, the kernels the
    learner's code shares with the reference, and the tests' own, are loaded. The two children take two
    cores; `on_wait()` is called when the learner's run ends first."""
    store = programs.store_dir()
    tinygrad = [ex for ex in exercises if USES_TINYGRAD.search(ex.solution_path.read_text())]
    worker = None
    if store is not None and tinygrad:
        tests = pristine.visible_tests(phase)
        phase_key = _phase_key(phase, tests)
        markers = {ex: _prepared_marker(store, ex, kinds, phase_key) for ex in tinygrad}
        todo = {ex: marker for ex, marker in markers.items() if not marker.exists()}
        if todo:
            worker = threading.Thread(target=_prepare, args=(phase, tests, todo, kinds), daemon=True)
            worker.start()
    yield   # on Ctrl-C nothing waits: the trusted child ends with this process, and runs again next time
    if worker is not None and worker.is_alive():
        if on_wait:
            on_wait()
        worker.join()


def _prepared_marker(store: Path, ex: registry.Exercise, kinds=("visible",), phase_key: str | None = None) -> Path:
    """The file that says the reference's `kinds` of tests of `ex` ran with this store (`phase_key`: the
    phase's `_phase_key`, when the caller has it)."""
    settings = {k: v for k, v in childenv.tests().items() if k != "CACHEDB"}
    digest = hashlib.sha256(f"{ex.id}\0{','.join(kinds)}\0{json.dumps(settings, sort_keys=True)}\0"
                            f"{programs.fingerprint(settings['CC'])}\0".encode())
    digest.update((phase_key or _phase_key(ex.phase, pristine.visible_tests(ex.phase))).encode())
    return store / "prepared" / digest.hexdigest()


def _prepare(phase: registry.Phase, tests: dict[str, bytes], markers: dict, kinds) -> None:
    """Run the reference's tests of the exercises in `markers` (exercise -> marker file); mark those that ran."""
    exercises = list(markers)
    try:
        with isolated(phase, registry.ROOT) as (copy, tmp):
            pristine.write(tests, copy / "phases" / phase.dir / "tests")
            paths = [*(ex.visible_tests(copy) for ex in exercises if "visible" in kinds),
                     *(ex.hidden_tests for ex in exercises if "hidden" in kinds and ex.hidden_tests.exists())]
            limit = sum(ex.timeout_s for ex in exercises)
            run, _ = _sandboxed(pytest_args([str(p) for p in paths]), copy, tmp, "reference",
                                limit * TEST_WALL_FACTOR, max(ex.memory_mb for ex in exercises), cpu_budget_s=limit)
        if run.returncode in (0, 1) and not (run.timed_out or run.budget_stop):
            for marker in markers.values():
                files.write_atomic(marker, "")
    except Exception:  # noqa: BLE001 - the store is a speed-up: the learner's run never depends on it
        pass


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return f"; last output: {lines[-1][:200]}" if lines else ""


def learner_fingerprint(ex: registry.Exercise, workspace: Path, stand_ins: tuple[str, ...] = ()) -> str:
    """Hash of the learner's files a milestone may use (every module of the phase up to this exercise, and
    the earlier exercises it trains with) and of which references stand in for them."""
    digest = hashlib.sha256(",".join(stand_ins).encode())
    phase_so_far = ex.phase.exercises[:ex.phase.exercises.index(ex) + 1]
    for other in (*phase_so_far, *ex.milestone_uses()[1]):
        path = other.stub_path(workspace)
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def milestone_dir(ex: registry.Exercise, workspace: Path, tier: str) -> Path:
    return workspace / ".grader" / "milestones" / f"{ex.id}-{tier}"


WALL_FACTOR = 5      # a CPU-budgeted milestone may take this many times its budget in wall time (load, not hangs)
STOPPED_EXIT = 3     # the milestone child's exit status after it saved a stopped run
DATA_EXIT = 4        # ... and after it found its data unavailable (the fix is in DATA_ERROR_FILE)
DATA_ERROR_FILE = "data_error.txt"


def run_milestone(ex: registry.Exercise, workspace: Path, tier: str = "smoke", target_name: str = "learner",
                  echo: bool = True, cpu_budget_s: float | None = None,
                  stand_ins: tuple[str, ...] = ()) -> MilestoneResult:
    """Train the milestone in a child, stopped at its CPU budget (the registry's, or `cpu_budget_s`).
    `stand_ins`: earlier exercises it trains with whose reference replaces the learner's module."""
    from grader.milestones import STATUS_FILE, describe_stop

    ms = ex.milestone
    budget = cpu_budget_s or getattr(ms, tier).cpu_budget_s
    out_dir = milestone_dir(ex, workspace, tier)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_file = out_dir / "metrics.json"
    for stale in (metrics_file, out_dir / STATUS_FILE, out_dir / DATA_ERROR_FILE):
        stale.unlink(missing_ok=True)
    data_problem = ensure_data(ms.dataset, echo, list(getattr(ms, tier).files) or None)
    if data_problem:
        return MilestoneResult(tier=tier, passed=False, message=data_problem, out_dir=str(out_dir))
    with isolated(ex, workspace, also=ex.milestone_uses()[1]) as (copy, tmp):
        scratch = tmp / "out"
        run, messages = _sandboxed(["-m", "grader.runner", ex.id, tier, str(scratch)], copy, tmp, target_name,
                                   timeout_s=budget * WALL_FACTOR, memory_mb=MILESTONE_MEMORY_MB, echo=echo,
                                   threads=childenv.threads_per_child(), cpu_budget_s=budget,
                                   extra_env={target.STAND_IN_VAR: ",".join(stand_ins)})
        _keep_outputs(scratch, out_dir)
    metrics_file.unlink(missing_ok=True)  # only the grader writes it, from what the channel carried
    result = MilestoneResult(tier=tier, passed=False, seconds=round(run.seconds, 1), cpu_s=round(run.cpu_s, 1),
                             out_dir=str(out_dir))
    if run.budget_stop:
        status = _read_json(out_dir / STATUS_FILE)
        limit = (f"its budget of {budget:g} CPU s" if run.budget_stop == "cpu"
                 else f"{budget * WALL_FACTOR:g} s of wall time (5x its CPU budget: a hang, or a very busy machine?)")
        so_far = describe_stop(status) if status else "stopped before its first epoch ended"
        result.metrics = {k: v for k, v in status.get("so_far", {}).items() if isinstance(v, (int, float))}
        result.message = f"{so_far}, at {limit}; `grader milestone {ex.id} --budget S` gives it S CPU seconds"
        return result
    if run.returncode == DATA_EXIT and (out_dir / DATA_ERROR_FILE).exists():
        result.message = (out_dir / DATA_ERROR_FILE).read_text()
        return result
    if run.timed_out:
        result.message = f"over the {tier} budget of {budget} s"
        return result
    reported = [m for m in messages if m["kind"] == "metrics"] if isinstance(messages, list) else []
    if isinstance(messages, str) or len(reported) != 1 or not isinstance(reported[0].get("values"), dict):
        why = messages if isinstance(messages, str) else run.crash or f"failed (exit code {run.returncode})"
        result.message = f"the milestone run {why}" + _last_line(run.output)
        return result
    sent = reported[0]
    if sent.get("altered") or sent.get("violations"):
        result.message = (integrity.message([str(name) for name in sent["altered"]]) if sent.get("altered")
                          else f"policy violation: {sent['violations'][0]}")
        return result
    result.metrics = {k: float(v) for k, v in sent["values"].items() if isinstance(v, (int, float)) and isinstance(k, str)}
    metrics_file.write_text(json.dumps(result.metrics, indent=1))
    value = result.metrics.get(ms.metric)
    if not isinstance(value, (int, float)):
        result.message = f"the milestone returned no `{ms.metric}`"
        return result
    target_value = getattr(ms, tier).target
    result.passed = ms.passed(value, tier)
    relation = ">=" if ms.goal == "max" else "<="
    result.message = f"{ms.metric} = {value:.4g} (needs {relation} {target_value}) in {result.cpu_s:g} CPU s"
    if stand_ins:
        result.message += f", with the reference {', '.join(stand_ins)}"
    return result


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _milestone_child(ex_id: str, tier: str, out_dir: str) -> int:
    """Entry point of the milestone child process: run the registry's entry, send its metrics to the grader.

    SIGTERM (the grader's budget stop) raises `Stopped` in the training loop; the run's curves so far
    and status.json are saved before the child exits."""
    import importlib
    import signal

    from grader import milestones
    from grader.data import DataUnavailable

    if channel.connect():   # before any learner module is imported
        sandbox.die_with_parent()
    programs.install()
    tiling.install()
    target.freeze()
    target.preload_references()

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise milestones.Stopped()

    signal.signal(signal.SIGTERM, stop)
    ex = registry.exercise(ex_id)
    if tier == "smoke":
        milestones.GATE = lambda value: ex.milestone.passed(value, tier)
    module_name, function = ex.milestone.entry.split(":")
    try:
        run = getattr(importlib.import_module(module_name), function)
        integrity.watch(*(name for name in list(sys.modules) if name.startswith("grader.")))
        integrity.snapshot()   # the milestone's code and its helpers, before it imports the learner's module
        altered = integrity.tampered   # held here: replacing it in grader.integrity changes nothing
        metrics = run(tier=tier, out_dir=Path(out_dir))
    except milestones.Stopped:
        if milestones.CURRENT is not None:
            milestones.CURRENT.save_partial()
        return STOPPED_EXIT
    except DataUnavailable as e:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / DATA_ERROR_FILE).write_text(fix_first(str(e)))
        return DATA_EXIT
    channel.send("metrics", values={k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
                 altered=altered(), violations=policy.violations[:3])
    return 0


def ensure_data(name: str, echo: bool = False, files: list[str] | None = None) -> str | None:
    """Fetch and verify the milestone's data (all its files, or those named) here (the child has no
    network and a read-only cache). None when it is ready (fetched quietly if need be), else what to
    do, the fix first."""
    import io
    import warnings

    from grader.data import DataUnavailable, store

    if name not in store.manifest():
        return None  # bundled with scikit-learn, or "generated" by the milestone itself
    try:
        store.require(name, files, download=False)
        return None
    except DataUnavailable:
        pass
    if echo:
        print(f"Fetching the {name} data set (first use only)...", flush=True)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.require(name, files)
        return None
    except DataUnavailable as e:
        return fix_first(str(e))
    except Exception:  # the child then reports what is missing, in the data's own words
        return None


def fix_first(message: str) -> str:
    """A data error's message with its "To fix" list moved to the front."""
    head, sep, fix = message.partition("To fix, do one of:")
    return f"{sep}{fix.rstrip()}\nDetails:\n{head.rstrip()}" if sep else message


def _keep_outputs(scratch: Path, out_dir: Path, limit: int = 50 * 1024 ** 2) -> None:
    """Copy the milestone's plain files (curves, logs) out of the sandbox; never metrics.json, links or huge files."""
    for path in sorted(scratch.rglob("*")) if scratch.is_dir() else ():
        if path.is_file() and not path.is_symlink() and path.name != "metrics.json" and path.stat().st_size <= limit:
            dest = out_dir / path.relative_to(scratch)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


if __name__ == "__main__":
    sys.exit(_milestone_child(*sys.argv[1:4]))
