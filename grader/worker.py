"""A warm worker for grading many variants of one exercise (the mutant bank): the libraries are imported
once, then every pytest run is a forked child that inherits them.

    with Worker() as worker:
        runner.run_tests(ex, workspace, launch=worker.run)    # worker.run has sandbox.run's signature

A fresh `python -m pytest` child pays Python, pytest, numpy, hypothesis and tinygrad start-up on every
variant; a forked child starts with all of it imported. Each child gets the sandbox's limits (its own
session, memory and file-size limits, a time limit that kills its process group) and its own
environment, working directory and output file.

Use it for trusted variants only (the mutant bank): learner code is graded by `sandbox.run`.

Fork is unsafe on macOS (system libraries may hold locks or threads across it): there `Worker.run` falls
back to `sandbox.run`, a fresh process per variant. The worker imports no tinygrad device and opens no
tinygrad cache before forking, and starts with tinygrad's compile pool off and one BLAS thread, so no
threads exist when it forks. It runs test children only, in their environment (`childenv.tests()`:
tinygrad reads it once, on import).
"""
from __future__ import annotations

import fcntl
import functools
import gc
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import childenv, registry, sandbox

PRELOAD = ("numpy", "pytest", "hypothesis", "tinygrad", "tinygrad.nn", "tinygrad.nn.optim",
           "grader.compare", "grader.numeric", "grader.target")
FORK_SAFE = sys.platform != "darwin"
SHAREABLE_DEVICES = {"CPU", "DISK", "NPY", "PYTHON"}  # their compiled kernels never depend on learner code
MAX_PACKET = 1 << 20


class Worker:
    """A `python -m grader.worker` process that forks one child per `run` call (one call at a time).

    Requests and replies are single packets on a Unix socket pair; the descriptors a run passes to its
    child (the report channel) travel with the request and keep their numbers in the child."""

    def __init__(self):
        self.sock = None
        if FORK_SAFE:
            self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.proc = subprocess.Popen([sys.executable, "-m", "grader.worker", str(theirs.fileno())],
                                         pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                         env=childenv.environ({"PYTHONPATH": str(registry.ROOT), **childenv.tests()}))
            theirs.close()

    def run(self, args: list[str], timeout_s: float, memory_mb: int, env: dict | None = None,
            cwd: Path | None = None, echo: bool = False, writable=(), hide=(), pass_fds=()) -> sandbox.Result:
        """`sandbox.run` for a `-m pytest ...` command line, without bubblewrap (trusted code only)."""
        if self.sock is None or args[:2] != ["-m", "pytest"]:
            return sandbox.run(args, timeout_s, memory_mb, env=env, cwd=cwd, echo=echo, writable=writable,
                               hide=hide, pass_fds=pass_fds)
        request = {"args": args[2:], "timeout_s": timeout_s, "memory_mb": memory_mb, "fds": list(pass_fds),
                   "env": childenv.environ(env), "cwd": str(cwd or os.getcwd())}
        socket.send_fds(self.sock, [json.dumps(request).encode()], list(pass_fds))
        reply = self.sock.recv(MAX_PACKET)
        if not reply:
            raise RuntimeError(f"the grading worker ended (exit code {self.proc.wait()})")
        return sandbox.Result(**json.loads(reply))

    def warm(self, args: list[str], env: dict, cwd: Path, record: Path | None = None) -> dict | None:
        """Run `python -m pytest ...` (the reference's tests: trusted code) inside the worker itself, so the
        kernels tinygrad compiles there stay cached in memory for every child forked afterwards. Returns
        what the run saw: `devices` (the tinygrad devices it opened), `status` (pytest's exit code),
        `passed`, `failed` (the first failures, "test: message"), `seconds` (each test's cost, by
        `pytest_plugin.cost_key`) and `touched` (by the same keys, the functions of the reference module
        at `record` each test ran: see grader/impact.py); None where variants are not forked."""
        if self.sock is None or args[:2] != ["-m", "pytest"]:
            return None
        request = {"warm": True, "args": args[2:], "env": childenv.environ({**env, **childenv.tests()}), "cwd": str(cwd),
                   "record": str(record or "")}
        socket.send_fds(self.sock, [json.dumps(request).encode()], [])
        reply = self.sock.recv(MAX_PACKET)
        if not reply:
            raise RuntimeError(f"the grading worker ended (exit code {self.proc.wait()})")
        return json.loads(reply)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.proc.wait()
            self.sock = None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------- inside the worker process


def _child(request: dict, out_fd: int, fds: list[int]) -> None:
    """In the forked child: limits, descriptors, environment, then pytest. Never returns."""
    code = 70
    try:
        sandbox._limits(request["memory_mb"])()
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 1000) for fd in fds]   # out of the way of the numbers wanted
        os.closerange(3, 1000)
        for fd, wanted in zip(high, request["fds"]):
            os.dup2(fd, wanted)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        _fresh_random_state()
        import pytest
        code = int(pytest.main(request["args"]))
    except BaseException as e:  # noqa: BLE001 - the child reports every ending through its exit code
        code = e.code if isinstance(e, SystemExit) and isinstance(e.code, int) else 70
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _fresh_random_state() -> None:
    """Seed the global generators from the OS, as a new process would: a fork starts with its parent's
    state, the same in every child and left by whatever the worker ran before. For tinygrad this also
    drops the lazy chain of random-number counters the warm-up left, which every variant would
    otherwise realize again on its first random tensor."""
    import random

    import numpy as np
    random.seed()
    np.random.seed()
    if "tinygrad" in sys.modules:
        sys.modules["tinygrad"].Tensor.manual_seed(int.from_bytes(os.urandom(4), "little"))


