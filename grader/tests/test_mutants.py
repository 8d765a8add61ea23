"""Trustworthy grading: the reference and every alternative correct version pass every test, every mutant
in the bank is caught. (The self-test runs the reference's tests here, in the bank's warm-up.)"""
import pytest

from grader import mutation, registry


@pytest.mark.slow
@pytest.mark.parametrize("ex", registry.exercises(), ids=lambda e: e.id)
def test_bank(ex):
    verdicts = mutation.evaluate(ex, mutant_kinds=("hidden",))  # the hidden checks alone must catch every mutant
    survivors = [v.edit for v in verdicts if v.kind == "mutant" and not v.ok]
    false_failures = [f"{v.edit}: {v.detail}" for v in verdicts if v.kind != "mutant" and not v.ok]
    assert not survivors, f"mutants not caught by any check: {survivors}"
    assert verdicts[0].kind == "reference", verdicts[0]
    assert not false_failures, f"correct versions failed: {false_failures}"
