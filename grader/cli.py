"""The `grader` command. `grader --help` lists the subcommands."""
from __future__ import annotations

import argparse
import difflib
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader import progress as progress_mod
from grader import cache, feedback, policy, pristine, programs, registry, runner, sandbox, stubgen, target

console = Console(highlight=False)


def _workspace(args) -> Path:
    return Path(args.workspace).resolve() if getattr(args, "workspace", None) else target.workspace()


def _progress(ws: Path) -> progress_mod.Progress:
    prog = progress_mod.Progress(ws)
    if prog.recovered_from:
        console.print(f"[yellow]Your progress file could not be read; it was kept as {prog.recovered_from} "
                      "and a fresh one started. Run `grader check` to rebuild your scores.[/]")
    return prog


def _select(selectors):
    if isinstance(selectors, str):
        selectors = [selectors]
    try:
        chosen = [ex for s in selectors or [None] for ex in registry.select(s)]
        return list(dict.fromkeys(chosen))
    except KeyError as e:
        raise SystemExit(f"grader: {e.args[0]}") from None


def _exercise(ex_id):
    try:
        return registry.exercise(ex_id)
    except KeyError as e:
        raise SystemExit(f"grader: {e.args[0]}") from None


# ---------------------------------------------------------------- check


def _cell(passed: int, total: int) -> str:
    if total == 0:
        return "[dim]-[/]"
    colour = "green" if passed == total else "yellow" if passed else "red"
    return f"[{colour}]{passed}/{total}[/]"


def _milestone_cell(ex, result: runner.ExerciseResult) -> str:
    if not ex.milestone:
        return ""
    m = result.milestone
    if m is None:
        return "[dim]locked[/]"
    value = m.metrics.get(ex.milestone.metric)
    shown = f" {value:.3g}" if isinstance(value, (int, float)) else ""
    return f"[{'green' if m.passed else 'red'}]{'pass' if m.passed else 'fail'}[/]{shown}"


def check(args) -> int:
    ws = _workspace(args)
    prog = _progress(ws)
    store = cache.Cache(ws)
    tier = "full" if args.full else "smoke"
    exercises = _select(args.selector)
    results: dict[str, runner.ExerciseResult] = {}
    with console.status("") as status:
        for ex in exercises:
            status.update(f"Exercise {ex.id}: {ex.title}")
            result = results[ex.id] = cache.grade(ex, ws, store, timeout_s=args.timeout)
            store.save()
            if ex.milestone and result.passed and not args.no_milestones:
                unmet = _unmet(ex, ws, store, results)
                if unmet:
                    result.milestone = runner.MilestoneResult(tier, False, message=f"finish {unmet} first")
                else:
                    stand_ins = _stand_ins(ex, ws, store, results)
                    result.milestone = _milestone(ex, ws, tier, prog, status, stand_ins)
            prog.record(ex.id, passed=result.passed, points=result.points, not_started=result.not_started,
                        visible=result.count("visible"), hidden=result.count("hidden"), problem=result.problem)
            prog.save()
    _scoreboard(list(results.values()), None if args.verbose else 3)
    # a passing exercise always has its milestone run, unless --no-milestones
    return 0 if all(r.passed and (r.milestone is None or r.milestone.passed) for r in results.values()) else 1


def _unmet(ex, ws, store, known: dict) -> str:
    """The exercises of this phase a milestone trains with that do not pass yet, as a phrase ("" when
    all pass)."""
    unmet = []
    for other in ex.milestone_uses()[0]:
        result = known.get(other.id) or cache.grade(other, ws, store)
        if not result.passed:
            unmet.append(f"{other.id} ({'not started' if result.not_started else '`grader check ' + other.id + '`'})")
    return ("Exercise " if len(unmet) == 1 else "Exercises ") + ", ".join(unmet) if unmet else ""


