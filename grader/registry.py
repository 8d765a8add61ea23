"""The curriculum registry: `curriculum.toml` read into small dataclasses.

Everything about an exercise is written once, in the registry. File locations follow from the
phase folder and the module name:

    stub            phases/<phase>/<module>.py
    reference       solutions/<phase>/<module>.py
    visible tests   phases/<phase>/tests/test_<module>.py
    hidden checks   grader/hidden/<phase>/test_<module>.py
    milestone       grader/milestones/<name>.py  (the `entry` of the milestone table)
"""
from __future__ import annotations

import fnmatch
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_FILE = ROOT / "curriculum.toml"


@dataclass(frozen=True)
class Tier:
    target: float
    cpu_budget_s: int   # CPU seconds of the milestone's whole process tree (load-independent)
    files: tuple[str, ...] = ()  # the dataset files this tier reads (default: all of the dataset's)


@dataclass(frozen=True)
class Milestone:
    entry: str          # "module:function" called as run(tier=..., out_dir=...) -> dict of metrics
    dataset: str
    metric: str
    goal: str           # "max" (metric >= target) or "min" (metric <= target)
    smoke: Tier
    full: Tier
    points: int
    uses: tuple[str, ...]  # the exercises whose modules the milestone trains with (they must pass first)

    def passed(self, value: float, tier: str) -> bool:
        target = getattr(self, tier).target
        return value >= target if self.goal == "max" else value <= target


@dataclass(frozen=True)
class Exercise:
    id: str
    phase: "Phase" = field(repr=False, compare=False)
    module: str
    title: str
    points: int
    hints: tuple[str, ...]
    forbid: tuple[str, ...]
    timeout_s: int
    memory_mb: int
    milestone: Milestone | None
    skippable_tests: tuple[str, ...] = ()   # fnmatch patterns of tests that may skip (e.g. GPU-only)

    def skippable(self, test: str) -> bool:
        """A skip of this test is not a failure (any other skipped test counts as failed)."""
        return any(fnmatch.fnmatchcase(test, pattern) for pattern in self.skippable_tests)

    @property
    def marker(self) -> str:
        """pytest marker name, e.g. `ex1_1` for exercise 1.1 (`pytest -m ex1_1`)."""
        return "ex" + self.id.replace(".", "_")

    def stub_path(self, workspace: Path | None = None) -> Path:
        return (workspace or ROOT) / "phases" / self.phase.dir / f"{self.module}.py"

    @property
    def solution_path(self) -> Path:
        return ROOT / "solutions" / self.phase.dir / f"{self.module}.py"

    def visible_tests(self, workspace: Path | None = None) -> Path:
        return (workspace or ROOT) / "phases" / self.phase.dir / "tests" / f"test_{self.module}.py"

    @property
    def hidden_tests(self) -> Path:
        return ROOT / "grader" / "hidden" / self.phase.dir / f"test_{self.module}.py"

    def milestone_uses(self) -> tuple[tuple["Exercise", ...], tuple["Exercise", ...]]:
        """The exercises the milestone trains with, split in two: those of this phase, which must pass
        first, and those of earlier phases, for which the reference stands in until they pass (a learner
        who skipped phase 4 can still do phase 6)."""
        uses = [exercise(other) for other in (self.milestone.uses if self.milestone else ())]
        return (tuple(e for e in uses if e.phase.number >= self.phase.number),
                tuple(e for e in uses if e.phase.number < self.phase.number))

    @property
    def total_points(self) -> int:
        return self.points + (self.milestone.points if self.milestone else 0)


@dataclass(frozen=True)
class Phase:
    number: int
    dir: str
    title: str
    exercises: tuple[Exercise, ...] = field(default=(), repr=False)

    @property
    def path(self) -> Path:
        return ROOT / "phases" / self.dir


class RegistryError(ValueError):
    pass


def _tier(raw: dict) -> Tier:
    return Tier(**{**raw, "files": tuple(raw.get("files", ()))})


def _milestone(raw: dict, where: str, ex_id: str) -> Milestone:
    try:
        return Milestone(entry=raw["entry"], dataset=raw["dataset"], metric=raw["metric"],
                         goal=raw.get("goal", "max"), smoke=_tier(raw["smoke"]), full=_tier(raw["full"]),
                         points=raw.get("points", 0), uses=tuple(raw.get("uses", [ex_id])))
    except (KeyError, TypeError) as e:
        raise RegistryError(f"{where}: milestone table is incomplete ({e})") from None


@functools.lru_cache(maxsize=None)
def load(path: Path = REGISTRY_FILE) -> tuple[Phase, ...]:
    raw = tomllib.loads(path.read_text())
    defaults = raw.get("defaults", {})
    phases, seen = [], set()
    for number, p in enumerate(raw["phase"], start=1):
        phase = Phase(number=number, dir=p["dir"], title=p["title"])
        exercises = []
        for e in p.get("exercise", []):
            where = f"{path.name}: exercise {e.get('id', '?')}"
            if e["id"] in seen:
                raise RegistryError(f"{where}: duplicate id")
            if not e["id"].startswith(f"{number}."):
                raise RegistryError(f"{where}: id must start with the phase number {number}")
            seen.add(e["id"])
            exercises.append(Exercise(
                id=e["id"], phase=phase, module=e["module"], title=e["title"], points=e["points"],
                hints=tuple(e.get("hints", ())),
                forbid=tuple(dict.fromkeys([*defaults.get("forbid", []), *p.get("forbid", []), *e.get("forbid", [])])),
                timeout_s=e.get("timeout_s", defaults.get("timeout_s", 120)),
                memory_mb=e.get("memory_mb", defaults.get("memory_mb", 4096)),
                milestone=_milestone(e["milestone"], where, e["id"]) if "milestone" in e else None,
                skippable_tests=tuple(e.get("skippable", ())),
            ))
        object.__setattr__(phase, "exercises", tuple(exercises))
        phases.append(phase)
    return tuple(phases)


def exercises() -> list[Exercise]:
    return [e for p in load() for e in p.exercises]


def exercise(ex_id: str) -> Exercise:
    for e in exercises():
        if e.id == ex_id:
            return e
    raise KeyError(f"no exercise {ex_id!r} in curriculum.toml (try `grader list`)")


def phase(key: str | int) -> Phase:
    """A phase by number (3, "3", "03") or folder name ("03_nn")."""
    for p in load():
        if str(key) in (p.dir, str(p.number), f"{p.number:02d}"):
            return p
    raise KeyError(f"no phase {key!r}; phases are " + ", ".join(p.dir for p in load()))


def select(selector: str | None) -> list[Exercise]:
    """Exercises named by a selector: None (all), a phase ("3", "03_nn") or an exercise id ("3.2")."""
    if selector is None:
        return exercises()
    if "." in selector:
        return [exercise(selector)]
    return list(phase(selector).exercises)


def by_module_path(path: Path) -> Exercise | None:
    """The exercise a visible or hidden test file belongs to."""
    path = Path(path)
    for e in exercises():
        if path.name == f"test_{e.module}.py" and path.parent.name in ("tests", e.phase.dir) and e.phase.dir in path.parts:
            return e
    return None
