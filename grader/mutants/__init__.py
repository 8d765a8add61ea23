"""The mutant bank: realistic wrong implementations, and correct ones written differently.

`grader/mutants/<phase>/<module>.py` defines two lists for the exercise of that module:

    MUTANTS = [Edit("missing 1/N", find="...", replace="..."), ...]        # must be caught
    ALTERNATIVES = [Edit("loop instead of vectorised", find=..., replace=...)]  # must pass

Each Edit is a small textual change to the reference module: `find` must occur exactly once in it.
Several edits can be chained with `then=` for a change in two places. `make mutants` applies each one,
runs the visible tests and the hidden checks against the result, and reports what caught it.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from grader import registry


@dataclass(frozen=True)
class Edit:
    name: str
    find: str
    replace: str
    then: "Edit | None" = None

    def apply(self, source: str) -> str:
        count = source.count(self.find)
        if count != 1:
            raise ValueError(f"edit {self.name!r}: `find` occurs {count} times in the reference (must be once):\n{self.find}")
        source = source.replace(self.find, self.replace)
        return self.then.apply(source) if self.then else source


def bank(ex: registry.Exercise) -> tuple[list[Edit], list[Edit]]:
    """(MUTANTS, ALTERNATIVES) for an exercise; empty lists when it has no bank file."""
    path = Path(__file__).parent / ex.phase.dir / f"{ex.module}.py"
    if not path.exists():
        return [], []
    spec = importlib.util.spec_from_file_location(f"grader.mutants.{ex.phase.dir}.{ex.module}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "MUTANTS", [])), list(getattr(module, "ALTERNATIVES", []))


def variant(ex: registry.Exercise, edit: Edit | None = None) -> str:
    """The reference source with `edit` applied (if any), solution markers removed (a learner's file)."""
    source = ex.solution_path.read_text()
    source = edit.apply(source) if edit else source
    return "".join(line for line in source.splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
