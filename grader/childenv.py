"""The environment of every child process the grader starts (tests, milestones, mutants, lessons).

Chosen on purpose, with the measured reasons in grader/AUTHORING.md ("Environment of child processes"):

* threads: BLAS, OpenMP and tinygrad's CPU kernels get the cores the machine can give each child that
  runs at the same time. Their threads spin while they wait, so two children with two threads each on
  two cores run several times slower than with one thread each.
* pytest plugins: no autoloading. The project's plugin is named in pyproject.toml; hypothesis works
  without its plugin. Autoloaded plugins made pytest rewrite every module of hypothesis, anyio, xdist
  and platformdirs in every child.
* tinygrad: no compile worker pool (PARALLEL=0); a fresh pool per process costs more than it saves.
* test children (`tests()`: every child that runs pytest) compile tinygrad kernels quickly: no kernel
  optimizer (NOOPT=1: no upcasts or unrolled loops) and clang at -O0 (grader/quick-clang), kept in a
  cache file of their own, so such a kernel never reaches a milestone. A test's tensors are small:
  compiling a kernel costs more than running it, and an optimized one costs more to make than it
  saves. Nor do they run tinygrad's BEAM search, whatever the learner's shell sets (BEAM=0). Lessons
  compile as tinygrad does by default, milestones with wider tiles for matrix products (grader/tiling.py,
  the same numbers), both as the shell's BEAM asks where it is set.
* tinygrad's generated programs: kept on disk between children (grader/programs.py); only a child
  without learner code adds to them.
* bytecode: the child writes none (PYTHONDONTWRITEBYTECODE). A cache the learner's code could write to
  would let it plant bytecode that a later grading run imports.
"""
from __future__ import annotations

import os
from pathlib import Path

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUM_CPU_THREADS")

FIXED = {
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "PARALLEL": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
}

QUICK_CLANG = Path(__file__).with_name("quick-clang")
TESTS_CACHE_PREFIX = "gradschool-tests-"


def cache_home() -> Path:
    """The user's cache folder (XDG_CACHE_HOME, else ~/.cache), where tinygrad and matplotlib keep theirs."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def kernel_cache() -> Path:
    """The file where tinygrad keeps compiled kernels: CACHEDB, else its default place."""
    return Path(os.environ.get("CACHEDB") or cache_home() / "tinygrad" / "cache.db")


def tests() -> dict[str, str]:
    """The settings of test children (see above); their kernels go to a file beside tinygrad's own."""
    db = kernel_cache()
    if not db.name.startswith(TESTS_CACHE_PREFIX):
        db = db.with_name(TESTS_CACHE_PREFIX + db.name)
    return {"NOOPT": "1", "BEAM": "0", "CC": str(QUICK_CLANG), "CACHEDB": str(db)}


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def threads_per_child(at_once: int = 1) -> int:
    """Threads each of `at_once` concurrent children may use: the cores shared among them (and among the
    self-test's xdist workers), never more than the cores other programs leave idle, at least one."""
    at_once *= int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    try:
        idle = cores() - round(os.getloadavg()[0])
    except OSError:
        idle = cores()
    return max(1, min(cores() // max(at_once, 1), idle))


def threads(n: int) -> dict[str, str]:
    """The variables that give a child `n` threads."""
    return {name: str(n) for name in THREAD_VARIABLES}


def environ(extra: dict | None = None) -> dict[str, str]:
    """The parent's environment with the grader's settings, then `extra` (which may set the threads).
    Without `extra` thread settings a child gets one thread: test children are many and small."""
    return {**os.environ, **threads(1), **FIXED, **(extra or {})}

