"""tinygrad's generated programs on disk (grader/programs.py): a later process loads what an earlier one
generated and computes the same; a child that may not write adds nothing; a damaged entry is made again."""
import json
import subprocess
import sys

import pytest

from grader import childenv, programs

# a small training step: matmuls, a reduction, elementwise kernels and random numbers
CHILD = """
import json
from grader import programs
programs.install()
import tinygrad.codegen as codegen
from tinygrad import Device, Tensor
Device[Device.DEFAULT]   # opening the device generates its helper programs, which tinygrad never caches
generated = []
make = codegen.do_to_program
codegen.do_to_program = lambda ast, renderer: generated.append(1) or make(ast, renderer)
Tensor.manual_seed(3)
w = Tensor.randn(24, 8)
w.requires_grad = True
x = Tensor.randn(16, 24)
loss = (x @ w).relu().square().mean()
loss.backward()
values = {"loss": loss.item(), "grad": w.grad.sum().item()}
print(json.dumps({"generated": len(generated), **values}))
"""


def _child(store, write=True) -> dict:
    env = childenv.environ({**childenv.tests(), programs.DIR_VAR: str(store), programs.WRITE_VAR: "1" if write else "0"})
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_later_process_loads_what_an_earlier_one_generated(tmp_path):
    first = _child(tmp_path)
    assert first["generated"] > 3 and len(list(tmp_path.iterdir())) == first["generated"]
    second = _child(tmp_path)
    assert second["generated"] == 0
    assert (second["loss"], second["grad"]) == (first["loss"], first["grad"])


def test_a_child_that_may_not_write_adds_nothing(tmp_path):
    runs = [_child(tmp_path, write=False) for _ in range(2)]
    assert not list(tmp_path.iterdir())
    assert runs[0]["generated"] == runs[1]["generated"] > 3


def test_a_damaged_entry_is_generated_again(tmp_path):
    first = _child(tmp_path)
    entries = sorted(tmp_path.iterdir())
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:40])   # cut short, as by a full disk
    again = _child(tmp_path)
    assert again["generated"] == first["generated"]
    assert (again["loss"], again["grad"]) == (first["loss"], first["grad"])
    assert _child(tmp_path)["generated"] == 0    # the damaged entries were replaced


def test_learner_children_read_and_trusted_children_write(monkeypatch):
    monkeypatch.delenv(programs.DIR_VAR, raising=False)
    assert programs.child_env(trusted=False) == {programs.DIR_VAR: str(programs.default_store()), programs.WRITE_VAR: "0"}
    assert programs.child_env(trusted=True)[programs.WRITE_VAR] == "1"
    monkeypatch.setenv(programs.DIR_VAR, "off")
    assert programs.child_env(trusted=True)[programs.DIR_VAR] == "off"


def test_a_learners_phase_run_stores_the_references_programs_once(tmp_path, monkeypatch):
    """`grader phase` (and `grader check`) runs the reference's tests of a started tinygrad exercise beside
    the learner's, once: the learner's children only read the store."""
    from grader import registry, runner
    monkeypatch.setenv(programs.DIR_VAR, str(tmp_path / "store"))
    ex, waited = registry.exercise("4.7"), []
    with runner.reference_programs(ex.phase, [ex], on_wait=lambda: waited.append(1)):
        pass   # the learner's run, over at once
    assert waited and len(list((tmp_path / "store").glob("[0-9a-f]*"))) >= 3
    assert runner._prepared_marker(tmp_path / "store", ex).exists()
    both = ("visible", "hidden")   # `grader check`: the hidden checks' kernels too, a run of their own
    with runner.reference_programs(ex.phase, [ex], both):
        pass
    assert runner._prepared_marker(tmp_path / "store", ex, both).exists()
    monkeypatch.setattr(runner, "_prepare", lambda *a: pytest.fail("prepared again"))
    for kinds in (("visible",), both):
        with runner.reference_programs(ex.phase, [ex], kinds):
            pass
    math = registry.exercise("1.1")   # no tinygrad: nothing to keep
    with runner.reference_programs(math.phase, [math]):
        pass


def test_a_store_made_under_another_key_format_is_filled_again(tmp_path, monkeypatch):
    """Programs are looked up under the key's format: after a change of format none of the old entries
    is found, so the marker that says the reference's programs were stored must not be found either."""
    from grader import registry, runner
    ex = registry.exercise("4.7")
    marker = runner._prepared_marker(tmp_path, ex)
    path = programs.StoredPrograms(tmp_path, False, "0.14.0")._path((b"kernel", object, "settings"))
    monkeypatch.setattr(programs, "KEY_FORMAT", programs.KEY_FORMAT + 1)
    assert runner._prepared_marker(tmp_path, ex) != marker
    assert programs.StoredPrograms(tmp_path, False, "0.14.0")._path((b"kernel", object, "settings")) != path
