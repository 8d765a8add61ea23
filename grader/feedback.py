"""How a graded exercise reads to the learner: one line per failure, hidden checks interleaved with
visible tests, pytest's advice about its own flags removed, unimplemented functions summarised."""
from __future__ import annotations

import itertools

from grader import runner

ADVICE = ("Use -v to get more diff", "Use -vv to get more diff", "Full diff:", "use -vv to show", "use -v to show")


def clean_message(message: str) -> str:
    """One line of a failure message, without pytest's advice about its own flags."""
    lines = [line.strip() for line in message.splitlines()]
    kept = [line for line in lines if line and not any(a in line for a in ADVICE)]
    return " ".join(kept[:3]) if kept else ""


def _not_implemented(failures: list[dict]) -> tuple[list[dict], str | None]:
    """Split off the failures that only say "not implemented yet"; summarise them in one line."""
    todo = [f for f in failures if "NotImplementedError" in f["message"]]
    if not todo:
        return failures, None
    names = dict.fromkeys(f["message"].split("implement ", 1)[1].split(" (see")[0] if "implement " in f["message"]
                          else f["test"] for f in todo)
    rest = [f for f in failures if f not in todo]
    return rest, f"not implemented yet: {', '.join(names)} ({len(todo)} test{'s' * (len(todo) != 1)})"


def failure_lines(result: runner.ExerciseResult, limit: int | None) -> list[str]:
    """One line per failure, hidden checks interleaved with visible tests; `limit` lines at most."""
    failures, todo = _not_implemented(result.failures())
    by_kind = [[f for f in failures if f["kind"] == kind] for kind in ("visible", "hidden")]
    ordered = [f for pair in itertools.zip_longest(*by_kind) for f in pair if f is not None]
    groups: dict[tuple[str, str], list[str]] = {}  # tests failing with the same message share a line
    for f in ordered:
        groups.setdefault((f["kind"], clean_message(f["message"])), []).append(f["test"])
    lines = [result.problem] if result.problem else []
    lines += [f"[{kind}] {names[0] if len(names) == 1 else f'{len(names)} tests ({names[0]}, ...)'}: {message}"
              for (kind, message), names in groups.items()]
    if todo:
        lines.append(todo)
    if limit is not None and len(lines) > limit:
        more = len(lines) - limit + 1
        lines = lines[: limit - 1] + [f"... {more} more (`grader check {result.ex.id} -v` lists every one)"]
    return lines
