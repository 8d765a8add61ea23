"""End to end: the `grader` command on a temporary learner workspace."""
import io
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from grader import cli, feedback, progress, registry, runner
from grader.mutants import variant as solved_source

FIRST_FOUR = registry.exercises()[:4]


def grader(ws, *args, timeout=600, columns=200):
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("GRADSCHOOL_TARGET", None)
    proc = subprocess.run([sys.executable, "-m", "grader", "--workspace", str(ws), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=registry.ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def scores(ws):
    return json.loads((ws / ".grader" / "progress.json").read_text())["exercises"]


def test_check_scores_each_exercise_on_its_own(fresh_workspace):
    """One solved, one looping, one exiting, one with a syntax error: exactly the first one earns points."""
    solved, looping, exiting, broken = FIRST_FOUR
    solved.stub_path(fresh_workspace).write_text(solved_source(solved))
    looping.stub_path(fresh_workspace).write_text("while True:\n    pass\n")
    exiting.stub_path(fresh_workspace).write_text("import sys\nsys.exit(0)\n")
    broken.stub_path(fresh_workspace).write_text(solved_source(broken).replace("def ", "def (", 1))
    code, out = grader(fresh_workspace, "check", *[e.id for e in FIRST_FOUR], "--no-milestones", "--timeout", "8")
    assert code == 1, out
    assert "Traceback" not in out, out
    s = scores(fresh_workspace)
    assert s[solved.id]["passed"] and s[solved.id]["points"] == solved.points, out
    for ex in (looping, exiting, broken):
        assert not s[ex.id]["passed"] and s[ex.id]["points"] == 0, (ex.id, s[ex.id])
    assert "timed out" in s[looping.id]["problem"]
    flat = " ".join(out.split())
    assert "raised SystemExit while being imported" in flat, out
    assert "SyntaxError" in flat or "invalid syntax" in flat, out


def test_fresh_workspace_scoreboard_is_zero_without_traceback(fresh_workspace):
    code, out = grader(fresh_workspace, "check", "1", "--no-milestones")
    assert code == 1 and "Traceback" not in out, out
    assert "Total: 0 /" in out and "not started" in out, out


def test_hints_advance_one_tier_at_a_time(fresh_workspace):
    ex = FIRST_FOUR[0]
    shown = [grader(fresh_workspace, "hint", ex.id)[1] for _ in range(len(ex.hints) + 1)]
    for tier, text in enumerate(shown[: len(ex.hints)]):
        assert f"Hint {tier + 1}/{len(ex.hints)}" in text and ex.hints[tier][:30] in " ".join(text.split())
    assert "last hint" not in shown[0] and "That was the last hint" in shown[len(ex.hints) - 1]
    assert f"Hint {len(ex.hints)}/{len(ex.hints)}" in shown[-1] and "shown again" in shown[-1], shown[-1]
    code, out = grader(fresh_workspace, "hint", ex.id, "--tier", "1")
    assert code == 0 and ex.hints[0][:30] in " ".join(out.split()) and ex.hints[1][:30] not in " ".join(out.split())
    code, out = grader(fresh_workspace, "hint", ex.id, "--all")
    assert all(f"Hint {t}/{len(ex.hints)}" in out for t in range(1, len(ex.hints) + 1)), out


def test_solution_is_locked_until_the_exercise_passes(fresh_workspace):
    ex = FIRST_FOUR[0]
    code, out = grader(fresh_workspace, "solution", ex.id)
    assert code == 1 and "has not passed" in out
    ex.stub_path(fresh_workspace).write_text(solved_source(ex))
    assert grader(fresh_workspace, "check", ex.id, "--no-milestones")[0] in (0, 1)
    code, out = grader(fresh_workspace, "solution", ex.id)
    assert code == 0 and "reference" in out, out


def test_reset_keeps_a_backup(fresh_workspace):
    ex = FIRST_FOUR[0]
    ex.stub_path(fresh_workspace).write_text("# my attempt\n")
    code, out = grader(fresh_workspace, "reset", ex.id)
    assert code == 0 and "kept in" in out
    backups = list((fresh_workspace / ".grader" / "backups").rglob("*"))
    assert any(b.is_file() and b.read_text() == "# my attempt\n" for b in backups)
    assert "NotImplementedError" in ex.stub_path(fresh_workspace).read_text()


def test_corrupt_progress_is_kept_and_rebuilt(fresh_workspace):
    path = fresh_workspace / ".grader" / "progress.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text("{ this is not json")
    code, out = grader(fresh_workspace, "status")
    assert code == 0 and "could not be read" in out, out
    kept = list(path.parent.glob("progress.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{ this is not json"


def test_progress_writes_are_atomic(tmp_path):
    p = progress.Progress(tmp_path)
    p.record("1.1", passed=True, points=3)
    p.save()
    assert not list((tmp_path / ".grader").glob(".progress.json.*")), "temporary file left behind"
    assert progress.Progress(tmp_path).passed("1.1")


@pytest.mark.parametrize("args, expected", [
    (["list"], "Phase 01"), (["info", "1.2"], "hidden checks"), (["check", "9.9"], "no exercise"), (["data", "list"], "mnist"),
])
def test_commands_answer(fresh_workspace, args, expected):
    code, out = grader(fresh_workspace, *args)
    assert expected in out and "Traceback" not in out, out


def test_renamed_function_gets_a_friendly_message(fresh_workspace):
    ex = registry.exercise("1.2")
    ex.stub_path(fresh_workspace).write_text(solved_source(ex).replace("def derivative(", "def derivate("))
    result = runner.run_tests(ex, fresh_workspace, kinds=("visible",))
    messages = " ".join(t["message"] for t in result.failures())
    assert "phases/01_math/calculus.py has no `derivative`" in messages and "grader reset 1.2" in messages, messages


# ---------------------------------------------------------------- a fast, quiet scoreboard


def in_process(ws, *args, columns=80):
    """Run the grader in this process with a recording console `columns` wide; returns (code, text)."""
    from rich.console import Console
    console = Console(width=columns, record=True, force_terminal=False, highlight=False, file=io.StringIO())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "console", console)
        code = cli.main(["--workspace", str(ws), *args])
    return code, console.export_text()


def test_untouched_stubs_are_not_started_without_a_child(fresh_workspace, monkeypatch):
    def no_child(*args, **kwargs):
        raise AssertionError("an untouched stub started a child process")
    monkeypatch.setattr(runner, "run_tests", no_child)
    monkeypatch.setattr(runner, "run_milestone", no_child)
    code, out = in_process(fresh_workspace, "check")
    assert code == 1 and "Total: 0 /" in out, out
    assert "not started: 1.1, 1.2, 1.3, 1.4" in out and "NotImplementedError" not in out, out
    code, out = in_process(fresh_workspace, "status")
    assert out.count("not started") == len(registry.exercises()) and "failing" not in out, out


def test_an_unchanged_result_is_reused(fresh_workspace, monkeypatch):
    ex = registry.exercise("1.3")
    ex.stub_path(fresh_workspace).write_text(solved_source(ex))
    code, first = in_process(fresh_workspace, "check", ex.id, "--no-milestones")
    assert code == 0 and f"{ex.points}/{ex.total_points}" in first, first
    calls = []
    real = runner.run_tests
    monkeypatch.setattr(runner, "run_tests", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert in_process(fresh_workspace, "check", ex.id, "--no-milestones") == (code, first)
    assert not calls, "the result of unchanged inputs was graded again"
    ex.stub_path(fresh_workspace).write_text(solved_source(ex) + "\n# edited\n")
    in_process(fresh_workspace, "check", ex.id, "--no-milestones")
    assert len(calls) == 1, "an edited module must be graded again"


def test_failure_lines_interleave_hidden_and_drop_pytest_advice():
    ex = registry.exercise("1.1")
    visible = [{"kind": "visible", "test": f"test_v{i}", "outcome": "failed",
                "message": f"assert {i} == 9\nUse -v to get more diff"} for i in range(4)]
    hidden = [{"kind": "hidden", "test": f"test_h[{i}]", "outcome": "failed", "message": "your result looks transposed"}
              for i in range(2)]
    todo = [{"kind": "visible", "test": "test_det", "outcome": "failed",
             "message": 'NotImplementedError: Exercise 1.1: implement Matrix.det (see its docstring)'}]
    result = runner.ExerciseResult(ex, tests=visible + hidden + todo)
    short = feedback.failure_lines(result, 3)
    assert len(short) == 3 and "[hidden] 2 tests (test_h[0], ...): your result looks transposed" in short, short
    assert "-v" in short[-1] and "more" in short[-1]
    every = feedback.failure_lines(result, None)
    assert len(every) == 6 and not any("Use -v" in line for line in every), every
    assert "[visible] test_v3: assert 3 == 9" in every and every[-1] == "not implemented yet: Matrix.det (1 test)"
    result.problem = "the test run timed out"
    assert feedback.failure_lines(result, None)[0] == "the test run timed out"


def test_a_forbidden_import_blocks_only_its_exercise(fresh_workspace):
    bad, good = registry.exercise("1.2"), registry.exercise("1.3")
    bad.stub_path(fresh_workspace).write_text("import scipy\n" + solved_source(bad))
    good.stub_path(fresh_workspace).write_text(solved_source(good))
    code, out = grader(fresh_workspace, "phase", "1", columns=80)
    flat = " ".join(out.split())
    assert code == 1 and "Traceback" not in out and "valid Python names" not in out, out
    assert "may not import `scipy`" in flat, out
    rows = {line.split()[0]: line for line in out.splitlines() if ".py " in line}
    assert "blocked" in rows["1.2"] and "green" in rows["1.3"] and "not started" in rows["1.1"], out


def test_milestone_names_the_exercises_to_finish_first(fresh_workspace, monkeypatch):
    monkeypatch.setattr(runner, "run_milestone", lambda *a, **k: pytest.fail("trained before 3.5 and 3.6 pass"))
    code, out = in_process(fresh_workspace, "milestone", "3.6")
    flat = " ".join(out.split())
    assert code == 1 and "Finish Exercises 3.5 (not started), 3.6 (not started) first" in flat, out


BORROWING = next(e for e in registry.exercises() if e.milestone and e.milestone_uses()[1])  # 6.3 trains 4.1's MLP


@pytest.mark.parametrize("earlier_passes", [False, True])
def test_an_earlier_phases_exercise_is_replaced_by_the_reference_until_it_passes(fresh_workspace, monkeypatch,
                                                                                  earlier_passes):
    earlier = BORROWING.milestone_uses()[1]
    passing = {BORROWING.id, *(e.id for e in earlier if earlier_passes)}
    monkeypatch.setattr(cli.cache, "grade", lambda ex, *a, **k: runner.ExerciseResult(
        ex, tests=[{"kind": "visible", "test": "t", "outcome": "passed" if ex.id in passing else "failed"}]))
    calls = []
    monkeypatch.setattr(runner, "run_milestone", lambda *a, **k: calls.append(k) or runner.MilestoneResult(
        "smoke", True, out_dir=str(fresh_workspace)))
    code, out = in_process(fresh_workspace, "milestone", BORROWING.id)
    flat = " ".join(out.split())
    assert code == 0 and len(calls) == 1, out
    if earlier_passes:
        assert calls[0]["stand_ins"] == () and "reference" not in flat, out
    else:
        assert calls[0]["stand_ins"] == tuple(e.id for e in earlier), calls
        for e in earlier:
            assert f"trains with the reference of Exercise {e.id}: yours does not pass yet" in flat, out


def test_a_milestone_copy_holds_the_folders_of_the_earlier_exercises_it_uses(fresh_workspace):
    with runner.isolated(BORROWING, fresh_workspace, also=BORROWING.milestone_uses()[1]) as (copy, _):
        for ex in (BORROWING, *BORROWING.milestone_uses()[1]):
            assert ex.stub_path(copy).read_text() == ex.stub_path(fresh_workspace).read_text()


def test_a_stand_in_replaces_only_the_exercise_the_grader_names(fresh_workspace):
    show = "from grader import target; target.freeze(); print(target.exercise('1.1')); print(target.exercise('1.2'))"
    env = {**os.environ, "GRADSCHOOL_TARGET": "learner", "GRADSCHOOL_STAND_INS": "1.1",
           "GRADSCHOOL_WORKSPACE": str(fresh_workspace)}
    out = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, env=env, cwd=registry.ROOT,
                         check=True).stdout.splitlines()
    assert out == ["<exercise 1.1 module from solutions/01_math/matrix.py>",
                   "<exercise 1.2 module from phases/01_math/calculus.py>"], out


def test_a_stand_in_from_the_learners_environment_does_not_reach_the_tests(fresh_workspace, monkeypatch):
    monkeypatch.setenv("GRADSCHOOL_STAND_INS", "1.2")
    ex = registry.exercise("1.2")
    result = runner.run_tests(ex, fresh_workspace)
    assert not result.passed and result.count("visible")[0] == 0, result.tests[:2]


# ---------------------------------------------------------------- 80 columns


def assert_fits(out: str, width: int = 80):
    assert "…" not in out, f"truncated at {width} columns:\n{out}"
    too_long = [line for line in out.splitlines() if len(line.rstrip()) > width]
    assert not too_long, too_long


def test_scoreboard_with_values_fits_80_columns():
    ex, ms = registry.exercise("1.1"), registry.exercise("3.6")
    rows = [runner.ExerciseResult(ex, tests=[{"kind": k, "test": "t", "outcome": o, "message": ""}
                                             for k, o in [("visible", "passed")] * 12 + [("hidden", "failed")] * 5]),
            runner.ExerciseResult(ms, tests=[{"kind": "hidden", "test": "t", "outcome": "passed", "message": ""}],
                                  milestone=runner.MilestoneResult("smoke", True, {"test_accuracy": 0.97881})),
            runner.ExerciseResult(registry.exercise("1.4"), not_started=True)]
    from rich.console import Console
    console = Console(width=80, record=True, file=io.StringIO())
    for phase in {r.ex.phase for r in rows}:
        console.print(cli.scoreboard_table(phase, [r for r in rows if r.ex.phase is phase]))
    out = console.export_text()
    assert_fits(out)
    assert "12/12" in out and "0/5" in out and "pass 0.979" in out and "30/30" in out, out


@pytest.mark.parametrize("args", [["check", "--no-milestones"], ["status"], ["list"], ["info", "3.6"],
                                  ["hint", "1.1", "--all"], ["solution", "1.1", "--force"], ["milestone", "2.6"]],
                         ids=lambda a: " ".join(a))
def test_every_view_fits_80_columns(fresh_workspace, args):
    code, out = in_process(fresh_workspace, *args)
    assert out.strip() and "Traceback" not in out
    assert_fits(out)


@pytest.mark.parametrize("ex", [e for e in registry.exercises() if e.milestone], ids=lambda e: e.id)
def test_phase_readme_states_the_registry_budgets(ex):
    text = " ".join((ex.phase.path / "README.md").read_text().split())
    for tier in ("smoke", "full"):
        budget = getattr(ex.milestone, tier).cpu_budget_s
        assert f"{budget} CPU s" in text, f"{ex.phase.dir}/README.md should give the {tier} budget, {budget} CPU s"


def test_a_partial_test_list_is_never_cached(tmp_path, monkeypatch):
    """A collection that missed exercises (a broken environment) is used once, not stored for later runs."""
    phase = registry.load()[0]
    ids = tmp_path / "test-ids.json"
    monkeypatch.setattr(runner, "IDS_FILE", ids)
    monkeypatch.setattr(runner, "_ids_memory", {})
    partial = {phase.exercises[0].id: [["visible", "test_one"]]}
    monkeypatch.setattr(runner, "_collect", lambda phase, tests: partial)
    assert runner.expected_tests(phase.exercises[0]) == [("visible", "test_one")]
    assert not ids.exists()
    monkeypatch.setattr(runner, "_ids_memory", {})
    monkeypatch.setattr(runner, "_collect", lambda phase, tests: {e.id: [["hidden", "test_x"]] for e in phase.exercises})
    assert runner.expected_tests(phase.exercises[1]) == [("hidden", "test_x")]
    assert ids.exists()


def test_threads_grading_one_phase_collect_its_tests_once(tmp_path, monkeypatch):
    """`grader mutants` grades exercises in threads: the second thread waits for the first's collection
    instead of reading a list that is not there yet."""
    phase = registry.load()[0]
    monkeypatch.setattr(runner, "IDS_FILE", tmp_path / "test-ids.json")
    monkeypatch.setattr(runner, "_ids_memory", {})
    calls = []

    def slow_collect(phase, tests):
        calls.append(phase.dir)
        time.sleep(0.3)
        return {e.id: [["hidden", f"test_{e.id}"]] for e in phase.exercises}
    monkeypatch.setattr(runner, "_collect", slow_collect)
    found = {}
    threads = [threading.Thread(target=lambda e=e: found.update({e.id: runner.expected_tests(e)}))
               for e in phase.exercises[:2]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == {e.id: [("hidden", f"test_{e.id}")] for e in phase.exercises[:2]} and calls == [phase.dir]