def _stand_ins(ex, ws, store, known: dict) -> tuple[str, ...]:
    """The earlier phases' exercises a milestone trains with that do not pass yet: their references
    stand in for them, and the learner is told so."""
    stand_ins = tuple(other.id for other in ex.milestone_uses()[1]
                      if not (known.get(other.id) or cache.grade(other, ws, store)).passed)
    for other in stand_ins:
        console.print(f"Milestone {ex.id} trains with the reference of Exercise {other}: yours does not pass "
                      f"yet (`grader check {other}`). Once it passes, the milestone uses yours.")
    return stand_ins


def _milestone(ex, ws, tier, prog, status, stand_ins: tuple[str, ...] = (),
               budget: float | None = None) -> runner.MilestoneResult:
    budget = budget or getattr(ex.milestone, tier).cpu_budget_s
    fingerprint = f"{runner.learner_fingerprint(ex, ws, stand_ins)}:{budget}"
    cached = prog.exercise(ex.id).get(f"milestone_{tier}")
    if cached and cached.get("fingerprint") == fingerprint:
        fields = {k: v for k, v in cached.items() if k in runner.MilestoneResult.__dataclass_fields__}
        return runner.MilestoneResult(**fields)
    status.stop()
    console.print(f"[bold]Milestone {ex.id}[/] ({tier} tier, budget {budget:g} CPU s): training...")
    result = runner.run_milestone(ex, ws, tier, cpu_budget_s=budget, stand_ins=stand_ins)
    status.start()
    prog.record(ex.id, **{f"milestone_{tier}": {**result.__dict__, "fingerprint": fingerprint}})
    return result


def scoreboard_table(phase, results: list[runner.ExerciseResult]) -> Table:
    table = Table(title=f"Phase {phase.number:02d} · {escape(phase.title)}", title_justify="left", expand=False)
    for column in ("Exercise", "File", "Visible", "Hidden", "Milestone", "Points"):
        table.add_column(column, justify="right" if column == "Points" else "left", no_wrap=True)
    for r in results:
        started = not r.not_started
        table.add_row(r.ex.id, f"{r.ex.module}.py", _cell(*r.count("visible")) if started else "[dim]-[/]",
                      _cell(*r.count("hidden")) if started else "[dim]-[/]", _milestone_cell(r.ex, r),
                      f"{r.points:g}/{r.ex.total_points}")
    return table


def _scoreboard(results: list[runner.ExerciseResult], limit: int | None) -> None:
    earned = possible = 0.0
    for phase in registry.load():
        mine = [r for r in results if r.ex.phase is phase]
        if not mine:
            continue
        console.print(scoreboard_table(phase, mine))
        earned += sum(r.points for r in mine)
        possible += sum(r.ex.total_points for r in mine)
        for r in mine:
            if r.not_started:
                continue
            for line in feedback.failure_lines(r, limit):
                console.print(f"  [bold]{r.ex.id}[/] {escape(line)}")
            if r.milestone and r.milestone.message:
                console.print(f"  [bold]{r.ex.id}[/] milestone: {escape(r.milestone.message)}"
                              + (f" · curves in {os.path.relpath(r.milestone.out_dir)}" if r.milestone.out_dir else ""))
        waiting = [r.ex.id for r in mine if r.not_started]
        if waiting:
            console.print(f"  [dim]not started: {', '.join(waiting)}[/]")
    console.print(f"\n[bold]Total: {earned:g} / {possible:g} points[/]")
    if sandbox.isolation_problem():  # sandbox: say once when learner code ran without OS isolation
        console.print(f"[dim]Sandbox: {escape(sandbox.isolation_note())}[/]")


# ---------------------------------------------------------------- phase (make phaseN), watch


