"""The warm worker: each forked child gets its own environment, folder, output and limits."""
import json
import time

import pytest

from grader import worker

pytestmark = pytest.mark.skipif(not worker.FORK_SAFE, reason="no fork worker on this platform")

TESTS = """
import os, time
def test_sees_its_environment():
    assert os.environ["WHO"] == os.path.basename(os.getcwd())
def test_sleeps():
    if os.environ.get("SLEEP"):
        time.sleep(60)
def test_allocates():
    if os.environ.get("ALLOCATE"):
        bytearray(2 * 1024 ** 3)
"""


def _run(warm, folder, **env):
    folder.mkdir()
    (folder / "test_child.py").write_text(TESTS)
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "test_child.py")]
    return warm.run(args, timeout_s=20, memory_mb=1024, env={"WHO": folder.name, **env}, cwd=folder)


def test_children_are_separate_and_limited(tmp_path):
    with worker.Worker() as warm:
        first, second = _run(warm, tmp_path / "one"), _run(warm, tmp_path / "two")
        assert (first.returncode, second.returncode) == (0, 0), first.output + second.output
        assert "3 passed" in first.output and "3 passed" in second.output

        start = time.monotonic()
        slow = warm.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "one")], timeout_s=3,
                        memory_mb=1024, env={"WHO": "one", "SLEEP": "1"}, cwd=tmp_path / "one")
        assert slow.timed_out and time.monotonic() - start < 30

        greedy = _run(warm, tmp_path / "three", ALLOCATE="1")
        assert greedy.returncode == 1 and "MemoryError" in greedy.output
        assert warm.proc.poll() is None, "the worker outlives its children"


WARM_TESTS = """
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import helper_module
from tinygrad import Tensor
def test_compiles_a_kernel():
    assert (Tensor([1.0, 2.0]) * 3).sum().item() == 9.0
    assert os.environ["PHASE"] == "warm-up"
    Tensor.rand(3)  # leaves a lazy random-number counter behind
"""

AFTER_WARM_UP = """
import os, sys
def test_the_warm_up_left_nothing_of_its_own_behind():
    assert "helper_module" not in sys.modules and "PHASE" not in os.environ
    from tinygrad import Tensor
    assert not Tensor._device_rng_counters, "a variant inherits the warm-up's random-number counters"
"""


def test_a_warm_up_keeps_library_caches_and_forgets_its_own_modules(tmp_path):
    (tmp_path / "helper_module.py").write_text("STATE = []\n")
    (tmp_path / "test_warm.py").write_text(WARM_TESTS)
    (tmp_path / "test_after.py").write_text(AFTER_WARM_UP)
    with worker.Worker() as warm:
        seen = warm.warm(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_warm.py")],
                         env={"PHASE": "warm-up"}, cwd=tmp_path)
        assert seen["devices"] and set(seen["devices"]) <= worker.SHAREABLE_DEVICES, seen
        assert seen["status"] == 0 and seen["passed"] >= 1 and not seen["failed"], seen
        after = warm.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_after.py")],
                         timeout_s=60, memory_mb=1024, env={}, cwd=tmp_path)
        assert after.returncode == 0, after.output


def test_a_warm_up_reports_what_failed(tmp_path):
    (tmp_path / "test_red.py").write_text("def test_green():\n    pass\n\ndef test_red():\n    assert 1 == 2, 'one is not two'\n")
    with worker.Worker() as warm:
        seen = warm.warm(["-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_red.py")], env={}, cwd=tmp_path)
    assert seen["status"] == 1 and seen["passed"] == 1, seen
    assert len(seen["failed"]) == 1 and seen["failed"][0].startswith("test_red:") and "one is not two" in seen["failed"][0]


def test_a_warm_up_measures_each_test_and_variants_run_the_cheap_ones_first(tmp_path):
    log = tmp_path / "order.log"
    for name in ("first", "second"):   # in each file the slow test comes first
        (tmp_path / f"test_{name}.py").write_text(
            f"import time\ndef test_slow_{name}():\n    time.sleep(0.3)\n    open({str(log)!r}, 'a').write('slow_{name} ')\n\n"
            f"def test_quick_{name}():\n    open({str(log)!r}, 'a').write('quick_{name} ')\n")
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "grader.pytest_plugin",
            str(tmp_path / "test_first.py"), str(tmp_path / "test_second.py")]
    with worker.Worker() as warm:
        seen = warm.warm(args, env={}, cwd=tmp_path)
        assert log.read_text().split() == ["slow_first", "quick_first", "slow_second", "quick_second"]
        assert seen["seconds"]["visible::test_slow_first"] >= 0.3 > seen["seconds"]["visible::test_quick_first"]
        (tmp_path / "costs.json").write_text(json.dumps(seen["seconds"]))
        log.unlink()
        variant = warm.run([*args, f"--cheapest-first={tmp_path / 'costs.json'}"], timeout_s=60, memory_mb=1024,
                           env={}, cwd=tmp_path)
    assert variant.returncode == 0, variant.output
    assert log.read_text().split() == ["quick_first", "slow_first", "quick_second", "slow_second"], \
        "each file's tests run cheapest first, and the files keep their order"


def test_a_test_file_changed_after_the_warm_up_runs_as_it_now_reads(tmp_path):
    """The worker keeps pytest's rewrite of each test file for its children, by content: a file that
    changed runs its new code, assertion messages included."""
    test_file = tmp_path / "test_edited.py"
    test_file.write_text("def test_value():\n    assert 1 + 1 == 2\n")
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    with worker.Worker() as warm:
        assert warm.warm(args, env={}, cwd=tmp_path)["status"] == 0
        same = warm.run(args, timeout_s=60, memory_mb=1024, env={}, cwd=tmp_path)
        test_file.write_text("def test_value():\n    got = 1 + 1\n    assert got == 3\n")
        edited = warm.run(args, timeout_s=60, memory_mb=1024, env={}, cwd=tmp_path)
    assert same.returncode == 0, same.output
    assert edited.returncode == 1 and "assert 2 == 3" in edited.output, edited.output
