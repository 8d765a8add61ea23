"""Every milestone's smoke tier reaches its target with the reference, within its CPU budget."""
import json

import pytest

from grader import registry, runner

MILESTONES = [e for e in registry.exercises() if e.milestone]


@pytest.mark.slow
@pytest.mark.parametrize("ex", MILESTONES, ids=lambda e: e.id)
def test_smoke_milestone_passes_with_the_reference(ex, fresh_workspace):
    result = runner.run_milestone(ex, fresh_workspace, "smoke", target_name="reference", echo=False)
    print(f"milestone {ex.id}: {result.message} in {result.seconds} s; metrics {json.dumps(result.metrics)}")
    assert result.passed, result.message
    out = fresh_workspace / ".grader" / "milestones" / f"{ex.id}-smoke"
    assert list(out.glob("*.png")), "a milestone saves its training curves"


@pytest.mark.parametrize("ex", MILESTONES[:1], ids=lambda e: e.id)
def test_milestone_fails_cleanly_against_the_stub(ex, fresh_workspace):
    result = runner.run_milestone(ex, fresh_workspace, "smoke", target_name="learner", echo=False)
    assert not result.passed and "NotImplementedError" in result.message, result.message
