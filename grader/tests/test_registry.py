"""The registry is complete and consistent: every exercise's files exist where it says."""
import importlib

import pytest

from grader import mutants, registry

EXERCISES = registry.exercises()


def test_phases_are_the_seven_in_order():
    assert [p.dir for p in registry.load()] == ["01_math", "02_ml", "03_nn", "04_tinygrad", "05_architectures", "06_advanced", "07_systems"]


def test_ids_follow_the_order_of_the_file():
    for phase in registry.load():
        numbers = [int(e.id.split(".")[1]) for e in phase.exercises]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), phase.dir


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_exercise_files_exist(ex):
    for path in (ex.solution_path, ex.stub_path(), ex.visible_tests(), ex.hidden_tests, ex.phase.path / "README.md", ex.phase.path / "lesson.py"):
        assert path.exists(), f"{ex.id}: {path} is missing"


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_exercise_has_tiered_hints_and_a_mutant_bank(ex):
    assert 2 <= len(ex.hints) <= 3, f"{ex.id}: give 2-3 hints"
    bank, alternatives = mutants.bank(ex)
    assert len(bank) >= 3 and len(alternatives) >= 1, f"{ex.id}: needs >= 3 mutants and >= 1 alternative"


@pytest.mark.parametrize("ex", [e for e in EXERCISES if e.milestone], ids=lambda e: e.id)
def test_milestone_entry_is_callable(ex):
    module, function = ex.milestone.entry.split(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert ex.milestone.goal in ("max", "min")
    assert ex.milestone.smoke.cpu_budget_s <= 600, "smoke tiers run in CI: keep them short"


def test_selectors():
    first = registry.load()[0]
    assert registry.select("1") == list(first.exercises) == registry.select("01_math")
    assert registry.select(EXERCISES[0].id) == [EXERCISES[0]]
    with pytest.raises(KeyError):
        registry.select("9.9")
    with pytest.raises(KeyError):
        registry.phase("nope")


def test_duplicate_ids_are_rejected(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text('[[phase]]\ndir="01_math"\ntitle="t"\n[[phase.exercise]]\nid="1.1"\nmodule="a"\ntitle="a"\npoints=1\n'
                   '[[phase.exercise]]\nid="1.1"\nmodule="b"\ntitle="b"\npoints=1\n')
    with pytest.raises(registry.RegistryError, match="duplicate"):
        registry.load(bad)
