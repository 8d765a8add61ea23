"""A child's process tree, read from Linux /proc: its processes, their CPU seconds and their memory.

The sandbox's watchdog uses it to cap the whole tree, not one process: memory and process count, and a
milestone's budget in CPU seconds (what the work costs, not how long it waited for a busy CPU). The tree
is found through each process's children, so a child in another session or PID namespace (bubblewrap)
still counts: the host /proc sees it. Elsewhere (macOS) the tree is just the root and costs read as 0.
"""
from __future__ import annotations

import contextlib
import os
import resource
import signal

TICK = os.sysconf("SC_CLK_TCK")
WRAPPERS = ("bwrap", "sh", "dash", "bash")  # launchers the sandbox may put above the Python child


def descendants(root: int) -> list[int]:
    """`root` and every process below it, root first."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return found


def stat(pid: int) -> tuple[int, str, float] | None:
    """(parent pid, command name, CPU seconds of the process and of the children it has reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()  # fields[0] is field 3 (state) of proc(5)
        return int(fields[1]), comm, sum(int(v) for v in fields[11:15]) / TICK  # utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return None


def tree(root: int) -> dict[int, tuple[int, str, float]]:
    """Every live process of the tree with its `stat`."""
    return {pid: s for pid in descendants(root) if (s := stat(pid)) is not None}


def cpu_seconds(procs: dict) -> float:
    return sum(cpu for _, _, cpu in procs.values())


def rss(pid: int) -> int:
    """Resident memory of one process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return 0


def leaders(procs: dict) -> list[int]:
    """The processes doing the work: the topmost ones that are not a launcher (bwrap, a shell)."""
    return [pid for pid, (ppid, comm, _) in procs.items()
            if comm not in WRAPPERS and (ppid not in procs or procs[ppid][1] in WRAPPERS)]


def send(pids, sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def kill(pids) -> None:
    send(pids, signal.SIGKILL)
