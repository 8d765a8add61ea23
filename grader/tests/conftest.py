"""Fixtures for the project's self-test."""
import os
import shutil
from pathlib import Path

import pytest

from grader import registry, stubgen


@pytest.fixture
def fresh_workspace(tmp_path) -> Path:
    """A copy of phases/ in which every learner file is the freshly generated stub."""
    shutil.copytree(registry.ROOT / "phases", tmp_path / "phases", ignore=shutil.ignore_patterns("__pycache__"))
    stubgen.generate(workspace=tmp_path, force=True)
    shutil.rmtree(tmp_path / ".grader", ignore_errors=True)
    return tmp_path


# ---------------------------------------------------------------- order of the tests under xdist

def _expected_seconds(item) -> float:
    """A rough cost of a slow test on a busy 2-core machine, for ordering only (0: a quick test)."""
    if item.get_closest_marker("slow") is None:
        return 0.0
    ex = getattr(item, "callspec", None) and item.callspec.params.get("ex")
    if item.originalname == "test_smoke_milestone_passes_with_the_reference":
        return ex.milestone.smoke.cpu_budget_s / 7          # the reference uses about a seventh
    if item.originalname == "test_bank":
        from grader import mutants
        per_variant = 1.6 if ex.phase.number >= 4 else 0.2  # a tinygrad variant compiles kernels
        return per_variant * (1 + sum(map(len, mutants.bank(ex))))
    return 10.0


@pytest.hookimpl(trylast=True)   # after -k / -m have deselected: the shares are of what runs
def pytest_collection_modifyitems(config, items):
    """Under xdist (`--dist worksteal`) worker k first gets the k-th equal share of the collected tests
    and, once idle, steals from the end of the busiest worker's share. Each share is therefore made to
    start with slow tests (dealt longest first to the share with the least so far) and end with quick
    ones: the workers then finish together, on quick tests, instead of one idling while the other ends
    on a long milestone run."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if workers < 2:
        return
    costs = {item.nodeid: _expected_seconds(item) for item in items}
    slow = sorted((i for i in items if costs[i.nodeid]), key=lambda i: -costs[i.nodeid])
    quick = [i for i in items if not costs[i.nodeid]]
    if not slow:
        return
    sizes, left = [], len(items)
    for k in range(workers):   # the shares xdist's first distribution gives
        sizes.append(left // (workers - k))
        left -= sizes[-1]
    shares: list[list] = [[] for _ in sizes]
    totals = [0.0] * workers
    for item in slow:
        k = min((k for k in range(workers) if len(shares[k]) < sizes[k]), key=totals.__getitem__)
        shares[k].append(item)
        totals[k] += costs[item.nodeid]
    for k, share in enumerate(shares):
        n = sizes[k] - len(share)
        share.extend(quick[:n])
        del quick[:n]
    items[:] = [item for share in shares for item in share]
