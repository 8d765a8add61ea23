"""Run untrusted learner code in a child process with a time limit and a memory limit.

An infinite loop, a crash, `sys.exit`, `os._exit`, a segfault or a 50 GB allocation ends that child, not
the grader. Output goes to a temporary file (a flood of prints cannot fill memory) and only its tail is
kept. The child runs in its own session, so the whole process group is killed on timeout.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader import childenv

TAIL_BYTES = 20_000
FILE_LIMIT = 2 * 1024 ** 3  # no single file written by the child may exceed this (an output flood stops here)


@dataclass
class Result:
    returncode: int
    timed_out: bool
    output: str
    seconds: float

    @property
    def crash(self) -> str | None:
        """A sentence about how the child ended abnormally, or None when it ended by itself normally."""
        if self.timed_out:
            return "timed out (an infinite loop? a very slow implementation?)"
        if self.returncode < 0:
            name = signal.Signals(-self.returncode).name
            extra = {"SIGSEGV": " (a segmentation fault)", "SIGKILL": " (killed: out of memory?)",
                     "SIGXFSZ": " (wrote more output than allowed)"}.get(name, "")
            return f"crashed with {name}{extra}"
        return None


def _limits(memory_mb: int):
    def apply():
        os.setsid()
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    return apply


def run(args: list[str], timeout_s: float, memory_mb: int, env: dict | None = None, cwd: Path | None = None,
        echo: bool = False) -> Result:
    """Run `python args...` under the limits. With `echo`, the child's output also streams to our stdout."""
    import time

    child_env = childenv.environ(env)
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, *args], stdout=None if echo else out, stderr=subprocess.STDOUT if not echo else None,
                                stdin=subprocess.DEVNULL, env=child_env, cwd=cwd, preexec_fn=_limits(memory_mb))
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the learner's code left running
        except (ProcessLookupError, PermissionError):
            pass
        out.seek(0, os.SEEK_END)
        out.seek(max(0, out.tell() - TAIL_BYTES))
        text = out.read().decode(errors="replace")
    return Result(proc.returncode, timed_out, text, time.monotonic() - start)
