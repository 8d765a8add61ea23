"""Run untrusted learner code in a child process: a time limit, a memory and process cap on the child's
whole process tree and, where the platform allows it, an operating-system sandbox.

Isolated (Linux with bubblewrap): the child sees the whole file system read-only except a private /tmp
and the folders the caller names `writable`; folders named in `hide` look empty. It has no network and
no capabilities, lives in its own PID namespace (it can neither see nor signal the grader, and nothing it
starts outlives the run) and dies with the grader, even when the grader is killed with SIGKILL.

Process sandbox (the fallback where bwrap is missing or refused, or GRADSCHOOL_SANDBOX=off): the child
runs in its own session behind a shell (a SIGSTOP sent to "the parent" stops the shell, not the grader,
and the time limit still fires); at the end every process carrying the run's token is killed.

In both: rlimits per process; a watchdog that sums the resident memory of the whole tree, counts its
processes and samples their CPU time; output to a temporary file (a flood cannot fill memory, only its
tail is kept); Ctrl-C or SIGTERM of the grader kills the tree before the exception propagates.
"""
from __future__ import annotations

import contextlib
import functools
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grader import childenv, programs, proctree

TAIL_BYTES = 20_000
FILE_LIMIT = 2 * 1024 ** 3  # no single file written by the child may exceed this (an output flood stops here)
MAX_PROCESSES = 64          # processes in one child's tree (a fork bomb stops here)
POLL_S = 0.1                # how often the watchdog looks at the tree
MODE_VAR = "GRADSCHOOL_SANDBOX"   # "off": use the process sandbox even where bubblewrap works
TOKEN_VAR = "GRADSCHOOL_RUN"      # marks every process of one run, so strays can be found and killed


@dataclass
class Result:
    returncode: int
    timed_out: bool
    output: str
    seconds: float
    stopped: str | None = None   # why the watchdog ended the run (memory or process count of the tree)
    cpu_s: float = 0.0           # CPU seconds of the whole tree, sampled from /proc (RUSAGE_CHILDREN does
                                 # not see processes under bubblewrap: its PID 1 is never reaped by us)
    budget_stop: str | None = None  # "cpu" or "wall" when a CPU-budgeted run was stopped at its limit

    @property
    def crash(self) -> str | None:
        """A sentence about how the child ended abnormally, or None when it ended by itself normally."""
        if self.budget_stop:
            why = {"cpu": "used up its CPU budget", "wall": "ran past its wall-clock limit"}[self.budget_stop]
            return f"timed out: it {why} (an infinite loop? a very slow implementation?)"
        if self.timed_out:
            return "timed out (an infinite loop? a very slow implementation?)"
        if self.stopped:
            return f"was stopped: {self.stopped}"
        if self.returncode < 0:
            name = signal.Signals(-self.returncode).name
            extra = {"SIGSEGV": " (a segmentation fault)", "SIGKILL": " (killed: out of memory?)",
                     "SIGXFSZ": " (wrote more output than allowed)"}.get(name, "")
            return f"crashed with {name}{extra}"
        return None


# ---------------------------------------------------------------- which sandbox

def isolation_problem() -> str | None:
    """None when children run under bubblewrap here; otherwise why they get the process sandbox only."""
    return _probe(os.environ.get(MODE_VAR, ""))