def phase(args) -> int:
    ws = _workspace(args)
    ph = registry.phase(args.phase)
    if not ph.exercises:
        console.print(f"Phase {ph.dir} has no exercises yet.")
        return 0
    blocked, waiting, started = {}, [], []
    for ex in ph.exercises:
        path = ex.stub_path(ws)
        if not path.exists():
            blocked[ex.id] = f"{path.relative_to(ws)} is missing; `grader reset {ex.id}` restores the stub"
        elif cache.is_stub(ex, ws):
            waiting.append(ex)
        elif policy.scan(path, ex):
            blocked[ex.id] = "policy violation: " + " ".join(policy.scan(path, ex))
        else:
            started.append(ex)
    tests = []
    if started:
        note = "[dim]Keeping the reference's tinygrad kernels for your next runs (once)...[/]"
        with runner.reference_programs(ph, started, on_wait=lambda: console.print(note)):
            run, reported = runner.run_phase(ph, ws, echo=False, exercises=started)  # on a throw-away copy, in the sandbox
        tests = [{"kind": "visible", "test": t.get("test"), "outcome": t.get("outcome"), "message": str(t.get("message", "")),
                  "exercise": t.get("exercise")} for t in reported]
        if run.crash:
            console.print(f"[red]The test run {run.crash}.[/]")
    rows, next_up = [], None
    for ex in ph.exercises:
        mine = [t for t in tests if t["exercise"] == ex.id]
        result = runner.ExerciseResult(ex, tests=mine, problem=blocked.get(ex.id), not_started=ex in waiting)
        passed, total = result.count("visible")
        if ex in waiting:
            state = "[dim]not started[/]"
        elif result.passed:
            state = "[green]green[/]"
        else:
            state = "[red]blocked[/]" if ex.id in blocked else "[yellow]in progress[/]"
        if not result.passed and next_up is None:
            next_up = result
        rows.append((ex, "" if ex in waiting or ex.id in blocked else f"{passed}/{total}", state))
    if next_up is not None and not next_up.not_started:
        console.print(f"[bold]Exercise {next_up.ex.id}[/] ({escape(next_up.ex.title)}):")
        for line in feedback.failure_lines(next_up, None):
            console.print(f"  [red]x[/] {escape(line)}")
        console.print()
    table = Table(title=f"Phase {ph.number:02d} · {escape(ph.title)}: visible tests", title_justify="left",
                  box=box.SIMPLE_HEAD)
    for column in ("Exercise", "File", "Tests", "State"):
        table.add_column(column, no_wrap=True)
    for ex, count, state in rows:
        table.add_row(ex.id, f"{ex.module}.py", count, state)
    console.print(table)
    for ex_id, problem in blocked.items():
        if next_up is None or ex_id != next_up.ex.id:
            console.print(f"  [bold]{ex_id}[/] {escape(problem)}")
    if next_up is not None:
        console.print(f"Next: Exercise {next_up.ex.id} in {next_up.ex.stub_path(ws).relative_to(ws)}"
                      f"  (stuck? `grader hint {next_up.ex.id}`)")
        return 1
    console.print(f"[green]All visible tests of phase {ph.dir} pass.[/] Now `grader check {ph.number}` for hidden "
                  "checks and milestones.")
    return 0


def watch(args) -> int:
    ws = _workspace(args)
    ph = registry.phase(args.phase)
    seen = None
    console.print(f"Watching phase {ph.dir}; Ctrl-C to stop.")
    try:
        while True:
            stamp = [ex.stub_path(ws).stat().st_mtime if ex.stub_path(ws).exists() else 0 for ex in ph.exercises]
            if stamp != seen:
                seen = stamp
                console.rule(time.strftime("%H:%M:%S"))
                phase(args)
            time.sleep(1.0)
    except KeyboardInterrupt:
        return 0


# ---------------------------------------------------------------- status, list, info


