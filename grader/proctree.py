"""CPU seconds spent by a process and all its descendants, read from /proc, and a watchdog on them.

A milestone's budget is what its work costs, not how long it waited for a busy CPU: the sum of user
and system time of every process in the child's tree (worker and compiler processes included, and the
children they already reaped, through cutime/cstime). The tree is found by parent links from the root,
so a child in another session or PID namespace (bubblewrap) still counts: the host /proc sees it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.5


def _stats() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds of the process and its reaped children)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                raw = f.read().decode(errors="replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()  # fields[0] is field 3 (state) of proc(5)
        ticks = sum(int(v) for v in fields[11:15])   # utime, stime, cutime, cstime
        out[int(name)] = (int(fields[1]), comm, ticks / TICK)
    return out


def tree(root: int, stats: dict | None = None) -> dict[int, tuple[int, str, float]]:
    """The root process and every descendant, with their stats."""
    stats = _stats() if stats is None else stats
    mine = {root} if root in stats else set()
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _) in stats.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    return {pid: stats[pid] for pid in mine}


def cpu_seconds(root: int) -> float:
    return sum(cpu for _, _, cpu in tree(root).values())


def _signal(pids, sig) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


WRAPPERS = ("bwrap", "sh", "dash", "bash")  # launchers the sandbox may put above the Python child


def _leaders(procs: dict) -> list[int]:
    """The processes doing the work: the topmost ones that are not a launcher (bwrap, a shell)."""
    return [pid for pid, (ppid, comm, _) in procs.items()
            if comm not in WRAPPERS and (ppid not in procs or procs[ppid][1] in WRAPPERS)]


def watch(proc: subprocess.Popen, cpu_budget_s: float, wall_s: float, grace_s: float) -> tuple[float, str | None]:
    """Wait for `proc`, stopping its tree at `cpu_budget_s` CPU seconds or `wall_s` wall seconds.

    A stop sends SIGTERM to the working process (so it can save what it has), then SIGKILL to the whole
    tree after `grace_s`. Returns (CPU seconds used, None or "cpu" or "wall").
    """
    start, used, reason, deadline = time.monotonic(), 0.0, None, None
    while proc.poll() is None:
        procs = tree(proc.pid)
        used = max(used, sum(cpu for _, _, cpu in procs.values()))
        now = time.monotonic()
        if reason is None and (used >= cpu_budget_s or now - start >= wall_s):
            reason = "cpu" if used >= cpu_budget_s else "wall"
            _signal(_leaders(procs), signal.SIGTERM)
            deadline = now + grace_s
        elif deadline is not None and now >= deadline:
            _signal(procs, signal.SIGKILL)
            proc.wait()
            break
        try:
            proc.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            pass
    return used, reason
