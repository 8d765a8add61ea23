"""The warm worker: each forked child gets its own environment, folder, output and limits."""
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