def status_table(ws: Path, prog: progress_mod.Progress) -> Table:
    table = Table(title="Your progress (from the last `grader check`)", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("Exercise", "File", "State", "Points", "Hints", "Checked"):
        table.add_column(column, no_wrap=True, justify="right" if column in ("Points", "Hints") else "left")
    for ex in registry.exercises():
        entry = prog.data["exercises"].get(ex.id, {})
        if cache.is_stub(ex, ws):
            state = "[dim]not started[/]"
        elif "passed" not in entry:
            state = "[dim]not checked[/]"
        else:
            state = "[green]passed[/]" if entry["passed"] else "[yellow]failing[/]"
        checked = entry.get("updated", "-") if "passed" in entry else "-"
        table.add_row(ex.id, f"{ex.module}.py", state, f"{entry.get('points', 0):g}/{ex.total_points}",
                      f"{entry.get('hints_shown', 0)}/{len(ex.hints)}", checked[5:16] if checked != "-" else "-")
    return table


def status(args) -> int:
    ws = _workspace(args)
    prog = _progress(ws)
    console.print(status_table(ws, prog))
    total = sum(prog.data["exercises"].get(ex.id, {}).get("points", 0) for ex in registry.exercises())
    console.print(f"[bold]Total: {total:g} / {sum(ex.total_points for ex in registry.exercises()):g} points[/]")
    return 0


def list_(args) -> int:
    for ph in registry.load():
        console.print(f"[bold]Phase {ph.number:02d} · {escape(ph.title)}[/]  [dim]phases/{ph.dir}[/]")
        if not ph.exercises:
            console.print("  [dim](planned; not open yet)[/]")
            continue
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for ex in ph.exercises:
            milestone = f" · milestone: {ex.milestone.metric} on {ex.milestone.dataset}" if ex.milestone else ""
            table.add_row(ex.id, f"{escape(ex.title)}\n[dim]{ex.module}.py · {ex.total_points} pts{milestone}[/]")
        console.print(table)
    return 0


def info(args) -> int:
    ex = _exercise(args.id)
    ws = _workspace(args)
    rel = lambda p: os.path.relpath(p, Path.cwd())
    rows = {
        "title": ex.title, "your file": rel(ex.stub_path(ws)), "reference": rel(ex.solution_path),
        "visible tests": rel(ex.visible_tests(ws)), "hidden checks": rel(ex.hidden_tests),
        "points": str(ex.total_points), "hints": f"{len(ex.hints)} tiers (`grader hint {ex.id}`)",
        "may not import": ", ".join(ex.forbid) or "-", "limits": f"{ex.timeout_s} s, {ex.memory_mb} MB",
    }
    if ex.milestone:
        ms = ex.milestone
        rel_op = ">=" if ms.goal == "max" else "<="
        rows["milestone"] = (f"{ms.entry} on {ms.dataset}: {ms.metric} {rel_op} {ms.smoke.target} (smoke, "
                             f"{ms.smoke.cpu_budget_s} CPU s) / {rel_op} {ms.full.target} (full, "
                             f"{ms.full.cpu_budget_s} CPU s); trains with {', '.join(ms.uses)}")
    table = Table(box=None, show_header=False)
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows.items():
        table.add_row(key, escape(value))
    console.print(table)
    return 0


# ---------------------------------------------------------------- hint, solution, reset, stubs


def hint(args) -> int:
    ex = _exercise(args.id)
    if not ex.hints:
        console.print(f"Exercise {ex.id} has no hints.")
        return 0
    n = len(ex.hints)
    if args.all or args.tier:
        if args.tier and not 1 <= args.tier <= n:
            raise SystemExit(f"grader: Exercise {ex.id} has hints 1 to {n}")
        for tier in ([args.tier - 1] if args.tier else range(n)):
            console.print(f"[bold]Hint {tier + 1}/{n} for Exercise {ex.id}[/]\n{escape(ex.hints[tier])}\n")
        return 0
    prog = _progress(_workspace(args))
    already = prog.exercise(ex.id).get("hints_shown", 0)
    tier = prog.next_hint(ex.id, n)
    prog.save()
    console.print(f"[bold]Hint {tier + 1}/{n} for Exercise {ex.id}[/] ({escape(ex.title)})\n{escape(ex.hints[tier])}")
    if tier + 1 < n:
        console.print(f"[dim]Run `grader hint {ex.id}` again for a more concrete hint.[/]")
    else:
        console.print(f"[dim]{'This was the last hint, shown again' if already >= n else 'That was the last hint'}: "
                      f"`grader hint {ex.id} --tier N` re-reads one, `--all` shows all {n}.[/]")
    return 0


def solution(args) -> int:
    ex = _exercise(args.id)
    ws = _workspace(args)
    if not (_progress(ws).passed(ex.id) or args.force):
        console.print(f"Exercise {ex.id} has not passed `grader check {ex.id}` yet. The reference is there to compare with "
                      f"once yours works; `grader hint {ex.id}` helps before that. (`--force` shows it anyway.)")
        return 1
    mine = ex.stub_path(ws).read_text().splitlines() if ex.stub_path(ws).exists() else []
    ref = [line for line in ex.solution_path.read_text().splitlines() if line.strip() not in (stubgen.BEGIN, stubgen.END)]
    groups = list(difflib.SequenceMatcher(None, mine, ref, autojunk=False).get_grouped_opcodes(2))
    title = f"Exercise {ex.id}: yours and the reference, the parts that differ"
    names = os.path.relpath(ex.stub_path(ws)), os.path.relpath(ex.solution_path)
    if console.width >= SIDE_BY_SIDE_WIDTH:
        table = Table(title=title + " (yours left)", expand=True)
        for name in names:
            table.add_column(name, overflow="fold", ratio=1)
        for group in groups:
            for tag, i1, i2, j1, j2 in group:
                left, right = mine[i1:i2], ref[j1:j2]
                for k in range(max(len(left), len(right))):
                    table.add_row(escape(left[k]) if k < len(left) else "", escape(right[k]) if k < len(right) else "",
                                  style=None if tag == "equal" else "yellow")
            table.add_row("[dim]···[/]", "[dim]···[/]")
        console.print(table)
        return 0
    # narrow terminal: one column, a diff with "-" for your lines and "+" for the reference's
    console.print(f"[bold]{title}[/]\n[red]- {names[0]}[/] (yours)\n[green]+ {names[1]}[/] (reference)")
    for group in groups:
        console.print("[dim]···[/]")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines = [("  ", line, "") for line in mine[i1:i2]]
            else:
                lines = [("- ", line, "red") for line in mine[i1:i2]] + [("+ ", line, "green") for line in ref[j1:j2]]
            for sign, line, style in lines:
                console.print(Text(sign + line, style=style), overflow="fold")
    return 0


SIDE_BY_SIDE_WIDTH = 140  # narrower terminals get the two versions as one diff


def reset(args) -> int:
    ex = _exercise(args.id)
    saved = stubgen.restore(ex, _workspace(args))
    console.print(f"Restored the stub of Exercise {ex.id} in {os.path.relpath(ex.stub_path(_workspace(args)))}."
                  + (f" Your version is kept in {os.path.relpath(saved)}." if saved else ""))
    return 0


def stubs(args) -> int:
    outcomes = stubgen.generate(_select(args.selector) if args.selector else None, _workspace(args), force=args.force, check=args.check)
    for o in outcomes:
        if o.action != "unchanged" or args.verbose:
            console.print(f"  {o.exercise:5} {os.path.relpath(o.path)}: {o.action}")
    stale = [o for o in outcomes if o.action in ("stale", "missing")]
    if args.check and stale:
        console.print(f"[red]{len(stale)} stub(s) differ from what the solutions generate.[/] Edited by you: "
                      "that is your work, nothing to do. A contributor runs `make stubs` and commits.")
        return 1
    console.print(f"{len(outcomes)} stubs checked." if args.check else f"{len(outcomes)} stubs processed.")
    if args.record_tests and not args.check:
        pristine.save(_workspace(args))
        console.print(f"Recorded the shipped visible tests in {pristine.MANIFEST}: commit it.")
    return 0


# ---------------------------------------------------------------- milestone, doctor


def milestone(args) -> int:
    ex = _exercise(args.id)
    if not ex.milestone:
        raise SystemExit(f"grader: Exercise {ex.id} has no milestone")
    ws = _workspace(args)
    tier = "full" if args.full else "smoke"
    stand_ins = ()
    if not args.reference:
        store = cache.Cache(ws)
        unmet = _unmet(ex, ws, store, {})
        if unmet:
            console.print(f"Milestone {ex.id} trains with your {', '.join(ex.milestone.uses)}. Finish {unmet} first: "
                          f"`grader check {ex.id}` shows what fails.")
            return 1
        stand_ins = _stand_ins(ex, ws, store, {})
    budget = args.budget or getattr(ex.milestone, tier).cpu_budget_s
    console.print(f"[bold]Milestone {ex.id}[/] ({tier} tier, budget {budget:g} CPU s): training...")
    result = runner.run_milestone(ex, ws, tier, target_name="reference" if args.reference else "learner",
                                  cpu_budget_s=budget, stand_ins=stand_ins)
    colour = "green" if result.passed else "red"
    console.print(f"[{colour}]Milestone {ex.id} ({tier}): {'passed' if result.passed else 'not passed'}[/]\n"
                  f"{escape(result.message)}\n{result.cpu_s:g} CPU s, {result.seconds:.0f} s wall; outputs in "
                  f"{os.path.relpath(result.out_dir)}")
    table = Table(box=box.SIMPLE, show_header=False)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    for key, value in result.metrics.items():
        table.add_row(key, f"{value:.5g}" if isinstance(value, (int, float)) else str(value))
    if result.metrics:
        console.print(table)
    return 0 if result.passed else 1


def doctor(args) -> int:
    ok = True

    def line(good: bool, name: str, text: str):
        nonlocal ok
        ok &= good
        console.print(f"  [{'green' if good else 'red'}]{'ok ' if good else '!! '}[/] {name:12} {text}")

    line(sys.version_info >= (3, 10), "python", f"{platform.python_version()} ({sys.executable})")
    try:
        import numpy
        line(True, "numpy", numpy.__version__)
    except ImportError as e:
        line(False, "numpy", str(e))
    from importlib.metadata import PackageNotFoundError, version
    try:
        tg = version("tinygrad")
        line(tg == "0.14.0", "tinygrad", tg + ("" if tg == "0.14.0" else " (the curriculum is pinned to 0.14.0: `make` reinstalls it)"))
    except PackageNotFoundError:
        line(False, "tinygrad", "not installed: run `make` to set up .venv")
    clang = shutil.which("clang")
    line(bool(clang), "clang", clang or "missing: tinygrad's CPU backend compiles kernels with it. Install: sudo apt-get install -y clang "
         "(Debian/Ubuntu), xcode-select --install (macOS)")
    if clang:
        probe = sandbox.run(["-c", "from tinygrad import Tensor, Device; print(Device.DEFAULT, (Tensor([1.0, 2.0]) * 2).tolist())"],
                            timeout_s=120, memory_mb=8192)
        line(probe.returncode == 0, "device", probe.output.strip().splitlines()[-1] if probe.output.strip() else "no output")
    isolated = sandbox.isolation_problem() is None  # sandbox
    console.print(f"  [{'green' if isolated else 'yellow'}]{'ok ' if isolated else '-- '}[/] {'sandbox':12} "
                  f"{escape(sandbox.isolation_note())}")
    line(True, "kernels", programs.describe())
    mirror = os.environ.get("GRADSCHOOL_DATA_MIRROR")
    line(True, "data mirror", mirror or "not set (datasets are downloaded on first use; `grader data list`)")
    ws = _workspace(args)
    writable = os.access(ws, os.W_OK)
    line(writable, "workspace", f"{ws} ({'writable' if writable else 'not writable'})")
    return 0 if ok else 1


# ---------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="gradschool: check your exercises, get hints, compare with the reference.")
    parser.add_argument("--workspace", help="directory holding your phases/ (default: this repository)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, fn, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(fn=fn)
        return p

    p = add("check", check, "visible tests, hidden checks and eligible milestones, with a scoreboard")
    p.add_argument("selector", nargs="*", help="phases (3, 03_nn) or exercises (3.2); default: everything")
    p.add_argument("--timeout", type=float, help="seconds per exercise, instead of the registry's limit")
    p.add_argument("--full", action="store_true", help="run milestones at the full tier (long; GPU or patience)")
    p.add_argument("--no-milestones", action="store_true", help="skip milestone training")
    p.add_argument("-v", "--verbose", action="store_true", help="list every failure (default: three per exercise)")
    add("status", status, "your saved progress")
    add("list", list_, "phases and exercises")
    p = add("info", info, "where an exercise's files, tests, hints and milestone live")
    p.add_argument("id")
    p = add("phase", phase, "visible tests of one phase against your modules (what `make phaseN` runs)")
    p.add_argument("phase")
    p = add("watch", watch, "re-run a phase's visible tests whenever you save")
    p.add_argument("phase")
    p = add("hint", hint, "the next hint for an exercise (more concrete each time)")
    p.add_argument("id")
    p.add_argument("--tier", type=int, help="re-read hint N (1 = the first)")
    p.add_argument("--all", action="store_true", help="every hint of the exercise")
    p = add("solution", solution, "the reference beside your code, once your exercise passes")
    p.add_argument("id")
    p.add_argument("--force", action="store_true", help="show it even if the exercise has not passed")
    p = add("reset", reset, "restore an exercise's stub (your version is backed up in .grader/backups)")
    p.add_argument("id")
    p = add("stubs", stubs, "regenerate stubs from solutions (never overwrites your edits without --force)")
    p.add_argument("selector", nargs="?")
    p.add_argument("--force", action="store_true", help="replace edited stubs too, keeping backups")
    p.add_argument("--check", action="store_true", help="only report stubs that differ from the solutions")
    p.add_argument("--record-tests", action="store_true",
                   help="contributors: record phases/*/tests as the shipped visible tests")
    p.add_argument("-v", "--verbose", action="store_true")
    p = add("milestone", milestone, "run one exercise's milestone training")
    p.add_argument("id")
    p.add_argument("--full", action="store_true", help="full tier instead of smoke")
    p.add_argument("--reference", action="store_true", help="train with the reference solution (to see the target reached)")
    p.add_argument("--budget", type=float, help="CPU seconds for the run, instead of the registry's budget")
    add("doctor", doctor, "check Python, tinygrad, clang, device and data")
    p = add("mutants", mutants, "run the mutant bank: which wrong implementations the checks catch")
    p.add_argument("selector", nargs="*", help="phases or exercises (default: all)")
    p = add("export-nbgrader", export_nbgrader, "write the exercises as an nbgrader course (source notebooks)")
    p.add_argument("course_dir")
    p.add_argument("selector", nargs="*", help="phases or exercises (default: all)")
    data = sub.add_parser("data", help="datasets: list, fetch NAME, verify", add_help=False)
    data.add_argument("rest", nargs=argparse.REMAINDER)
    data.set_defaults(fn=lambda args: __import__("grader.data.cli", fromlist=["main"]).main(args.rest))
    return parser


def export_nbgrader(args) -> int:
    from grader import export
    written = export.export(Path(args.course_dir), _select(args.selector))
    console.print(f"Wrote {len(written)} notebooks under {Path(args.course_dir) / 'source'}; "
                  f"then `nbgrader generate_assignment <phase>` in {args.course_dir} releases them without the solutions.")
    return 0


def mutants(args) -> int:
    from grader import mutation
    return mutation.report(_select(args.selector), console)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with sandbox.terminate_as_interrupt():  # sandbox: Ctrl-C and SIGTERM end every child and remove temp dirs
        try:
            return args.fn(args) or 0
        except KeyboardInterrupt:
            console.print("\n[yellow]Interrupted; every child process was stopped.[/]")
            return 130


if __name__ == "__main__":
    sys.exit(main())