@functools.lru_cache(maxsize=None)
def _probe(mode: str) -> str | None:
    if mode == "off":
        return f"turned off by {MODE_VAR}=off"
    if not sys.platform.startswith("linux"):
        return "bubblewrap needs Linux"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not installed (apt-get install bubblewrap)"
    try:
        probe = subprocess.run([*_bwrap(bwrap, (), (), None), "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bwrap did not start ({str(e)[:40]})"
    if probe.returncode != 0:
        why = probe.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {probe.returncode}"]
        return f"bwrap refused: {why[0][:40]}"
    return None


def isolation_note() -> str:
    """One line for `grader doctor` and the scoreboard footer."""
    problem = isolation_problem()
    if problem is None:
        return "bubblewrap: read-only repository, no network"
    return f"process sandbox only ({problem})"


def _under_tmp() -> list[Path]:
    """What a child must still read although it lies under /tmp, which it sees as a fresh empty folder:
    the repository, the Python installation, tinygrad's program store, the data mirrors and cache (a clone
    made in /tmp)."""
    needed = [Path(__file__).resolve().parents[1], Path(sys.prefix), Path(sys.base_prefix), *filter(None, [programs.store_dir()])]
    if os.environ.get("GRADSCHOOL_DATA_MIRROR") or os.environ.get("GRADSCHOOL_DATA_DIR"):
        from grader.data import store  # only then: it imports numpy, which the grader itself never needs
        needed += [*store.mirrors(), store.cache_dir()]
    found = []
    for path in needed:
        path = path.resolve()
        if path.is_relative_to("/tmp") and path.exists() and not any(path.is_relative_to(p) for p in found):
            found.append(path)
    return found


def _bwrap(bwrap: str, writable, hide, cwd) -> list[str]:
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in _under_tmp():
        args += ["--ro-bind", str(path), str(path)]
    for path in hide:
        args += ["--tmpfs", str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    return [*args, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--chdir", str(cwd or "/tmp"), "--"]


# ---------------------------------------------------------------- the child's process tree

def _marked(token: str) -> list[int]:
    """Processes whose environment carries this run's token (they may have left the tree by double-forking)."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if name.isdigit():
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.append(int(name))
            except OSError:
                pass
    return found


def _gone(pids, wait_s: float = 2.0) -> None:
    """Wait until the killed processes have disappeared, so their folders can be removed safely."""
    deadline = time.monotonic() + wait_s
    for pid in pids:
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[-1].split()[0] == "Z":
                        break  # a zombie is dead; its parent reaps it
            except OSError:
                break
            time.sleep(0.01)


class _Watchdog(threading.Thread):
    """Watches the child's whole process tree. Kills it when its processes together hold more than
    `memory_mb` or are too many. With a CPU budget, stops it at `cpu_budget_s` CPU seconds or `wall_s`
    wall seconds: SIGTERM to the working process (so it can save what it has), SIGKILL to the tree after
    `grace_s`."""

    def __init__(self, pid: int, memory_mb: int, cpu_budget_s: float | None = None, wall_s: float = 0.0,
                 grace_s: float = 15.0):
        super().__init__(daemon=True)
        self.pid, self.memory_mb = pid, memory_mb
        self.cpu_budget_s, self.wall_s, self.grace_s = cpu_budget_s, wall_s, grace_s
        self.reason: str | None = None        # memory or process count
        self.budget_stop: str | None = None   # "cpu" or "wall"
        self.cpu_s = 0.0
        self._stop_event = threading.Event()

    def run(self):
        if not os.path.isdir(f"/proc/{self.pid}"):
            return
        start, kill_at = time.monotonic(), None
        while not self._stop_event.wait(POLL_S):
            procs = proctree.tree(self.pid)
            self.cpu_s = max(self.cpu_s, proctree.cpu_seconds(procs))
            if len(procs) > MAX_PROCESSES:
                self.reason = f"it started more than {MAX_PROCESSES} processes"
            elif sum(map(proctree.rss, procs)) > self.memory_mb * 1024 ** 2:
                self.reason = f"its processes together used more than {self.memory_mb} MB of memory"
            now = time.monotonic()
            if self.reason or (kill_at is not None and now >= kill_at):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                proctree.kill(procs)
                return
            if self.cpu_budget_s is not None and kill_at is None and (
                    self.cpu_s >= self.cpu_budget_s or now - start >= self.wall_s):
                self.budget_stop = "cpu" if self.cpu_s >= self.cpu_budget_s else "wall"
                proctree.send(proctree.leaders(procs), signal.SIGTERM)
                kill_at = now + self.grace_s

    def stop(self):
        self._stop_event.set()


# ---------------------------------------------------------------- running

def _limits(memory_mb: int):
    def apply():
        os.setsid()
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
        die_with_parent()
    return apply


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (the grader killed with SIGKILL)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def terminate_as_interrupt():
    """While inside, SIGTERM raises KeyboardInterrupt, so the cleanup that Ctrl-C runs also runs for it."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt("terminated")
    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run(args: list[str], timeout_s: float, memory_mb: int, env: dict | None = None, cwd: Path | None = None,
        echo: bool = False, writable=(), hide=(), pass_fds=(), cpu_budget_s: float | None = None,
        grace_s: float = 15.0) -> Result:
    """Run `python args...` under the limits. With `echo`, the child's output also streams to our stdout.

    `writable`: folders the child may write (under bubblewrap; everything else is read-only); `hide`:
    folders that look empty to the child; `pass_fds`: descriptors the child inherits. With `cpu_budget_s`,
    the whole tree may use that many CPU seconds and `timeout_s` only caps wall time against hangs; at
    either limit the child gets SIGTERM (to save its work), then SIGKILL after `grace_s`.
    """
    token = secrets.token_hex(8)
    isolated = isolation_problem() is None
    # under bubblewrap the home folder is read-only: caches go to the private /tmp unless the caller says
    private = {"TMPDIR": "/tmp", "CACHEDB": "/tmp/tinygrad-cache.db", "MPLCONFIGDIR": "/tmp/matplotlib"} if isolated else {}
    child_env = {**childenv.environ({**private, **(env or {})}), TOKEN_VAR: token}
    command = [sys.executable, *args]
    if isolated:
        command = [*_bwrap(shutil.which("bwrap"), writable, hide, cwd), *command]
    elif os.name == "posix":
        command = ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command]
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, terminate_as_interrupt():
        proc = subprocess.Popen(command, stdout=None if echo else out, stderr=None if echo else subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=child_env, cwd=None if isolated else cwd,
                                preexec_fn=_limits(memory_mb), pass_fds=tuple(pass_fds))
        watchdog = _Watchdog(proc.pid, memory_mb, cpu_budget_s, timeout_s, grace_s)
        watchdog.start()
        timed_out = False
        try:  # with a CPU budget the watchdog enforces `timeout_s`; the wait only guards against a stuck watchdog
            proc.wait(timeout=timeout_s if cpu_budget_s is None else timeout_s + grace_s + 10)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            watchdog.stop()
            _end(proc, token)
        out.seek(0, os.SEEK_END)
        out.seek(max(0, out.tell() - TAIL_BYTES))
        text = out.read().decode(errors="replace")
    return Result(proc.returncode, timed_out and watchdog.reason is None, text, time.monotonic() - start, watchdog.reason,
                  watchdog.cpu_s, watchdog.budget_stop)


def _end(proc: subprocess.Popen, token: str) -> None:
    """Kill everything the run left: its tree, its process group, and any process carrying its token."""
    pids = proctree.descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proctree.kill(pids)
    proc.wait()
    strays = _marked(token)
    proctree.kill(strays)
    _gone(pids + strays)