def _wait(pid: int, timeout_s: float) -> tuple[int, bool]:
    """Wait for the child; kill its process group at the deadline. Returns (returncode, timed_out)."""
    deadline, pause = time.monotonic() + timeout_s, 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), True
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def _serve_one(request: dict, fds: list[int]) -> dict:
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request, out.fileno(), fds)
        for fd in fds:
            os.close(fd)  # the child holds them now; the parent sees the channel end when the child does
        returncode, timed_out = _wait(pid, request["timeout_s"])
        try:
            os.killpg(pid, signal.SIGKILL)  # anything the child left running
        except (ProcessLookupError, PermissionError):
            pass
        out.seek(0, os.SEEK_END)
        out.seek(max(0, out.tell() - sandbox.TAIL_BYTES))
        text = out.read().decode(errors="replace")
    return {"returncode": returncode, "timed_out": timed_out, "output": text, "seconds": time.monotonic() - start}


class _Outcomes:
    """A pytest plugin object that counts the passed tests, keeps the first failures and what each test
    cost (seconds of setup, call and teardown, by `pytest_plugin.cost_key`)."""

    def __init__(self):
        self.passed, self.failed, self.seconds, self.rootpath = 0, [], {}, Path("/")

    def pytest_sessionstart(self, session):
        self.rootpath = session.config.rootpath

    def pytest_runtest_logreport(self, report):
        if report.when in ("setup", "call", "teardown"):
            from grader.pytest_plugin import cost_key
            key = cost_key(self.rootpath, report.nodeid)
            self.seconds[key] = self.seconds.get(key, 0.0) + report.duration
        if report.passed and report.when == "call":
            self.passed += 1
        elif report.failed and len(self.failed) < 5:
            from grader.pytest_plugin import failure_message
            self.failed.append(f"{report.nodeid.split('::', 1)[-1]}: {failure_message(report)}"[:500])

    def pytest_collectreport(self, report):
        self.pytest_runtest_logreport(report)


def _warm(request: dict) -> dict:
    """Run pytest here (not in a fork), output discarded, then forget that run: its environment, working
    directory, the modules it imported from outside the installed libraries (tests, exercise modules, the
    grader's plugin), the grader's per-process state and tinygrad's open cache database. What stays is
    what the libraries cached: tinygrad's compiled kernels, keyed by their content, so a variant's child
    reuses the ones it shares with the reference and compiles only what its edit changed."""
    import sysconfig

    import pytest

    from grader import impact, policy, target
    libraries = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")})
    before, environ, cwd = set(sys.modules), dict(os.environ), os.getcwd()
    outcomes, recorder, caller_check = _Outcomes(), impact.Recorder(request["record"]), target._caller_check
    target._caller_check = lambda ex: recorder.note   # the reference's functions say who ran them
    sys.stdout.flush()
    sys.stderr.flush()
    saved, devnull = [os.dup(1), os.dup(2)], os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        status = int(pytest.main(request["args"], plugins=[outcomes, recorder]))
    except BaseException as e:  # noqa: BLE001 - the caller reads the status
        status = 70
        outcomes.failed.append(f"{type(e).__name__}: {e}"[:500])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, old in zip((1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
        os.close(devnull)
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd)
        for name in set(sys.modules) - before:
            if not (getattr(sys.modules[name], "__file__", None) or "").startswith(libraries):
                del sys.modules[name]
        policy.unguard()
        target._caller_check = caller_check
        target._fixed.clear()
        target._sources.clear()
        target._cache.clear()   # the references it compiled call the recorder, not the check
        from tinygrad import Device, GlobalCounters, helpers
        GlobalCounters.reset()
        if helpers._db_connection is not None:  # an SQLite connection must not cross a fork
            helpers._db_connection.close()
            helpers._db_connection = None
    _freeze_heap()
    return {"devices": sorted(Device._opened_devices), "status": status, "passed": outcomes.passed,
            "failed": outcomes.failed, "seconds": outcomes.seconds, "touched": recorder.table()}


def _freeze_heap() -> None:
    """Move every object the worker holds out of the garbage collector's reach. A forked child's full
    collections (pytest runs one as a session ends) then skip the tinygrad graphs and caches it inherited:
    measured 0.67 -> 0.36 s for a variant caught by its first check."""
    gc.collect()
    gc.freeze()


def _compile_once() -> None:
    """Keep the code that every variant's child would compile again: pytest's rewrite of the test files
    and the reference modules, keyed by file and content, so a child forked after the warm-up finds
    them compiled (the worker runs trusted files only). About 40 ms a variant; a pytest without
    `_rewrite_test` just rewrites as usual."""
    from _pytest.assertion import rewrite

    from grader import target
    target._compiled = functools.lru_cache(maxsize=None)(target._compiled)
    plain, done = getattr(rewrite, "_rewrite_test", None), {}

    def rewrite_once(fn, config):
        key = (str(fn), fn.read_bytes())
        if key not in done:
            done[key] = plain(fn, config)
        return done[key]
    if callable(plain):
        rewrite._rewrite_test = rewrite_once


def main(fd: str) -> int:
    from grader import programs
    programs.install()   # the variants are trusted code: what they generate is kept too
    for name in PRELOAD:
        importlib.import_module(name)
    _compile_once()
    _freeze_heap()
    sock = socket.socket(fileno=int(fd))
    while True:
        data, fds, _, _ = socket.recv_fds(sock, MAX_PACKET, 16)
        if not data:
            return 0
        request = json.loads(data)
        sock.send(json.dumps(_warm(request) if request.get("warm") else _serve_one(request, fds)).encode())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
