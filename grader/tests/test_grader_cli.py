"""End to end: the `grader` command on a temporary learner workspace."""
import json
import os
import subprocess
import sys

import pytest

from grader import progress, registry, runner
from grader.tests.conftest import solved_source

FIRST_FOUR = registry.exercises()[:4]


def grader(ws, *args, timeout=600):
    env = {**os.environ, "COLUMNS": "200"}
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
    code, out = grader(fresh_workspace, "check", *[e.id for e in FIRST_FOUR], "--no-milestones", "--timeout", "20")
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
    assert f"Hint {len(ex.hints)}/{len(ex.hints)}" in shown[-1]


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
    assert not list((tmp_path / ".grader").glob(".progress-*")), "temporary file left behind"
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
