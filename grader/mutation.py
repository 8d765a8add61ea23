"""Run the mutant bank: every mutant must be caught, every alternative must pass.

For each edit in `grader/mutants/<phase>/<module>.py` the edited reference becomes the learner's file in a
temporary copy of the workspace, and the exercise is graded there as `grader check` would, but each
variant's test run is a child forked from one warm worker per exercise (`grader.worker`), which imported
the libraries once and ran the reference's tests once (see `_warmed_worker`). A mutant's run stops at its
first failing test, that failure being the verdict, and runs each file's tests cheapest first, by the
warm-up's timings, a test counting cheaper for each mutant it has caught already (`_order`). A variant
faces only the tests that ran the functions its edit rewrote, by the warm-up's record (grader/impact.py).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader import impact, mutants, registry, runner, worker


@dataclass
class Verdict:
    exercise: str
    edit: str
    kind: str          # "mutant", "alternative" or "reference" (which must pass, as an alternative must)
    caught_by: str     # "visible", "hidden", "error" (could not even run), "warm-up" (the reference failed
                       # in the warm-up), or "" (passed everything)
    detail: str

    @property
    def ok(self) -> bool:
        return bool(self.caught_by) if self.kind == "mutant" else not self.caught_by


def _grade(ex: registry.Exercise, source: str, workspace: Path, kinds, launch, costs: Path | None = None,
           catches: dict[str, int] | None = None, only: list[str] | None = None) -> tuple[str, str]:
    """(caught_by, detail) of one variant, facing the tests `only` lists (default all); the test that
    caught it counts one more in `catches`."""
    if only == []:
        return "", "no test runs the code it changed"
    ex.stub_path(workspace).write_text(source)
    listed = None
    if only is not None:
        listed = workspace / "only.json"
        listed.write_text(json.dumps(only))
    result = runner.run_tests(ex, workspace, kinds=kinds, launch=launch, current_tests=True, stop_at_failure=True,
                              costs=costs, only=listed)
    if result.problem:
        return "error", result.problem
    failed = {t["kind"] for t in result.failures()}
    caught = "visible" if "visible" in failed else "hidden" if "hidden" in failed else ""
    first = result.failures()[0] if result.failures() else None
    if first is not None and catches is not None:
        key = f"{first['kind']}::{first['test']}"
        catches[key] = catches.get(key, 0) + 1
    return caught, (f"{first['test']}: {first['message']}" if first else "")


def _order(costs: Path | None, seconds: dict[str, float], catches: dict[str, int]) -> Path | None:
    """The cost file a mutant runs by: the warm-up's `seconds` (read from `costs`), divided by one more
    than the number of mutants each test has caught so far. Neighbouring mutants tend to fall to the
    same check, so a check that catches moves ahead of cheaper ones that do not (files keep their order)."""
    if costs is None or not catches:
        return costs
    ordered = costs.with_name("order.json")
    ordered.write_text(json.dumps({key: s / (1 + catches.get(key, 0)) for key, s in seconds.items()}))
    return ordered


def _warmed_worker(ex: registry.Exercise, workspace: Path) -> tuple[worker.Worker, tuple[str, str] | None,
                                                                   Path | None, dict | None]:
    """A worker that has run the reference's visible tests and hidden checks once, so the variants forked
    from it start with the kernels they share with the reference already compiled; the reference's
    (caught_by, detail) from that run; a file of what each test cost there, for `--cheapest-first`; and
    which of the reference's functions each test ran (see grader/impact.py) (all None where there was no
    warm-up). A warm-up that opened a device other than the CPU (4.6's
    TOY device runs kernels through the interpreter it was opened with) would hand the reference's code
    to the variants: that exercise gets a fresh, cold worker instead."""
    warm = worker.Worker()
    if os.environ.get("GRADSCHOOL_WARM_WORKER", "1") == "0":
        return warm, None, None, None
    files = [str(ex.visible_tests(workspace)), *([str(ex.hidden_tests)] if ex.hidden_tests.exists() else [])]
    seen = warm.warm(runner.pytest_args(files), runner.child_env(workspace, "reference"), workspace,
                     record=ex.solution_path)
    if seen is None:
        return warm, None, None, None
    if not {d.split(":")[0] for d in seen["devices"]} <= worker.SHAREABLE_DEVICES:
        warm.close()
        warm = worker.Worker()
    costs = workspace / "costs.json"
    costs.write_text(json.dumps(seen["seconds"]))
    if seen["status"] == 0 and seen["passed"]:
        return warm, ("", ""), costs, seen["touched"]
    return warm, ("warm-up", "; ".join(seen["failed"]) or f"pytest exit status {seen['status']}"), costs, None


def evaluate(ex: registry.Exercise, mutant_kinds=("visible", "hidden")) -> list[Verdict]:
    """Grade the reference and every edit of the exercise's bank. Mutants face `mutant_kinds` of tests;
    alternatives, and the reference (the first verdict), face all."""
    bank, alternatives = mutants.bank(ex)
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="gradschool-mutants-") as tmp:
        workspace = Path(tmp)
        shutil.copytree(registry.ROOT / "phases" / ex.phase.dir, workspace / "phases" / ex.phase.dir)
        # a mutant's run stops at its first failure, which comes sooner with the cheap tests first; an
        # alternative runs every test it faces, in the order the warm-up compiled their kernels for
        warm, reference, costs, touched = _warmed_worker(ex, workspace)
        original = mutants.variant(ex)

        def facing(source: str) -> list[str] | None:   # the tests that can see the edit; None: all
            return None if touched is None else impact.select(touched, impact.changed(original, source))
        with warm:
            caught, detail = reference or _grade(ex, original, workspace, ("visible", "hidden"), warm.run)
            verdicts.append(Verdict(ex.id, "the reference", "reference", caught, detail))
            catches: dict[str, int] = {}
            seconds = json.loads(costs.read_text()) if costs else {}
            for edit in bank:
                source = mutants.variant(ex, edit)
                caught, detail = _grade(ex, source, workspace, mutant_kinds, warm.run,
                                        _order(costs, seconds, catches), catches, facing(source))
                verdicts.append(Verdict(ex.id, edit.name, "mutant", caught, detail))
            for edit in alternatives:
                source = mutants.variant(ex, edit)
                caught, detail = _grade(ex, source, workspace, ("visible", "hidden"), warm.run, only=facing(source))
                verdicts.append(Verdict(ex.id, edit.name, "alternative", caught, detail))
    return verdicts


def report(exercises, console) -> int:
    from rich.table import Table

    table = Table(title="Mutant bank", title_justify="left")
    for column in ("Exercise", "Mutants", "Caught by visible", "Caught by hidden only", "Survived", "Alternatives passing"):
        table.add_column(column)
    problems = []
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import Progress
    with Progress(console=console, transient=True) as bar, ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        task = bar.add_task("grading the mutant bank", total=len(exercises))
        futures = [pool.submit(evaluate, ex) for ex in exercises]  # each child process is one core's work
        for future in futures:
            future.add_done_callback(lambda _: bar.advance(task))
        results = [future.result() for future in futures]
    for ex, verdicts in zip(exercises, results):
        muts = [v for v in verdicts if v.kind == "mutant"]
        alts = [v for v in verdicts if v.kind == "alternative"]
        survived = [v for v in muts if not v.ok]
        table.add_row(ex.id, str(len(muts)), str(sum(v.caught_by in ("visible", "error") for v in muts)),
                      str(sum(v.caught_by == "hidden" for v in muts)), f"[{'red' if survived else 'green'}]{len(survived)}[/]",
                      f"{sum(v.ok for v in alts)}/{len(alts)}")
        problems += [f"{v.exercise} mutant survived: {v.edit}" for v in survived]
        problems += [f"{v.exercise} {v.kind} failed: {v.edit} ({v.caught_by}: {v.detail})" for v in verdicts
                     if v.kind != "mutant" and not v.ok]
    console.print(table)
    for line in problems:
        console.print(f"  [red]{line}[/]")
    return 1 if problems else 0
